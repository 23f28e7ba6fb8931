// Rebuild of a fleet (issue #15): the servers one at a time, so the others serve throughout. For each:
//   1. out of the load balancer: weight 0, and wait until it serves nothing (core/lb/pool.ts drain)
//   2. the new server: the local stack's test host destroyed and booted fresh at the same address;
//      on Alibaba Cloud `up --replace` of that server's ECS instance
//   3. `pulumi up`: the new server converges, is smoke-tested, and its restore (infra/runner/rotation.ts),
//      which sees it at weight 0, puts it back and waits until the load balancer says healthy
//   4. checked in the pool: at full weight and healthy, before the next server goes out
// A fleet keeps no data on its servers (the database is external, uploads are in the shared store),
// so no backup is taken and none is restored. The first failure stops the rebuild: the servers not
// yet rebuilt keep serving, and the message names the server.
import { drain, inRotation } from "../core/lb/pool";
import { openPool } from "../core/lb/open";
import { readTesthost } from "../infra/testhost";
import { runTesthost } from "./testhost-script";
import type { FleetTarget } from "../checks/doctor/fleet";
import type { StackDriver } from "./driver";
import { readStack, StackView } from "./read-stack";
import { fleetTarget } from "./doctor-target";

const INSTANCE_TYPE = "alicloud:ecs/instance:Instance";
/** Longest wait for a server to drain before it is replaced. */
const DRAIN_TIMEOUT_MS = 120_000;

export interface FleetRebuildOutcome {
  ok: boolean;
  /** The servers rebuilt, in order (test host names or ECS instance URNs). */
  replaced: string[];
  data: "none";
  error?: string;
}

/** The ECS instance URN of server k (1-based) of a cloud fleet: aistudio-server, then aistudio-server-K. */
export function instanceUrnOf(urns: string[], k: number): string | undefined {
  const name = k === 1 ? "aistudio-server" : `aistudio-server-${k}`;
  return urns.find((u) => u.endsWith(`::${name}`));
}

export async function rebuildFleet(
  driver: StackDriver, view: StackView, fleet: FleetTarget,
  o: { onOutput?: (s: string) => void; say: (s: string) => void },
): Promise<FleetRebuildOutcome> {
  const replaced: string[] = [];
  const local = view.config.servers.testhosts;
  const state = ((await driver.exportState()).deployment as { resources?: { type: string; urn: string }[] }).resources ?? [];
  const instances = state.filter((r) => r.type === INSTANCE_TYPE).map((r) => r.urn);
  const stop = (error: string): FleetRebuildOutcome => ({ ok: false, replaced, data: "none", error });
  o.say("a fleet keeps no data on its servers (external database, shared uploads store): no backup is taken, none restored");

  for (const [i, server] of fleet.servers.entries()) {
    const label = `server ${i + 1}/${fleet.servers.length} (${server.member})`;
    // 1. out of rotation
    const pool = openPool(fleet.pool);
    try {
      const ms = await drain(pool, server.member, { timeoutMs: DRAIN_TIMEOUT_MS, onProgress: o.say });
      o.say(`${label}: out of ${pool.name} after ${(ms / 1000).toFixed(1)} s`);
    } catch (e) {
      return stop(`${label}: could not be taken out of the load balancer, so it was not replaced: ${(e as Error).message}`);
    } finally {
      await pool.close().catch(() => undefined);
    }
    // 2. the new server
    let replace: string[] = [];
    if (local) {
      const name = local.servers[i].name;
      const host = readTesthost(name);
      o.say(`${label}: booting a fresh test host ${name} at ${host.host}`);
      runTesthost(["down", name]);
      runTesthost(["up", name, "--ip", host.host]);
      replaced.push(name);
    } else {
      const urn = instanceUrnOf(instances, i + 1);
      if (!urn) return stop(`${label}: no ECS instance aistudio-server${i === 0 ? "" : `-${i + 1}`} in the stack`);
      o.say(`${label}: replacing ${urn}`);
      replace = [urn];
      replaced.push(urn);
    }
    // 3. converge; its restore puts it back once its smoke test passed
    const up = await driver.up({ replace, onOutput: o.onOutput });
    if (up.code !== 0) return stop(`${label}: pulumi up failed (exit ${up.code}); it stays out of the load balancer, the servers not yet rebuilt keep serving:\n${up.stderr.slice(-4000)}`);
    // 4. back in rotation before the next goes out (a replaced ECS instance has a new id: read it again)
    const member = local ? server.member : (fleetTarget(await readStack(driver))?.servers[i].member ?? server.member);
    const check = openPool(fleet.pool);
    try {
      const m = (await check.members()).find((x) => x.id === member);
      if (!m || !inRotation(m)) return stop(`${label}: rebuilt but not back in ${check.name} (${m ? `weight ${m.weight}, ${m.health}: ${m.detail}` : "not a member"})`);
    } finally {
      await check.close().catch(() => undefined);
    }
    o.say(`${label}: rebuilt and back in the load balancer`);
  }
  return { ok: true, replaced, data: "none" };
}
