// Runs the checks for one target: the server facts once over SSH, DNS first (it finds the address
// the others connect to), then the checks in the order the reported error asks for.
import { CheckOutcome, CheckResult, DoctorContext, DoctorTarget } from "./check";
import { CHECKS } from "./checks";
import { orderFor } from "./errors";
import { readServerFacts } from "./server-facts";

export async function runDoctor(tg: DoctorTarget, o: { error?: string; onResult?: (r: CheckResult) => void } = {}): Promise<CheckResult[]> {
  const ctx: DoctorContext = {};
  ctx.server = tg.ssh ? await readServerFacts(tg.ssh, tg.ca === "server-cert") : {};
  ctx.ca = tg.ca === "server-cert" ? ctx.server.cert : tg.ca;
  const results: CheckResult[] = [];
  const byId = new Map(CHECKS.map((c) => [c.id, c]));
  // dns first whatever the order: the other network checks need the address it finds
  const order = orderFor(o.error);
  if (!ctx.address && order.indexOf("dns") > 0) {
    await byId.get("dns")!.run(tg, ctx).catch(() => undefined);
  }
  for (const id of order) {
    const c = byId.get(id)!;
    const t0 = Date.now();
    let r: CheckOutcome;
    try {
      r = await c.run(tg, ctx);
    } catch (e) {
      r = { status: "fail", found: `check crashed: ${(e as Error).message}` };
    }
    const res: CheckResult = { id, title: c.title, ms: Date.now() - t0, ...r };
    results.push(res);
    o.onResult?.(res);
  }
  return results;
}

/**
 * The cause the doctor names: of the failing checks, the one nearest the root. A stopped nginx
 * also fails "TCP 443" and "API", but nginx is the cause; a closed ufw port also fails TCP 443,
 * but the firewall is the cause.
 */
export const ROOT_CAUSE_ORDER = [
  "domain", "wechat-domains", "dns", "security-group", "ufw443", "server-services", "tls-cert", "tls-versions", "tcp443", "api-json", "http-redirect", "miniprogram",
];

export function firstFailure(results: CheckResult[]): CheckResult | undefined {
  const failing = results.filter((r) => r.status === "fail");
  return failing.sort((a, b) => ROOT_CAUSE_ORDER.indexOf(a.id) - ROOT_CAUSE_ORDER.indexOf(b.id))[0];
}
