// The request domain itself: WeChat accepts only https://<domain name>, no port, no IP.
import { isIP } from "node:net";
import { t } from "../../core/text";
import { Check, fail, ok } from "./check";

/** Would WeChat refuse https://<d> as a request domain (a scheme, a port, an IP, localhost, no top-level domain)? */
export function badDomain(d: string): boolean {
  return /^[a-z]+:\/\//i.test(d) || /:\d+$/.test(d) || isIP(d) !== 0 || d === "localhost" || !/\.[a-z]{2,}$/i.test(d);
}

export const domainCheck: Check = {
  id: "domain",
  title: t("请求域名符合微信要求（https、无端口、非 IP）", "request domain is valid for WeChat (https, no port, not an IP)"),
  run: async (tg) => {
    const url = `https://${tg.domain}`;
    if (badDomain(tg.domain)) {
      return fail("https://<domain> without port, a domain name", url,
        t("微信只接受 https 域名：不能带端口（如 :443）、不能是 IP 或 localhost、必须有顶级域名（如 .com）", "WeChat accepts only https domain names: no port (e.g. :443), no IP or localhost, and a top-level domain (e.g. .com)"),
        t("把 request合法域名 和 config.js 改为 https://photogooo.com 这种形式", "use the form https://photogooo.com in the request domain list and in config.js"));
    }
    return ok(url);
  },
};
