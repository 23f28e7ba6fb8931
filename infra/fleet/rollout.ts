// The rolling deploy of a fleet (issue #15), declared: each server's provisioning sits between two
// Rotation resources (infra/runner/rotation.ts) that take it out of the load balancer and put it
// back, and the next batch's drain waits for this batch's restore. A change that touches the
// servers therefore reaches them `maxUnavailable` at a time:
//   drain (weight 0, requests in flight finish) → the serving steps → smoke test on the server
//   itself → restore (weight back, healthy in the load balancer) → the next batch.
// The first server that fails its smoke test (or whose load balancer check fails) stops the
// rollout: its restore and every later batch do not run, so the others stay on the previous release
// and keep serving, and `pulumi up` fails naming the server, with its diagnostics.
// The steps that do not change what a server answers (AHEAD_OF_ROLLOUT) run on all servers at once,
// ahead of the rollout: a cold fleet installs its packages in parallel and only goes live in turn.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { ServerProvisioning, ServerProvisioningArgs } from "../components/server";
import { Rotation } from "../runner/rotation";
import { stepHash } from "../../provision/step";
import type { Step } from "../../provision/step";
import type { PoolSpec } from "../../core/lb/open";

/** Steps that do not change what a server answers: they run on every server at once, before its drain. */
export const AHEAD_OF_ROLLOUT = ["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "volume"];

/** Longest wait for a server to drain, or to be healthy in the load balancer again. */
export const ROTATION_TIMEOUT_SECONDS = 120;
/** ALB does not report requests in flight: a drained server is given its connection-drain time. */
export const ALB_DRAIN_SECONDS = 10;

export interface FleetServer {
  /** The server's id in the load balancer's pool (ECS instance id; HAProxy server name). */
  member: pulumi.Input<string>;
  /** Resource name of its provisioning ("aistudio" for the first: a one-server stack grows without renames). */
  name: string;
  provisioning: Omit<ServerProvisioningArgs, "gate">;
}

export interface RolloutArgs {
  pool: pulumi.Input<PoolSpec>;
  servers: FleetServer[];
  /** Servers out of the load balancer at once. */
  maxUnavailable: number;
  /** Seconds a pool without in-flight counts (ALB) is given to drain. */
  drainSeconds: number;
  /** What must exist before a server is taken out: the load balancer itself. */
  poolReady: pulumi.Resource[];
}

/** A server's release: the hash of all its steps, in order. A change of any step rolls the server. */
export function releaseOf(steps: Step[]): string {
  return createHash("sha256").update(steps.map(stepHash).join("\n")).digest("hex");
}

/** Servers in batches of `size`, in order: the rollout's rounds. */
export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

export interface Rollout {
  servers: ServerProvisioning[];
  /** Every server's restore: the fleet is whole once all are done. */
  restores: Rotation[];
}

export function declareRollout(args: RolloutArgs, opts: pulumi.CustomResourceOptions = {}): Rollout {
  const servers: ServerProvisioning[] = [];
  const restores: Rotation[] = [];
  let previous: pulumi.Resource[] = [];
  for (const batch of batches(args.servers, args.maxUnavailable)) {
    const done: Rotation[] = [];
    for (const s of batch) {
      const rotation = { pool: args.pool, member: s.member, release: releaseOf(s.provisioning.steps), timeoutSeconds: ROTATION_TIMEOUT_SECONDS, drainSeconds: args.drainSeconds };
      const drain = new Rotation(`${s.name}-drain`, { ...rotation, phase: "drain" }, { ...opts, dependsOn: [...args.poolReady, ...previous] });
      const server = new ServerProvisioning(s.name, { ...s.provisioning, gate: { resource: drain, ahead: AHEAD_OF_ROLLOUT } }, opts);
      const restore = new Rotation(`${s.name}-restore`, { ...rotation, phase: "restore" }, { ...opts, dependsOn: [server.smoke!] });
      servers.push(server);
      done.push(restore);
    }
    restores.push(...done);
    previous = done;
  }
  return { servers, restores };
}
