// The guide's section 6: the admin's 小程序配置 page saves through a JSON API (app.admin.apiPath).
// When that API answers HTML — the login page after an expired session, the app's error page,
// nginx's own error page — the page's fetch fails with `Unexpected token '<'`. Without a session
// it must answer JSON 401 (or 403), which the page can turn into "please log in again".
import { Bilingual, t } from "../../core/text";
import { httpsRequest, VisitTarget } from "../visit";
import { appPortOf, Check, CheckOutcome, DoctorTarget, fail, httpsTargetOf, needs443, ok, skip, warn } from "./check";

const EXPECTED = "JSON 401/403 without a session";

/** nginx's own error page, not the app's: "<center>nginx</center>" (with the version unless server_tokens off). */
const NGINX_PAGE = /<center>nginx(\/[\d.]+)?<\/center>/i;

interface Answer {
  status: number;
  type: string;
  location: string;
  body: string;
  kind: "json" | "html" | "other";
}

async function request(target: VisitTarget, method: string, path: string, body?: string): Promise<Answer> {
  const r = await httpsRequest(target, method, path, body);
  const type = String(r.headers["content-type"] ?? "");
  let json = true;
  try { JSON.parse(r.body); } catch { json = false; }
  const html = !json && (/html/i.test(type) || r.body.trimStart().startsWith("<"));
  return { status: r.status, type, location: String(r.headers.location ?? ""), body: r.body, kind: json ? "json" : html ? "html" : "other" };
}

/** What came back, in one line: status, type, and the page's title or the body's start. */
function describe(a: Answer): string {
  const title = /<title>[^<]*<\/title>/i.exec(a.body)?.[0];
  const head = title ?? (NGINX_PAGE.test(a.body) ? /<h1>[^<]*<\/h1>/i.exec(a.body)?.[0] : undefined) ?? a.body.replace(/\s+/g, " ").trim().slice(0, 80);
  return `${a.status} ${a.type || "no Content-Type"}: ${head || "(empty body)"}`;
}

const LOGIN_CAUSE = t(
  "登录过期或会话无效：接口把请求交给了 HTML 登录页，后台页面的 fetch 把 HTML 当 JSON 解析，于是报 Unexpected token '<'",
  "login expired or session invalid: the API hands the request to the HTML login page, the admin page's fetch parses that HTML as JSON and fails with Unexpected token '<'");
const LOGIN_FIX = t(
  "重新登录后台；（应用团队）没有会话时接口应返回 401 JSON，页面据此跳转到登录页",
  "log in again; (app team) make the endpoint answer 401 JSON without a session, so the page can send the user to the login page");

const failed = (found: string, cause: Bilingual, fix: Bilingual, logs?: CheckOutcome["logs"]): CheckOutcome => ({ ...fail(EXPECTED, found, cause, fix), logs });

/** nginx answered, not the app: what each of its error pages means. */
function nginxVerdict(a: Answer, tg: DoctorTarget, apiPath: string): CheckOutcome {
  const port = appPortOf(tg);
  const found = `${describe(a)} (nginx's own page)`;
  switch (a.status) {
    case 404:
      return failed(found,
        t(`nginx 自己返回了 404：站点配置里没有把 ${apiPath} 转给应用的 location`, `nginx answered 404 itself: the site has no location passing ${apiPath} to the app`),
        t("pulumi up 恢复 nginx 配置；后台接口在别的路径时设置 app.admin.apiPath", "pulumi up restores the nginx site; if the admin API lives elsewhere, set app.admin.apiPath"), ["nginx"]);
    case 413:
      return failed(found,
        t("请求体超过了 nginx 的 client_max_body_size", "the request body is larger than nginx's client_max_body_size"),
        t("调大 nginx.clientMaxBodySize（默认 20m）后 pulumi up", "raise nginx.clientMaxBodySize (default 20m) and pulumi up"), ["nginx"]);
    case 502:
      return failed(found,
        t(`nginx 连不上应用（127.0.0.1:${port}）：aistudio 没有运行或监听在别处`, `nginx cannot reach the app on 127.0.0.1:${port}: aistudio is down or listens elsewhere`),
        t(`\`systemctl restart aistudio\`，然后 \`ss -tlnp | grep ${port}\`；失败原因看 journalctl`, `\`systemctl restart aistudio\`, then \`ss -tlnp | grep ${port}\`; the journal says why it stopped`), ["nginx", "journal"]);
    case 504:
      return failed(found,
        t("应用在 nginx 的 proxy_read_timeout 内没有应答（请求太慢或 worker 卡住）", "the app did not answer within nginx's proxy_read_timeout (a slow request or a stuck worker)"),
        t("看 journalctl 找出慢的请求；`systemctl restart aistudio`", "find the slow request in the journal; `systemctl restart aistudio`"), ["nginx", "journal"]);
    default:
      return failed(found,
        t(`nginx 自己返回了 ${a.status}，请求没有到达应用`, `nginx answered ${a.status} itself; the request never reached the app`),
        t("看 nginx 错误日志；pulumi up 恢复 nginx 配置", "read nginx's error log; pulumi up restores the nginx site"), ["nginx"]);
  }
}

async function verdict(tg: DoctorTarget, target: VisitTarget, apiPath: string): Promise<CheckOutcome> {
  const a = await request(target, "POST", apiPath, "{}");
  if (NGINX_PAGE.test(a.body) || (a.kind === "json" && (a.status === 502 || a.status === 504))) return nginxVerdict(a, tg, apiPath);
  if (a.status >= 300 && a.status < 400) {
    const to = new URL(a.location || "/", `https://${tg.domain}/`);
    const hop = to.hostname === tg.domain.toLowerCase() ? await request(target, "GET", to.pathname + to.search) : undefined;
    const found = `${a.status} → ${a.location || "(no Location)"}${hop ? ` → ${describe(hop)}` : " (another host: not followed)"}`;
    if (hop?.kind === "html") return failed(found, LOGIN_CAUSE, LOGIN_FIX, ["journal"]);
    return failed(found,
      t("接口没有应答而是跳转（3xx）：后台页面的 fetch 会跟随跳转，拿到的不是接口的 JSON", "the API redirects (3xx) instead of answering: the admin page's fetch follows it and gets something other than the API's JSON"),
      t("（应用团队）没有会话时返回 401 JSON，不要跳转", "(app team) answer 401 JSON without a session instead of redirecting"));
  }
  if (a.kind === "json") {
    if (a.status === 401 || a.status === 403) return ok(`answers JSON ${a.status} without a session, as it should`, EXPECTED);
    if (a.status >= 200 && a.status < 300) {
      return warn(EXPECTED, describe(a),
        t("保存接口在没有登录会话时接受了请求：任何人都能修改小程序配置（安全问题）", "the save endpoint accepted a request without a session: anyone can change the mini program's config (security)"),
        t("（应用团队）接口先检查登录会话，没有会话返回 401 JSON", "(app team) check the session first and answer 401 JSON without one"));
    }
  }
  if (a.status >= 500) {
    return failed(describe(a),
      t(`应用内部错误（${a.status}）：后台页面拿到错误页，报 Unexpected token '<'`, `a server error in the app (${a.status}): the admin page gets an error page and fails with Unexpected token '<'`),
      t("看下面 journalctl -u aistudio 里的 traceback，修复后重新部署（pulumi up）", "read the traceback below (journalctl -u aistudio), fix it and redeploy (pulumi up)"), ["journal"]);
  }
  if (a.kind === "html" && a.status >= 200 && a.status < 300) return failed(describe(a), LOGIN_CAUSE, LOGIN_FIX, ["journal"]);
  if (a.kind === "json") {
    return warn(EXPECTED, describe(a),
      t(`接口返回 JSON，但状态是 ${a.status} 而不是 401/403：可能没有先检查会话，或 app.admin.apiPath 不是保存接口`, `the API answers JSON, but ${a.status}, not 401/403: it may not check the session first, or app.admin.apiPath is not the save endpoint`),
      t("确认 app.admin.apiPath 是小程序配置页的保存接口；（应用团队）没有会话先返回 401", "check that app.admin.apiPath is the 小程序配置 page's save endpoint; (app team) answer 401 first without a session"));
  }
  return failed(describe(a),
    t(`应用返回了 ${a.status} 的非 JSON 应答：后台页面的 fetch 无法解析（HTML 时报 Unexpected token '<'）`, `the app answered ${a.status} without JSON: the admin page's fetch cannot parse it (Unexpected token '<' when it is HTML)`),
    t("（应用团队）后台接口一律返回 JSON（没有会话时 401）；确认 app.admin.apiPath 是保存接口", "(app team) answer JSON on the admin API (401 without a session); check that app.admin.apiPath is the save endpoint"), ["journal"]);
}

export const adminJsonCheck: Check = {
  id: "admin-json",
  title: t("后台接口返回 JSON（不是 HTML 登录页或错误页）", "admin API answers JSON, not an HTML login or error page"),
  run: async (tg, ctx) => {
    const admin = tg.admin;
    if (!admin) return skip("no admin backend configured (app.admin)");
    return needs443(async () => {
      try {
        return await verdict(tg, httpsTargetOf(tg, ctx), admin.apiPath);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        return failed(`${err.code ?? ""} ${err.message}`.trim(),
          t("后台接口没有 HTTPS 应答", "the admin API gave no HTTPS answer"),
          t("先看前面的 443 与证书检查", "see the TCP 443 and certificate checks above first"));
      }
    })(tg, ctx);
  },
};
