// The switch of a cloud rebuild beside the old server (stacks/rebuild-standby.ts), as a rewrite of the
// stack's state: the standby server the program declared beside the old one takes the old one's
// names, so the program in its normal mode finds the new server where it looks for its server and
// changes nothing on it.
//
// The program names a standby resource after its twin with `-standby` after the component's name
// (infra/components/cloud.ts, data-cloud.ts, infra/index.ts):
//   aistudio-server        ECS instance          <- aistudio-standby-server
//   aistudio-data          data disk             <- aistudio-standby-data
//   aistudio-data-attach, aistudio-data-snapshots-attach
//   aistudio               the server's steps    <- aistudio-standby (and each step, and the smoke test)
// The rewrite, pure (planSwap, applySwap):
//   - each standby resource takes its twin's URN ("promote"), and its protect and retainOnDelete
//   - the twin, when it is a cloud resource, is renamed aistudio-retired-… ("retire"): not declared,
//     the next `up` deletes it (the old instance is released; the old disk, protected on prod, loses
//     `protect` here and, with retainOnDelete recorded in the state, stays in the account)
//   - the twin, when it is a record of the old server's steps, is dropped: those records describe a
//     machine that is going, and deleting a step does nothing on a server anyway
//   - a standby resource without a twin (the temporary address) keeps its name: the next `up`, in the
//     normal mode, deletes it
// Every reference (parent, dependencies, property dependencies) follows the new names; the order of
// the resources is kept, so every resource still comes after what it depends on.
import type { Deployment } from "@pulumi/pulumi/automation";

export interface StateResource {
  urn: string;
  type: string;
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  deletedWith?: string;
  protect?: boolean;
  retainOnDelete?: boolean;
  [k: string]: unknown;
}

export interface SwapPlan {
  /** [standby URN, the URN it takes]: the new server under the old one's names. */
  promote: Array<[string, string]>;
  /** [old URN, its retired URN]: the old server's cloud resources, deleted by the next `up`. */
  retire: Array<[string, string]>;
  /** The old server's step records (and anything under them), dropped from the state. */
  drop: string[];
}

const PROVISIONING_TYPE = "aistudio:server:Provisioning";
const INSTANCE_TYPE = "alicloud:ecs/instance:Instance";

/** The resources of an exported state. */
export const resourcesOf = (deployment: Deployment): StateResource[] => (deployment.deployment as { resources?: StateResource[] }).resources ?? [];

/** A URN's type chain (everything before the name) and its name. */
export function splitUrn(urn: string): { prefix: string; name: string } {
  const i = urn.lastIndexOf("::");
  return { prefix: urn.slice(0, i), name: urn.slice(i + 2) };
}

/** The name of a standby resource's twin, or undefined when `name` is not a standby name of `base`. */
export function twinName(name: string, base: string): string | undefined {
  const standby = `${base}-standby`;
  if (name === standby) return base;
  return name.startsWith(`${standby}-`) ? `${base}${name.slice(standby.length)}` : undefined;
}

/** The retired name of an old resource: aistudio-server -> aistudio-retired-server. */
export const retiredName = (name: string, base: string): string => `${base}-retired${name.slice(base.length)}`;

/** What the switch does to a state whose program declared a standby beside the server `base`. */
export function planSwap(resources: StateResource[], base = "aistudio", o: { serverType?: string } = {}): SwapPlan {
  const serverType = o.serverType ?? INSTANCE_TYPE;
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const plan: SwapPlan = { promote: [], retire: [], drop: [] };
  for (const r of resources) {
    const { prefix, name } = splitUrn(r.urn);
    const twin = twinName(name, base);
    if (!twin) continue;
    const twinUrn = `${prefix}::${twin}`;
    const old = byUrn.get(twinUrn);
    if (!old) continue;
    plan.promote.push([r.urn, twinUrn]);
    // the old server's step records: the component, its steps and smoke test (types under it)
    if (old.type === PROVISIONING_TYPE || prefix.includes(`${PROVISIONING_TYPE}$`)) plan.drop.push(twinUrn);
    else {
      const retired = `${prefix}::${retiredName(twin, base)}`;
      if (byUrn.has(retired)) {
        throw new Error(`${retired} is still in the state: an earlier rebuild did not finish. Run \`pulumi up\` (it deletes the retired server) before rebuilding again`);
      }
      plan.retire.push([twinUrn, retired]);
    }
  }
  // anything whose parent is dropped goes with it
  const dropped = new Set(plan.drop);
  for (const r of resources) if (r.parent && dropped.has(r.parent) && !dropped.has(r.urn)) { dropped.add(r.urn); plan.drop.push(r.urn); }
  if (!plan.promote.some(([from]) => byUrn.get(from)?.type === serverType)) {
    throw new Error(`no standby server (${base}-standby-server, ${serverType}) beside ${base}-server in the state: there is nothing to switch to`);
  }
  return plan;
}

/** The deployment with the plan applied (a new object; the input is not changed). */
export function applySwap(deployment: Deployment, plan: SwapPlan): Deployment {
  const d = deployment.deployment as { resources?: StateResource[]; pending_operations?: unknown[] };
  if (d.pending_operations?.length) {
    throw new Error(`the state has ${d.pending_operations.length} pending operation(s) from an interrupted run: resolve them (\`pulumi refresh\`) before the switch`);
  }
  const rename = new Map<string, string>([...plan.promote, ...plan.retire]);
  const drop = new Set(plan.drop);
  const retired = new Set(plan.retire.map(([, to]) => to));
  const map = (urn: string) => rename.get(urn) ?? urn;
  // a promoted resource is kept as its twin was: the standby's disk, unprotected while it could be
  // given up, is the server's disk from here, protected and retained as the old one was (the next
  // `up` would say so too, but a switch that stops before it must not leave the live disk open)
  const before = new Map((d.resources ?? []).map((r) => [r.urn, r]));
  const keptAs = new Map(plan.promote.map(([from, to]) => [from, before.get(to)]));
  const refs = (urns: string[] | undefined) => urns?.filter((u) => !drop.has(u)).map(map);
  const resources = (d.resources ?? []).filter((r) => !drop.has(r.urn)).map((r) => {
    const out: StateResource = { ...r, urn: map(r.urn) };
    if (r.parent) out.parent = map(r.parent);
    if (r.dependencies) out.dependencies = refs(r.dependencies);
    if (r.propertyDependencies) out.propertyDependencies = Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, refs(v) ?? []]));
    if (r.deletedWith) {
      if (drop.has(r.deletedWith)) delete out.deletedWith;
      else out.deletedWith = map(r.deletedWith);
    }
    // the rebuild decided to let the old data disk go from the stack (retainOnDelete keeps it in the account)
    if (retired.has(out.urn)) out.protect = false;
    const twin = keptAs.get(r.urn);
    if (twin) {
      if (twin.protect) out.protect = true; else delete out.protect;
      if (twin.retainOnDelete) out.retainOnDelete = true; else delete out.retainOnDelete;
    }
    return out;
  });
  return { ...deployment, deployment: { ...d, resources } };
}

/**
 * The deployment with no record of a dependency on `urns`: `destroy --target` refuses to delete a
 * resource others depend on (it would have to delete them too). The rebuild deletes the two EIP
 * associations that way, and the steps' components (dependsOn the server's component) and the DNS
 * record (dependsOn the association) depend on them. The next `up` records its dependencies anew.
 */
export function withoutDependencyOn(deployment: Deployment, urns: string[]): Deployment {
  const d = deployment.deployment as { resources?: StateResource[] };
  const gone = new Set(urns);
  const keep = (list: string[]) => list.filter((u) => !gone.has(u));
  const resources = (d.resources ?? []).map((r) => ({
    ...r,
    ...(r.dependencies ? { dependencies: keep(r.dependencies) } : {}),
    ...(r.propertyDependencies ? { propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, keep(v)])) } : {}),
  }));
  return { ...deployment, deployment: { ...d, resources } };
}
