// The dynamic provider behind SmokeTest (infra/components/smoke-test.ts); the check itself is
// checks/smoke.ts, shared with the commands.
import { SmokeTarget, smokeOrThrow } from "../../checks/smoke";

export interface SmokeInputs extends SmokeTarget {
  triggers: string[];
}

async function check(i: SmokeInputs) {
  const { result, attempts, seconds } = await smokeOrThrow(i);
  return { ...i, status: result.status, body: result.body, attempts, seconds };
}

export async function create(i: SmokeInputs) {
  return { id: `smoke-${i.domain}`, outs: await check(i) };
}
export async function update(_id: string, _o: unknown, n: SmokeInputs) {
  return { outs: await check(n) };
}
export function diff(_id: string, o: SmokeInputs, n: SmokeInputs) {
  const changes = JSON.stringify(o.triggers) !== JSON.stringify(n.triggers) || o.domain !== n.domain || o.connectTo !== n.connectTo ||
    JSON.stringify(o.request ?? null) !== JSON.stringify(n.request ?? null) || JSON.stringify(o.probes ?? []) !== JSON.stringify(n.probes ?? []);
  return { changes };
}
