// Port 80: redirects to https://<domain> (and stays open for ACME renewals). A warning at worst.
import * as http from "node:http";
import { VISIT_PATH } from "../../core/constants";
import { t } from "../../core/text";
import { addressOf, Check, ok, warn } from "./check";

/** GET http://<address>/<path> with Host: domain; the redirect it answers with, or the error. */
function getHttp(address: string, domain: string, path: string): Promise<{ status?: number; location?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: address, port: 80, path, headers: { Host: domain }, timeout: 5000, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode, location: String(res.headers.location ?? "") });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ error: e.message }));
    req.end();
  });
}

export const httpRedirectCheck: Check = {
  id: "http-redirect",
  title: t("HTTP 跳转到 HTTPS", "HTTP redirects to HTTPS"),
  run: async (tg, ctx) => {
    const r = await getHttp(addressOf(tg, ctx), tg.domain, VISIT_PATH);
    const want = `https://${tg.domain}${VISIT_PATH}`;
    if (r.status && [301, 302, 307, 308].includes(r.status) && r.location === want) return ok(`${r.status} → ${r.location}`);
    return warn(`308 → ${want}`, r.error ?? `${r.status} ${r.location ?? ""}`,
      t("80 端口没有跳转到 HTTPS（ACME 续期也需要 80 端口）", "port 80 does not redirect to HTTPS (ACME renewal needs port 80 too)"),
      t("安全组和 ufw 放行 80/tcp，pulumi up 恢复 nginx 配置", "allow 80/tcp in the security group and ufw; pulumi up restores the nginx site"));
  },
};
