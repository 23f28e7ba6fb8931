// The guide's API call (or the configured smoke request): it must answer JSON with the expected
// fields (success:true for POST /api/user/visit), not an HTML page.
import { t } from "../../core/text";
import { apiCall, SmokeRequest, VISIT_REQUEST } from "../visit";
import { appPortOf, Check, DoctorTarget, fail, httpsTargetOf, ok, needs443 } from "./check";

/** The fields the answer must carry, as the title names them: success:true */
const fieldsOf = (r: SmokeRequest) => Object.entries(r.expect).map(([k, v]) => `${k}:${JSON.stringify(v)}`).join(" ");

const titleFor = (tg: Pick<DoctorTarget, "request">) => {
  const r = tg.request ?? VISIT_REQUEST;
  return t(`接口 ${r.method} ${r.path} 返回 JSON ${fieldsOf(r)}`, `API ${r.method} ${r.path} answers JSON ${fieldsOf(r)}`);
};

export const apiJsonCheck: Check = {
  id: "api-json",
  title: titleFor({}),
  titleFor,
  run: needs443(async (tg, ctx) => {
    const req = tg.request ?? VISIT_REQUEST;
    const r = await apiCall(httpsTargetOf(tg, ctx), req, `doctor-${Date.now()}`);
    if (r.ok) return ok(`HTTP ${r.status} ${r.body?.slice(0, 80)}`);
    const html = /html/i.test(r.contentType ?? "") || (r.body ?? "").trimStart().startsWith("<");
    const port = appPortOf(tg);
    if (html) {
      return fail(`application/json with ${fieldsOf(req)}`, `${r.status} ${r.contentType}: ${(r.body ?? "").slice(0, 60)}`,
        t("接口返回了 HTML 而不是 JSON —— 后台会报 Unexpected token '<'：登录过期被跳转到登录页，或服务器错误页", "the API answered HTML instead of JSON — the admin backend then fails with Unexpected token '<': an expired login redirected to a login page, or a server error page"),
        t("重新登录后台；查看 `journalctl -u aistudio -n 50`；pulumi up 恢复 nginx 配置（/api/ 的错误页是 JSON）", "log in again; read `journalctl -u aistudio -n 50`; pulumi up restores the nginx site (its /api/ error pages are JSON)"));
    }
    if (r.status === 502 || r.status === 504) {
      return fail("HTTP 200 from the app", `${r.status} ${(r.body ?? "").slice(0, 100)}`,
        t(`nginx 连不上后端 gunicorn（127.0.0.1:${port}）`, `nginx cannot reach gunicorn on 127.0.0.1:${port}`),
        t(`\`systemctl restart aistudio\`，然后 \`ss -tlnp | grep ${port}\``, `\`systemctl restart aistudio\`, then \`ss -tlnp | grep ${port}\``));
    }
    return fail(`2xx application/json ${JSON.stringify(req.expect)}`, r.problems.join("; "),
      t("接口没有按预期应答", "the API did not answer as expected"),
      t("查看 `journalctl -u aistudio -n 50`", "read `journalctl -u aistudio -n 50`"));
  }),
};
