// Rebuild: replace the server with a fresh one, converge it, keep its data, compare the fingerprint.
//   1. a fresh backup (stacks with backups): if it fails, nothing is touched and the old server serves on
//   2. the new server: alicloud stacks `up --replace <the ECS instance>` (the EIP, so the address, DNS
//      and the WeChat domain, is kept; cloud-init installs the same pinned host key; the data disk's
//      attachment is replaced delete-first, so the same disk moves to the new instance); the local
//      stack's test host is destroyed and booted fresh at the same address with the same volume
//   3. `pulumi up` converges it: the volume step mounts the data volume as it is (never formats it)
//   4. the data moved with the volume when its filesystem is the one from before; when the volume is
//      new (the disk was lost), the backup from step 1 is restored and the server smoke-tested again
// Equal fingerprints mean the same server was rebuilt. A fleet (servers.count > 1) is rebuilt one
// server at a time, each taken out of the load balancer first (stacks/fleet-rebuild.ts). The local
// stack's one server is rebuilt beside the old one (stacks/rebuild-beside.ts), an Alibaba Cloud
// stack's beside it as a standby (stacks/rebuild-standby.ts): a failure leaves the old server serving.
// Either stays in place when its data can only move with its volume (a volume and no backups) or
// --in-place is asked for; the steps above are the in-place rebuild.
import { parseProbe } from "../core/probe";
import { readTesthost } from "../infra/testhost";
import { runTesthost } from "./testhost-script";
import { backupNow, backupTargetOf, restoreSnapshot } from "./backup";
import { StackDriver, StackSpec } from "./driver";
import { readStack } from "./read-stack";
import { fleetTarget } from "./doctor-target";
import { rebuildFleet } from "./fleet-rebuild";
import { BesideOutcome, rebuildBeside } from "./rebuild-beside";
import { rebuildStandby } from "./rebuild-standby";

export interface RebuildOutcome {
  ok: boolean;
  before?: string;
  after?: string;
  /** What was replaced: the ECS instance (its URN in place), or the test host's name. */
  replaced?: string;
  /** The snapshot taken before the rebuild. */
  backup?: string;
  /**
   * How the data reached the new server: on its volume, restored from the backup, handed over (a last
   * backup with the old app paused, restored on the new server built beside it), or not at all.
   */
  data?: "volume" | "restored" | "handover" | "none";
  /** Built beside the old server: the backup restored on the new one, and how long the old app was paused. */
  handover?: string;
  pausedSeconds?: number;
  error?: string;
  seconds: number;
}

const INSTANCE_TYPE = "alicloud:ecs/instance:Instance";

interface StateResource { type: string; urn: string; outputs?: Record<string, unknown> }

/** The filesystem UUID the volume step last saw mounted at the data dir (its probe record), if any. */
export function volumeUuid(resources: StateResource[]): string | undefined {
  const step = resources.find((r) => r.urn.endsWith("::aistudio-volume") && r.outputs?.stepId === "volume");
  const rec = parseProbe(String(step?.outputs?.observed ?? step?.outputs?.expected ?? "")).find((r) => r.kind === "mount");
  return rec?.fields.uuid || undefined;
}

export async function rebuild(spec: StackSpec, o: { onOutput?: (s: string) => void; say?: (s: string) => void; inPlace?: boolean } = {}): Promise<RebuildOutcome> {
  const t0 = Date.now();
  const seconds = () => Math.round((Date.now() - t0) / 100) / 10;
  const say = o.say ?? (() => undefined);
  const driver = await StackDriver.open(spec);
  const resourcesOf = async () => ((await driver.exportState()).deployment as { resources?: StateResource[] }).resources ?? [];
  const before = (await driver.outputs().catch(() => ({} as Record<string, unknown>))).fingerprint as string | undefined;
  // the stack as it is: the parsed config (Pulumi.yaml's defaults, such as `backup: {}`, mean
  // nothing set) and, with backups, the server the fresh backup is taken from
  const view = await readStack(driver);
  const config = view.config;
  const target = config.backup ? backupTargetOf(view, spec.name) : undefined;
  // a fleet: its servers one at a time, each out of the load balancer while it is replaced (fleet-rebuild.ts)
  const fleet = fleetTarget(view);
  if (fleet) {
    const r = await rebuildFleet(driver, view, fleet, { onOutput: o.onOutput, say });
    return { ...r, replaced: r.replaced.join(", "), before, after: (await driver.outputs().catch(() => ({} as Record<string, unknown>))).fingerprint as string | undefined, seconds: seconds() };
  }

  // the local stack's test host, read once for either way of rebuilding it
  const testhostName = config.target === "local" ? (await driver.config())["aistudio:testhost"] : undefined;
  if (config.target === "local" && !testhostName) return { ok: false, error: "aistudio:testhost is not set: the local stack has no test host to rebuild", seconds: seconds() };

  // an earlier cloud rebuild's standby is finished or released by a rebuild beside, never stepped over
  if (o.inPlace && config.cloud?.standby) {
    return { ok: false, error: `aistudio:standby is set (${config.cloud.standby}): an earlier rebuild left a standby beside the server. Run the rebuild without --in-place first: it finishes that rebuild's switch or releases its standby`, seconds: seconds() };
  }
  // one server: beside the old one, unless the data can only move with the volume
  const created = config.target === "alicloud" && !config.cloud?.adopt;
  if ((testhostName || created) && !o.inPlace) {
    const volume = testhostName ? !!readTesthost(testhostName).volume : !!config.volume;
    if (config.backup || !volume) {
      const r: BesideOutcome = testhostName
        ? await rebuildBeside(driver, view, testhostName, { onOutput: o.onOutput, say })
        : await rebuildStandby(driver, view, { onOutput: o.onOutput, say });
      const after = r.ok ? (await driver.outputs().catch(() => ({} as Record<string, unknown>))).fingerprint as string | undefined : undefined;
      return { ok: r.ok, before, after, replaced: testhostName ?? `the ECS instance (the new one was built beside it at ${r.built ?? "its temporary address"})`, backup: r.backup, handover: r.handover, pausedSeconds: r.pausedSeconds, data: r.data, error: r.error, seconds: seconds() };
    }
    say("a data volume and no backups (aistudio:backup): the data can only move with the volume, so the old server is replaced where it stands");
  }

  // 1. a fresh backup first: the rebuild must never be the moment data is lost
  let snapshot: string | undefined;
  if (target) {
    say("backing up the current server first");
    try {
      snapshot = (await backupNow(target, (l) => say(l))).snapshot;
      say(`backup ${snapshot.slice(0, 8)} taken`);
    } catch (e) {
      return { ok: false, before, error: `the backup before the rebuild failed, so nothing was replaced (the old server keeps serving): ${(e as Error).message}`, seconds: seconds() };
    }
  }
  const stateBefore = await resourcesOf();
  const uuidBefore = volumeUuid(stateBefore);

  // 2. the new server
  let replace: string[] = [];
  let replaced: string;
  if (testhostName) {
    const name = testhostName;
    const host = readTesthost(name);
    say(`rebuilding test host ${name} at ${host.host}${host.volume ? ` with its volume ${host.volume}` : ""}`);
    runTesthost(["down", name]);
    runTesthost(["up", name, "--ip", host.host, ...(host.volume ? ["--volume", host.volume] : [])]);
    replaced = name;
  } else {
    const urn = stateBefore.find((r) => r.type === INSTANCE_TYPE)?.urn;
    if (!urn) return { ok: false, before, backup: snapshot, error: `no ECS instance in stack ${spec.name} (adopted servers are not rebuilt by Pulumi)`, seconds: seconds() };
    say(`replacing ${urn}`);
    replace = [urn];
    replaced = urn;
  }

  // 3. converge
  const up = await driver.up({ replace, onOutput: o.onOutput });
  if (up.code !== 0) return { ok: false, before, replaced, backup: snapshot, error: `pulumi up failed (exit ${up.code}):\n${up.stderr.slice(-4000)}`, seconds: seconds() };
  const after = (await driver.outputs()).fingerprint as string | undefined;

  // 4. the data: on the same volume, or back from the backup
  const uuidAfter = volumeUuid(await resourcesOf());
  let data: RebuildOutcome["data"] = "none";
  if (uuidAfter && uuidAfter === uuidBefore) {
    data = "volume";
    say(`the data volume (${uuidAfter}) moved to the new server`);
  } else if (target && snapshot) {
    say(`the data volume is new (${uuidBefore ?? "none"} -> ${uuidAfter ?? "none"}): restoring backup ${snapshot.slice(0, 8)}`);
    try {
      // read again: a new test host has a new host key (an ECS server keeps its pinned one)
      await restoreSnapshot(backupTargetOf(await readStack(driver), spec.name), snapshot, (l) => say(l));
    } catch (e) {
      return { ok: false, before, after, replaced, backup: snapshot, error: `the restore of backup ${snapshot.slice(0, 8)} on the new server failed: ${(e as Error).message}`, seconds: seconds() };
    }
    data = "restored";
  }
  return { ok: true, before, after, replaced, backup: snapshot, data, seconds: seconds() };
}
