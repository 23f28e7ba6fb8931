// Which failing check the doctor names as the most likely cause.
//
// The rule:
//   1. No --error, or one the table (errors.ts) does not know: the failing check nearest the root,
//      by ROOT_CAUSE_ORDER.
//   2. A recognised --error: the failures that can explain that message come first. Those are the
//      failing checks in the message's row, plus every failing check that explains one of them
//      (EXPLAINS, or the failure's own `explains`), transitively: a stopped nginx explains a closed
//      443, which explains a failed TLS handshake. Among them, ROOT_CAUSE_ORDER again, so a real
//      root cause (a stopped nginx, a closed firewall) still wins over its symptoms whatever the
//      message. Failures the message cannot come from (a missing console domain for a certificate
//      error) are named only when nothing that explains the message failed.
// So with a missing upload domain and an expired certificate, no --error names wechat-domains,
// `--error net::ERR_CERT_DATE_INVALID` names tls-cert; with a stopped nginx both name
// server-services.
import type { CheckResult } from "./check";
import { recognise } from "./errors";

/**
 * Nearest the root first. A stopped nginx also fails "TCP 443" and "API", but nginx is the cause; a
 * closed ufw port also fails TCP 443, but the firewall is the cause; a closed 443 also fails the TLS
 * handshake of a check run before it. A stopped app fails both APIs, but server-services names it;
 * when only the APIs fail, the admin API's verdict (login page, app error, nginx page) is sharper.
 */
export const ROOT_CAUSE_ORDER = [
  "domain", "wechat-domains", "dns", "security-group", "ufw443", "data-volume", "server-services", "load-balancer", "database", "tcp443", "tls-cert", "tls-versions", "admin-json", "api-json", "http-redirect", "miniprogram", "backup",
  "clock", "fail2ban", "security-updates", "reboot-required",
];

/**
 * The checks a failing check usually makes fail too (its symptoms). A result's own `explains`
 * narrows this: a stopped app (not nginx) explains the APIs only, a certificate that is still valid
 * for a few days explains nothing. Every arrow points down ROOT_CAUSE_ORDER (a unit test says so).
 */
export const EXPLAINS: Record<string, string[]> = {
  domain: ["wechat-domains", "dns"],
  dns: ["tcp443", "tls-cert", "tls-versions", "admin-json", "api-json", "http-redirect"],
  "security-group": ["tcp443"],
  ufw443: ["tcp443"],
  "data-volume": ["server-services", "database", "backup", "admin-json", "api-json"],
  database: ["admin-json", "api-json"],
  // every server of a fleet out: the load balancer answers 503 for the APIs
  "load-balancer": ["admin-json", "api-json"],
  "server-services": ["tcp443", "tls-cert", "tls-versions", "admin-json", "api-json", "http-redirect"],
  tcp443: ["tls-cert", "tls-versions", "admin-json", "api-json"],
  "tls-cert": ["admin-json", "api-json"],
};

const explainsOf = (r: CheckResult): string[] => r.explains ?? EXPLAINS[r.id] ?? [];

export function firstFailure(results: CheckResult[], error?: string): CheckResult | undefined {
  const failing = results.filter((r) => r.status === "fail").sort((a, b) => ROOT_CAUSE_ORDER.indexOf(a.id) - ROOT_CAUSE_ORDER.indexOf(b.id));
  const entry = recognise(error);
  if (!entry) return failing[0];
  const why = new Set(failing.filter((r) => entry.checks.includes(r.id)).map((r) => r.id));
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of failing) {
      if (!why.has(r.id) && explainsOf(r).some((id) => why.has(id))) {
        why.add(r.id);
        grew = true;
      }
    }
  }
  return failing.find((r) => why.has(r.id)) ?? failing[0];
}
