// DNS: does the domain resolve to the server? Sets ctx.address, where the network checks connect.
import { promises as dnsp } from "node:dns";
import * as fs from "node:fs";
import { t } from "../../core/text";
import { Check, fail, ok, skip } from "./check";

/** The address a hosts file gives the name (comments ignored); undefined without file or entry. */
export function lookupHostsFile(file: string | undefined, name: string): string | undefined {
  if (!file || !fs.existsSync(file)) return undefined;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const [ip, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (ip && names.includes(name)) return ip;
  }
  return undefined;
}

export const dnsCheck: Check = {
  id: "dns",
  title: t("域名解析到服务器", "DNS resolves the domain to the server"),
  run: async (tg, ctx) => {
    let addrs: string[] = [];
    const override = lookupHostsFile(tg.hostsFile, tg.domain);
    if (override) addrs = [override];
    else if (tg.connectTo) {
      ctx.address = tg.connectTo;
      return skip(`test stack: connecting to ${tg.connectTo} directly, DNS not used`);
    } else {
      try {
        addrs = await dnsp.resolve4(tg.domain);
      } catch (e) {
        if (!tg.serverIp) return skip(`cannot resolve (${(e as NodeJS.ErrnoException).code}); no server IP known to compare`);
        ctx.address = tg.connectTo ?? tg.serverIp;
        return fail(tg.serverIp, `no A record (${(e as NodeJS.ErrnoException).code})`,
          t("域名没有解析记录", "the domain has no A record"),
          t(`在 DNS（阿里云云解析）中为 ${tg.domain} 添加 A 记录指向 ${tg.serverIp}`, `add an A record for ${tg.domain} pointing at ${tg.serverIp} (Alibaba Cloud DNS)`));
      }
    }
    ctx.address = tg.connectTo ?? addrs[0];
    if (!tg.serverIp) return ok(addrs.join(", "));
    if (!addrs.includes(tg.serverIp)) {
      return fail(tg.serverIp, addrs.join(", "),
        t("域名解析到了别的服务器（或本机 hosts 文件覆盖了解析）", "the domain resolves to another server (or a hosts-file entry overrides it)"),
        t(`把 ${tg.domain} 的 A 记录改为 ${tg.serverIp}，并检查 hosts 文件`, `point the A record of ${tg.domain} at ${tg.serverIp} and check hosts files`));
    }
    return ok(addrs.join(", "), tg.serverIp);
  },
};
