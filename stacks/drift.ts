// Drift of a deployed stack: a preview with refresh (every RemoteStep re-reads the server over
// SSH, every cloud resource is re-read from its API; the state is not changed), turned into
// expected-vs-found items by checks/drift.ts.
import { DriftItem, driftFromPreview } from "../checks/drift";
import { StackDriver, StackSpec } from "./driver";

export type DriftOutcome =
  | { ok: true; items: DriftItem[]; pending: DriftItem[]; seconds: number }
  | { ok: false; error: string; seconds: number; code?: number };

export async function checkDrift(spec: StackSpec): Promise<DriftOutcome> {
  const t0 = Date.now();
  const seconds = () => (Date.now() - t0) / 1000;
  let driver: StackDriver;
  try {
    driver = await StackDriver.open(spec);
  } catch (e) {
    return { ok: false, error: (e as Error).message, seconds: seconds() };
  }
  const r = await driver.preview({ refresh: true, expectNoChanges: true });
  // "no changes were expected" is the drift itself, not a failure of the check
  const errors = r.errors.filter((m) => !/no changes were expected/.test(m));
  if (errors.length > 0 || (r.code !== 0 && r.steps.length === 0)) {
    const why = errors.join("\n") || r.stderr.split("\n").filter((l) => /error/i.test(l)).join("\n") || r.stderr;
    return { ok: false, error: why.slice(0, 4000), code: r.code, seconds: seconds() };
  }
  const all = driftFromPreview(r.steps);
  return { ok: true, items: all.filter((i) => i.kind !== "pending"), pending: all.filter((i) => i.kind === "pending"), seconds: seconds() };
}
