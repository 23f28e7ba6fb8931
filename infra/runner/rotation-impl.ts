// The dynamic provider behind Rotation (infra/runner/rotation.ts): drain and restore are
// core/lb/pool.ts's, on the pool that core/lb/open.ts opens from the spec.
import { FULL_WEIGHT, drain, inRotation, restore } from "../../core/lb/pool";
import { PoolSpec, openPool } from "../../core/lb/open";
import type { Phase } from "./rotation";
import { serializeRecord } from "../../core/probe";

export interface RotationInputs {
  pool: PoolSpec;
  member: string;
  release: string;
  phase: Phase;
  timeoutSeconds: number;
  drainSeconds: number;
}

const progress = (line: string) => console.log(`[rotation] ${line}`);

/**
 * The restore's place in the pool as a probe record (core/probe.ts), so drift (checks/drift.ts)
 * reports a server left out of rotation as expected vs found like any server item. The health's
 * detail is left out: it changes with every check.
 */
export function rotationRecord(member: string, o: { weight: number | string; health: string }): string {
  return serializeRecord({ kind: "rotation", subject: member, fields: { weight: String(o.weight), health: o.health } });
}
const EXPECTED = (member: string) => rotationRecord(member, { weight: FULL_WEIGHT, health: "healthy" });

async function act(i: RotationInputs): Promise<RotationInputs & { ms: number; expected?: string; observed?: string }> {
  const pool = openPool(i.pool);
  try {
    const o = { timeoutMs: i.timeoutSeconds * 1000, onProgress: progress };
    const ms = i.phase === "drain"
      ? await drain(pool, i.member, { ...o, minMs: i.drainSeconds * 1000 })
      : await restore(pool, i.member, o);
    progress(`${i.member} ${i.phase === "drain" ? "out of" : "back in"} ${pool.name} after ${(ms / 1000).toFixed(1)} s`);
    return i.phase === "restore" ? { ...i, ms, expected: EXPECTED(i.member), observed: EXPECTED(i.member) } : { ...i, ms };
  } finally {
    await pool.close();
  }
}

export async function create(i: RotationInputs) {
  return { id: `${i.phase}-${i.member}`, outs: await act(i) };
}

export async function update(_id: string, _o: RotationInputs, n: RotationInputs) {
  return { outs: await act(n) };
}

/** Refresh: the restore reads the member's weight and health from the pool (drift compares them with full and healthy). */
export async function read(id: string, props: RotationInputs & { expected?: string; observed?: string }) {
  if (props.phase !== "restore") return { id, props };
  let observed: string;
  const pool = openPool(props.pool);
  try {
    const m = (await pool.members()).find((x) => x.id === props.member);
    observed = m ? rotationRecord(props.member, m) : rotationRecord(props.member, { weight: "absent", health: "absent" });
  } catch (e) {
    observed = rotationRecord(props.member, { weight: "unknown", health: `unreadable: ${(e as Error).message.split("\n")[0]}` });
  } finally {
    await pool.close().catch(() => undefined);
  }
  return { id, props: { ...props, expected: EXPECTED(props.member), observed } };
}

/** Whether the pool shows the member out of rotation: weight below full, or not healthy. */
async function outOfRotation(i: RotationInputs): Promise<string | undefined> {
  const pool = openPool(i.pool);
  try {
    const m = (await pool.members()).find((x) => x.id === i.member);
    if (!m) return `not in ${pool.name}`;
    if (inRotation(m)) return undefined;
    return m.weight < FULL_WEIGHT ? `weight ${m.weight} in ${pool.name}` : `${m.health} in ${pool.name} (${m.detail})`;
  } catch (e) {
    return `the load balancer could not be read: ${(e as Error).message.split("\n")[0]}`;
  } finally {
    await pool.close().catch(() => undefined);
  }
}

export async function diff(_id: string, o: RotationInputs, n: RotationInputs) {
  if (o.release !== n.release || o.member !== n.member || o.phase !== n.phase) return { changes: true };
  if (n.phase === "restore") {
    const why = await outOfRotation(n);
    if (why) {
      progress(`${n.member} is ${why}: it will be put back`);
      return { changes: true };
    }
  }
  return { changes: false };
}
