// The guide's error texts → the checks that explain them, which then run first.
import { CHECKS } from "./checks";

export const ERROR_MAP: { match: RegExp; label: string; checks: string[] }[] = [
  { match: /ERR_CONNECTION_CLOSED|CONNECTION_CLOSED/i, label: "net::ERR_CONNECTION_CLOSED", checks: ["tcp443", "security-group", "ufw443", "server-services", "tls-cert", "tls-versions"] },
  { match: /600002|not in domain list|url not in/i, label: "url not in domain list (600002)", checks: ["wechat-domains", "domain", "miniprogram", "dns"] },
  { match: /Unexpected token/i, label: "Unexpected token '<'", checks: ["admin-json", "api-json", "server-services"] },
  { match: /dev ?tools|开发者工具|真机|phone/i, label: "works in dev tools, not on the phone", checks: ["tls-cert", "tls-versions", "domain", "miniprogram"] },
  { match: /request:fail/i, label: "request:fail", checks: ["domain", "dns", "tcp443", "tls-cert", "tls-versions", "api-json"] },
];

/** Check ids in run order: the ones that explain the error first, then the rest in guide order. */
export function orderFor(error?: string): string[] {
  const ids = CHECKS.map((c) => c.id);
  if (!error) return ids;
  const m = ERROR_MAP.find((e) => e.match.test(error));
  if (!m) return ids;
  return [...m.checks, ...ids.filter((i) => !m.checks.includes(i))];
}
