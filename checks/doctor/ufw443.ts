// On the server (over SSH): the host firewall is on and lets 443/tcp in.
import { t } from "../../core/text";
import { Check, fail, ok, skip, needsSsh, warn } from "./check";

export const ufw443Check: Check = {
  id: "ufw443",
  title: t("服务器防火墙 ufw 放行 443", "server firewall (ufw) allows 443"),
  run: needsSsh(async (tg, ctx) => {
    const s = ctx.server ?? {};
    if (s.error) return skip("no SSH session");
    const ufw = s.ufw ?? "";
    if (!/Status: active/.test(ufw)) return warn("ufw active, 443/tcp ALLOW", "ufw inactive", t("ufw 未启用", "ufw is not active"), t("pulumi up 会启用并配置 ufw", "pulumi up enables and configures ufw"));
    if (!/^443\/tcp\s+ALLOW/m.test(ufw)) {
      return fail("443/tcp ALLOW IN", ufw.split("\n").filter((l) => /ALLOW|DENY/.test(l)).join("; ") || "no rules",
        t("ufw 没有放行 443", "ufw does not allow 443"),
        t("`ufw allow 443/tcp`（pulumi up 会恢复规则）", "`ufw allow 443/tcp` (pulumi up restores the rules)"));
    }
    return ok("443/tcp ALLOW IN");
  }),
};
