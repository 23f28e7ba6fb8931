// The guide's section 6 against a real local HTTPS server: the admin's 小程序配置 page saves through
// a JSON API, and every way it can answer HTML instead (the login page after an expired session, the
// app's error page, nginx's own page) is played here. Then the evidence: the server's logs, read
// once after the checks (an injected reader: no host), redacted, attached and printed.
import * as https from "node:https";
import { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { APP_PORT } from "../../core/constants";
import type { Connection } from "../../core/ssh";
import { CHECKS, CheckResult, DoctorContext, DoctorTarget, EvidenceReader, firstFailure, formatResult, runDoctor } from "../../checks/doctor/index";
import { parseConfig } from "../../infra/config";
import { doctorTarget } from "../../stacks/doctor-target";
import { localRaw, selfSignedCert } from "./fixtures";

const DOMAIN = "photogooo.com";
const API = "/admin/api/miniprogram-config";
const SECRET = "sk-live-9f8e7d6c5b4a39281706";
const cert = selfSignedCert(DOMAIN);
const SSH: Connection = { host: "203.0.113.5", port: 22, user: "root", hostKey: "unused", privateKey: "unused: the readers are injected" };

/** gunicorn's own page for an unhandled exception. */
const GUNICORN_500 = "<html>\n  <head>\n    <title>Internal Server Error</title>\n  </head>\n  <body>\n    <h1><p>Internal Server Error</p></h1>\n\n  </body>\n</html>\n";
/** nginx's own error page (server_tokens off). */
const nginxPage = (status: string) => `<html>\r\n<head><title>${status}</title></head>\r\n<body>\r\n<center><h1>${status}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
const LOGIN_PAGE = '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · aistudio</title></head><body><form method="post"></form></body></html>';
/** What journalctl shows after the doctor's request hit the bug; the secret leaked into the message. */
const TRACEBACK = [
  "Jul 02 10:14:03 aistudio gunicorn[812]: [2025-07-02 10:14:03 +0800] [812] [ERROR] Error handling request /admin/api/miniprogram-config",
  "Jul 02 10:14:03 aistudio gunicorn[812]: Traceback (most recent call last):",
  'Jul 02 10:14:03 aistudio gunicorn[812]:   File "/srv/aistudio/current/admin.py", line 88, in save_config',
  "Jul 02 10:14:03 aistudio gunicorn[812]:     cfg = json.loads(row['config'])",
  `Jul 02 10:14:03 aistudio gunicorn[812]: KeyError: 'config' (key ${SECRET})`,
].join("\n");
const NGINX_LOG = '2025/07/02 10:14:03 [error] 640#640: *12 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: photogooo.com, request: "POST /admin/api/miniprogram-config HTTP/2.0", upstream: "http://127.0.0.1:8000/admin/api/miniprogram-config"';

type Mode = "json401" | "redirect" | "login200" | "app500" | "nginx502" | "nginx404" | "json200" | "redirectJson";
let mode: Mode = "json401";
const seen: { method: string; path: string; body: string; cookie?: string }[] = [];
let server: https.Server;
let target: DoctorTarget;

/** The admin API as each case of section 6 answers; the login page; the mini program's API (healthy). */
function answer(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) {
  const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": type, ...headers });
    res.end(body);
  };
  if (req.url === "/api/user/visit") return send(200, "application/json", '{"success":true}');
  if (req.url?.startsWith("/admin/login")) return send(200, "text/html; charset=utf-8", LOGIN_PAGE);
  if (req.url === "/admin/api/me") return send(200, "application/json", '{"user":null}');
  if (req.url !== API) return send(404, "text/html", nginxPage("404 Not Found"));
  switch (mode) {
    case "json401": return send(401, "application/json; charset=utf-8", '{"success":false,"error":"login_required"}');
    case "redirect": return send(302, "text/html; charset=utf-8", "<p>redirect</p>", { Location: `/admin/login?next=${encodeURIComponent(API)}` });
    case "redirectJson": return send(302, "text/html", "", { Location: "/admin/api/me" });
    case "login200": return send(200, "text/html; charset=utf-8", LOGIN_PAGE);
    case "app500": return send(500, "text/html", GUNICORN_500);
    case "nginx502": return send(502, "text/html", nginxPage("502 Bad Gateway"));
    case "nginx404": return send(404, "text/html", nginxPage("404 Not Found"));
    case "json200": return send(200, "application/json", '{"success":true,"saved":true}');
  }
}

beforeAll(async () => {
  server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", path: req.url ?? "", body, cookie: req.headers.cookie });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  target = { domain: DOMAIN, connectTo: "127.0.0.1", port, ca: cert.cert, wechat: false, minCertDays: 1, admin: { loginPath: "/admin/login", apiPath: API } };
});
afterAll(() => server.close());
beforeEach(() => {
  seen.length = 0;
});

const adminCheck = CHECKS.find((c) => c.id === "admin-json")!;

/** The admin check alone, as runDoctor would run it after DNS (the address is the test server). */
async function admin(m: Mode, tg: Partial<DoctorTarget> = {}, ctx: DoctorContext = {}): Promise<CheckResult> {
  mode = m;
  const r = await adminCheck.run({ ...target, ...tg }, { ca: cert.cert, ...ctx });
  return { id: "admin-json", title: adminCheck.title, ms: 0, ...r };
}

describe('check "admin-json" (guide section 6)', () => {
  it("JSON 401 without a session: ok; it POSTed {} to app.admin.apiPath without a cookie", async () => {
    const r = await admin("json401");
    expect(r).toMatchObject({ status: "ok", found: "answers JSON 401 without a session, as it should" });
    expect(seen).toEqual([{ method: "POST", path: API, body: "{}", cookie: undefined }]);
  });

  it("302 to the HTML login page: fails with the expired login as the cause; the one hop was followed", async () => {
    const r = await admin("redirect");
    expect(r.status).toBe("fail");
    expect(r.expected).toBe("JSON 401/403 without a session");
    expect(r.found).toBe("302 → /admin/login?next=%2Fadmin%2Fapi%2Fminiprogram-config → 200 text/html; charset=utf-8: <title>登录 · aistudio</title>");
    expect(r.cause!.en).toMatch(/^login expired or session invalid: .*fails with Unexpected token '<'$/);
    expect(r.fix!.en).toMatch(/^log in again; \(app team\) make the endpoint answer 401 JSON without a session/);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([`POST ${API}`, `GET /admin/login?next=${encodeURIComponent(API)}`]);
  });

  it("a 200 HTML login page in place of the JSON: the same cause", async () => {
    const r = await admin("login200");
    expect(r).toMatchObject({ status: "fail", found: "200 text/html; charset=utf-8: <title>登录 · aistudio</title>" });
    expect(r.cause!.zh).toContain("登录过期或会话无效");
  });

  it("a redirect to something that is not HTML: still a failure, but not named a login page", async () => {
    const r = await admin("redirectJson");
    expect(r).toMatchObject({ status: "fail", found: "302 → /admin/api/me → 200 application/json: {\"user\":null}" });
    expect(r.cause!.en).toMatch(/redirects \(3xx\) instead of answering/);
  });

  it("gunicorn's HTML 500: a server error in the app; the fix points at the traceback", async () => {
    const r = await admin("app500");
    expect(r).toMatchObject({ status: "fail", found: "500 text/html: <title>Internal Server Error</title>" });
    expect(r.cause!.en).toBe("a server error in the app (500): the admin page gets an error page and fails with Unexpected token '<'");
    expect(r.fix!.en).toBe("read the traceback below (journalctl -u aistudio), fix it and redeploy (pulumi up)");
  });

  it("nginx's own 502 page: nginx answered, not the app, which is down on app.port", async () => {
    const r = await admin("nginx502", { appPort: 8123 });
    expect(r).toMatchObject({ status: "fail", found: "502 text/html: <title>502 Bad Gateway</title> (nginx's own page)" });
    expect(r.cause!.en).toBe("nginx cannot reach the app on 127.0.0.1:8123: aistudio is down or listens elsewhere");
    expect(r.fix!.en).toContain("ss -tlnp | grep 8123");
  });

  it("nginx's own 404 page: the site has no route to the app for the admin API", async () => {
    const r = await admin("nginx404");
    expect(r.found).toBe("404 text/html: <title>404 Not Found</title> (nginx's own page)");
    expect(r.cause!.en).toBe(`nginx answered 404 itself: the site has no location passing ${API} to the app`);
  });

  it("JSON 200 without a session: a warning (the save endpoint is open), not a failure", async () => {
    const r = await admin("json200");
    expect(r).toMatchObject({ status: "warn", found: '200 application/json: {"success":true,"saved":true}' });
    expect(r.cause!.en).toMatch(/accepted a request without a session: anyone can change/);
    expect(firstFailure([r])).toBeUndefined();
  });

  it("the cause named: a stopped app still names server-services; of the two APIs, admin-json", () => {
    const r = (id: string): CheckResult => ({ id, status: "fail", title: { zh: id, en: id }, ms: 0 });
    expect(firstFailure([r("admin-json"), r("api-json"), r("server-services")])?.id).toBe("server-services");
    expect(firstFailure([r("api-json"), r("admin-json"), r("tcp443")])?.id).toBe("tcp443");
    expect(firstFailure([r("api-json"), r("admin-json"), r("http-redirect")])?.id).toBe("admin-json");
  });

  it("skipped without an admin backend, and once 443 was found unreachable", async () => {
    expect(await admin("json401", { admin: undefined })).toMatchObject({ status: "skip", found: "no admin backend configured (app.admin)" });
    expect(await admin("json401", {}, { no443: "127.0.0.1:443 unreachable" })).toMatchObject({ status: "skip", found: "needs TCP 443 (127.0.0.1:443 unreachable)" });
    expect(seen).toEqual([]);
  });
});

describe("runDoctor with the evidence (facts and logs injected: no SSH)", () => {
  const facts = async () => ({ nginx: "active", aistudio: "active", appListen: `127.0.0.1:${APP_PORT}`, ufw: "Status: active\n443/tcp                    ALLOW IN    Anywhere" });
  let reads = 0;
  let requestsBeforeRead: string[] = [];
  const logs: EvidenceReader = async () => {
    reads += 1;
    requestsBeforeRead = seen.map((s) => `${s.method} ${s.path}`);
    return { journal: TRACEBACK, nginx: NGINX_LOG };
  };
  const doctor = (m: Mode, tg: Partial<DoctorTarget> = {}, readEvidence: EvidenceReader = logs) => {
    mode = m;
    return runDoctor({ ...target, ssh: SSH, redact: [SECRET], ...tg }, { error: "Unexpected token '<'", readFacts: facts, readEvidence });
  };
  beforeEach(() => {
    reads = 0;
  });

  it("--error \"Unexpected token '<'\": admin-json runs first and is named the cause; the journal is attached once, redacted", async () => {
    const results = await doctor("app500");
    expect(results.map((r) => r.id).slice(0, 3)).toEqual(["admin-json", "api-json", "server-services"]);
    expect(results.filter((r) => r.status === "fail").map((r) => r.id)).toEqual(["admin-json"]);
    expect(firstFailure(results)?.id).toBe("admin-json");
    expect(reads).toBe(1);
    // read after the checks: the journal then holds the traceback of the doctor's own request
    expect(requestsBeforeRead).toContain(`POST ${API}`);
    const ev = results[0].evidence!;
    expect(ev.map((e) => e.source)).toEqual(["journalctl -u aistudio -n 50"]);
    expect(ev[0].lines).toEqual(TRACEBACK.replace(SECRET, "***").split("\n"));
    expect(JSON.stringify(results)).not.toContain(SECRET);
    expect(results.filter((r) => r.evidence).map((r) => r.id)).toEqual(["admin-json"]);
  });

  it("nginx's own page: nginx's error log and the journal; a login page: the journal (nginx saw nothing wrong)", async () => {
    const results = await doctor("nginx502");
    expect(results[0].evidence!.map((e) => e.source)).toEqual(["tail -n 20 /var/log/nginx/error.log", "journalctl -u aistudio -n 50"]);
    expect(results[0].evidence![0].lines).toEqual([NGINX_LOG]);
    expect((await doctor("redirect"))[0].evidence!.map((e) => e.source)).toEqual(["journalctl -u aistudio -n 50"]);
  });

  it("the logs are not read when no HTTP check failed, nor without SSH", async () => {
    expect((await doctor("json401")).some((r) => r.status === "fail")).toBe(false);
    const noSsh = (await doctor("app500", { ssh: undefined })).find((r) => r.id === "admin-json")!;
    expect(noSsh.status).toBe("fail");
    expect("evidence" in noSsh).toBe(false);
    expect(reads).toBe(0);
  });

  it("logs that cannot be read: the evidence says why, redacted too", async () => {
    const results = await doctor("app500", {}, async () => { throw new Error(`ssh: auth failed for key ${SECRET}`); });
    expect(results[0].evidence).toEqual([{ source: "ssh", lines: ["could not read the server's logs: ssh: auth failed for key ***"] }]);
  });

  it("--json carries the evidence; formatResult prints it under the check in zh, en and both", async () => {
    const r = (await doctor("app500"))[0];
    expect(JSON.parse(JSON.stringify(r)).evidence).toEqual(r.evidence);
    const traceback = TRACEBACK.replace(SECRET, "***").split("\n").map((l) => `      | ${l}`);
    expect(formatResult(r, "both").split("\n")).toEqual([
      "✗ 后台接口返回 JSON（不是 HTML 登录页或错误页） / admin API answers JSON, not an HTML login or error page",
      "    期望 expected: JSON 401/403 without a session",
      "    实际 found:    500 text/html: <title>Internal Server Error</title>",
      "    原因 cause: 应用内部错误（500）：后台页面拿到错误页，报 Unexpected token '<'",
      "      a server error in the app (500): the admin page gets an error page and fails with Unexpected token '<'",
      "    处理 fix:   看下面 journalctl -u aistudio 里的 traceback，修复后重新部署（pulumi up）",
      "      read the traceback below (journalctl -u aistudio), fix it and redeploy (pulumi up)",
      "    证据 evidence (journalctl -u aistudio -n 50):",
      ...traceback,
    ]);
    expect(formatResult(r, "en").split("\n").slice(-6)).toEqual(["    evidence (journalctl -u aistudio -n 50):", ...traceback]);
    expect(formatResult(r, "zh").split("\n").slice(-6)).toEqual(["    证据 (journalctl -u aistudio -n 50):", ...traceback]);
  });
});

describe("stacks/doctor-target: the app contract and the smoke request from config", () => {
  it("maps app.port, app.admin, smoke.request and the secret values", () => {
    const config = parseConfig(localRaw({
      app: { dir: "provision/sample-app", port: 8123, admin: { apiPath: "/manage/api/config" } },
      smoke: { method: "GET", path: "/api/health", expect: { ok: 1 } },
      appEnv: { SECRET_KEY: SECRET },
    }), "local");
    const tg = doctorTarget({ config, outputs: {} });
    expect(tg.appPort).toBe(8123);
    expect(tg.admin).toEqual({ loginPath: "/admin/login", apiPath: "/manage/api/config" });
    expect(tg.request).toEqual({ method: "GET", path: "/api/health", body: undefined, expect: { ok: 1 } });
    expect(tg.redact).toContain(SECRET);
    expect(tg.redact).toContain(config.server.privateKey);
    expect(CHECKS.find((c) => c.id === "api-json")!.titleFor!(tg).en).toBe("API GET /api/health answers JSON ok:1");
    expect(CHECKS.find((c) => c.id === "server-services")!.titleFor!(tg).en).toBe("server: nginx and aistudio active, 127.0.0.1:8123 listening");
  });
});
