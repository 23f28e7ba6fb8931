// Rotation: one server's place in the load balancer during a rolling deploy (issue #15), as a
// Pulumi resource. Two per server, around its provisioning:
//   drain    before the server's serving steps: weight 0, wait until it serves nothing
//   restore  after its smoke test passed: weight back, wait until the load balancer says healthy
// Both act when the server's release (the hash of its steps) changes; restore also when the load
// balancer shows the server out of rotation or unhealthy, so a drained server left behind by a
// failed rollout is put back by the next `pulumi up`, and a preview (the drift check) shows it.
// The pool is opened from a PoolSpec (core/lb/open.ts): ALB's API or HAProxy's runtime API.
import * as pulumi from "@pulumi/pulumi";
import { implProvider } from "./load-impl";
import type { PoolSpec } from "../../core/lb/open";

const provider: pulumi.dynamic.ResourceProvider = implProvider("dist/infra/runner/rotation-impl.js");

export type Phase = "drain" | "restore";

export interface RotationArgs {
  /** The load balancer's pool (secret in state: an SSH key, for HAProxy). */
  pool: pulumi.Input<PoolSpec>;
  /** The server's id in the pool. */
  member: pulumi.Input<string>;
  /** The server's release: the hash of its steps. */
  release: pulumi.Input<string>;
  phase: Phase;
  /** Longest wait for the drain or for healthy. */
  timeoutSeconds: number;
  /** A pool that does not report requests in flight (ALB) is given this long to drain. */
  drainSeconds: number;
}

export class Rotation extends pulumi.dynamic.Resource {
  /** Milliseconds the last drain or restore took. */
  public readonly ms!: pulumi.Output<number>;
  /** restore: the member's place in the pool as a probe record, as left (expected) and as refresh read it (observed). */
  public readonly expected!: pulumi.Output<string | undefined>;
  public readonly observed!: pulumi.Output<string | undefined>;

  constructor(name: string, args: RotationArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, pool: pulumi.secret(args.pool), ms: undefined, expected: undefined, observed: undefined }, { ...opts, additionalSecretOutputs: ["pool"] });
  }
}
