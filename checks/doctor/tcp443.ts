// TCP 443: can anything connect at all? When not, the TLS and API checks are skipped (ctx.no443).
import { t } from "../../core/text";
import { tcpReachable } from "../tls";
import { addressOf, Check, fail, httpsPortOf, ok } from "./check";

export const tcp443Check: Check = {
  id: "tcp443",
  title: t("443 端口可连接", "TCP 443 is reachable"),
  run: async (tg, ctx) => {
    const addr = `${addressOf(tg, ctx)}:${httpsPortOf(tg)}`;
    const r = await tcpReachable(addressOf(tg, ctx), httpsPortOf(tg));
    if (r.ok) return ok(`${addr} open`);
    ctx.no443 = `${addr} unreachable`;
    return fail(`${addr} accepts connections`, r.error ?? "closed",
      t("443 端口不通：安全组或 ufw 未放行 443，或 nginx 没有监听 443（这正是 net::ERR_CONNECTION_CLOSED 的常见原因）", "port 443 is closed: the security group or ufw does not allow 443, or nginx is not listening (the usual cause of net::ERR_CONNECTION_CLOSED)"),
      t("在阿里云安全组入方向放行 443/tcp，执行 `ufw allow 443/tcp`，确认 `systemctl status nginx` 为 active", "allow 443/tcp inbound in the Alibaba Cloud security group, run `ufw allow 443/tcp`, and check `systemctl status nginx` is active"));
  },
};
