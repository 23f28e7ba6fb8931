// The guide's API call: POST /api/user/visit must answer JSON success:true, not an HTML page.
import { APP_PORT, VISIT_PATH } from "../../core/constants";
import { t } from "../../core/text";
import { visit } from "../visit";
import { addressOf, Check, fail, ok, needs443 } from "./check";

export const apiJsonCheck: Check = {
  id: "api-json",
  title: t(`接口 POST ${VISIT_PATH} 返回 JSON success:true`, `API POST ${VISIT_PATH} answers JSON success:true`),
  run: needs443(async (tg, ctx) => {
    const r = await visit({ domain: tg.domain, connectTo: addressOf(tg, ctx), ca: ctx.ca }, `doctor-${Date.now()}`);
    if (r.ok) return ok(`HTTP ${r.status} ${r.body?.slice(0, 80)}`);
    const html = /html/i.test(r.contentType ?? "") || (r.body ?? "").trimStart().startsWith("<");
    if (html) {
      return fail("application/json with success:true", `${r.status} ${r.contentType}: ${(r.body ?? "").slice(0, 60)}`,
        t("接口返回了 HTML 而不是 JSON —— 后台会报 Unexpected token '<'：登录过期被跳转到登录页，或服务器错误页", "the API answered HTML instead of JSON — the admin backend then fails with Unexpected token '<': an expired login redirected to a login page, or a server error page"),
        t("重新登录后台；查看 `journalctl -u aistudio -n 50`；pulumi up 恢复 nginx 配置（/api/ 的错误页是 JSON）", "log in again; read `journalctl -u aistudio -n 50`; pulumi up restores the nginx site (its /api/ error pages are JSON)"));
    }
    if (r.status === 502 || r.status === 504) {
      return fail("HTTP 200 from the app", `${r.status} ${(r.body ?? "").slice(0, 100)}`,
        t(`nginx 连不上后端 gunicorn（127.0.0.1:${APP_PORT}）`, `nginx cannot reach gunicorn on 127.0.0.1:${APP_PORT}`),
        t(`\`systemctl restart aistudio\`，然后 \`ss -tlnp | grep ${APP_PORT}\``, `\`systemctl restart aistudio\`, then \`ss -tlnp | grep ${APP_PORT}\``));
    }
    return fail("2xx application/json {\"success\":true}", r.problems.join("; "),
      t("接口没有按预期应答", "the API did not answer as expected"),
      t("查看 `journalctl -u aistudio -n 50`", "read `journalctl -u aistudio -n 50`"));
  }),
};
