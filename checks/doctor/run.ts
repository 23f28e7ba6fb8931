// Runs the checks for one target: the server facts once over SSH, DNS first (it finds the address
// the others connect to), then the checks in the order the reported error asks for; last, the
// server's logs for the HTTP checks that failed. Which failure is named the cause: cause.ts.
import { appPortOf, CheckOutcome, CheckResult, DoctorContext, DoctorTarget, LogSource, titleOf } from "./check";
import { CHECKS } from "./checks";
import { orderFor } from "./errors";
import { attachEvidence, EvidenceReader, readLogsOverSsh } from "./evidence";
import { readServerFacts, ServerFacts } from "./server-facts";

export interface RunOptions {
  /** The error the mini program or the admin page shows: the checks that explain it run first. */
  error?: string;
  /** Each result as soon as its check ran (the evidence comes later, in the returned results). */
  onResult?: (r: CheckResult) => void;
  /** Reads the server facts (default: over SSH; tests inject them). */
  readFacts?: (tg: DoctorTarget) => Promise<ServerFacts>;
  /** Reads the server's logs for the evidence (default: over SSH; tests inject them). */
  readEvidence?: EvidenceReader;
}

const factsOverSsh = (tg: DoctorTarget) =>
  readServerFacts(tg.ssh!, tg.ca === "server-cert", appPortOf(tg), tg.data && { dataDir: tg.data.dataDir, volume: tg.data.volume, backup: !!tg.data.backup, database: tg.data.database });

export async function runDoctor(tg: DoctorTarget, o: RunOptions = {}): Promise<CheckResult[]> {
  const ctx: DoctorContext = {};
  ctx.server = tg.ssh ? await (o.readFacts ?? factsOverSsh)(tg) : {};
  ctx.ca = tg.ca === "server-cert" ? ctx.server.cert : tg.ca;
  const results: CheckResult[] = [];
  const logs = new Map<string, LogSource[]>();
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
    const { logs: named, ...outcome } = r;
    if (named) logs.set(id, named);
    const res: CheckResult = { id, title: titleOf(c, tg), ms: Date.now() - t0, ...outcome };
    results.push(res);
    o.onResult?.(res);
  }
  // after the checks: the journal then holds the traceback of the doctor's own request
  if (!ctx.server.error) await attachEvidence(results, logs, tg, o.readEvidence ?? readLogsOverSsh);
  return results;
}
