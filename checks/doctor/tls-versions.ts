// Protocol versions: WeChat on phones needs TLS 1.2; TLS 1.0/1.1 must be refused.
import { t } from "../../core/text";
import { acceptsVersion } from "../tls";
import { addressOf, Check, fail, ok, needs443 } from "./check";

export const tlsVersionsCheck: Check = {
  id: "tls-versions",
  title: t("接受 TLS 1.2，拒绝 TLS 1.0/1.1", "TLS 1.2 accepted, TLS 1.0/1.1 refused"),
  run: needs443(async (tg, ctx) => {
    const target = { domain: tg.domain, address: addressOf(tg, ctx), port: tg.port, ca: ctx.ca };
    const [v12, v11, v10] = await Promise.all([acceptsVersion(target, "TLSv1.2"), acceptsVersion(target, "TLSv1.1"), acceptsVersion(target, "TLSv1")]);
    const found = `TLS1.2 ${v12 ? "accepted" : "refused"}, TLS1.1 ${v11 ? "accepted" : "refused"}, TLS1.0 ${v10 ? "accepted" : "refused"}`;
    if (!v12) {
      return fail("TLS1.2 accepted", found,
        t("服务器不接受 TLS 1.2：部分手机的微信只支持 TLS 1.2", "the server refuses TLS 1.2: WeChat on many phones needs it"),
        t("nginx 中设置 `ssl_protocols TLSv1.2 TLSv1.3;` 然后 `systemctl reload nginx`（pulumi up 会恢复正确配置）", "set `ssl_protocols TLSv1.2 TLSv1.3;` in nginx and reload (pulumi up restores the managed config)"));
    }
    if (v11 || v10) {
      return fail("TLS1.0/1.1 refused", found,
        t("服务器仍接受已淘汰的 TLS 1.0/1.1", "the server still accepts obsolete TLS 1.0/1.1"),
        t("nginx 中只保留 `ssl_protocols TLSv1.2 TLSv1.3;`", "keep only `ssl_protocols TLSv1.2 TLSv1.3;` in nginx"));
    }
    return ok(found);
  }),
};
