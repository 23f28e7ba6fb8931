// ServerProvisioning: everything `pulumi up` does to one server: one RemoteStep per step, each
// after the steps it needs (Step.needs; unset: the one before it), then the SmokeTest. It takes the steps (infra/steps.ts builds them from config), the
// connection and the smoke target: nothing else of the config.
import * as pulumi from "@pulumi/pulumi";
import { RemoteStep, ConnectionArgs } from "../runner/remote-step";
import { SmokeSpec, SmokeTest } from "./smoke-test";
import { fingerprintOf } from "../../provision/fingerprint";
import type { Step } from "../../provision/step";

export interface ServerProvisioningArgs {
  /** SSH to the server: address (test host, EIP, or adopted server), port, user, pinned host key, deploy key. */
  connection: ConnectionArgs;
  /** Identity of the machine (ECS instance id, or the host key of a test host): a new one re-runs every step. */
  serverId: pulumi.Input<string>;
  /** The ordered steps; the last one is the fingerprint. */
  steps: Step[];
  /** Secret values to scrub from any output. */
  redact: string[];
  /** The smoke test after the steps; none for a host that serves no app of its own (the local fleet's load balancer). */
  smoke?: SmokeSpec;
  /**
   * A fleet's rolling deploy (infra/fleet/rollout.ts): the steps not listed in `ahead` also wait for
   * `resource` (the server's drain), so what serves requests changes only out of rotation.
   */
  gate?: { resource: pulumi.Resource; ahead: string[] };
}

export class ServerProvisioning extends pulumi.ComponentResource {
  public readonly steps: RemoteStep[] = [];
  public readonly smoke: SmokeTest | undefined;
  public readonly stepHashes: pulumi.Output<string[]>;
  /** Hash of the fingerprint step's probe records: equal for two servers built from the same code and config. */
  public readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: ServerProvisioningArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aistudio:server:Provisioning", name, {}, opts);
    const connection: pulumi.Input<ConnectionArgs> = { ...args.connection, privateKey: pulumi.secret(args.connection.privateKey) };
    const redact = pulumi.secret(args.redact);
    const byId = new Map<string, RemoteStep>();
    let prev: RemoteStep | undefined;
    for (const step of args.steps) {
      const needs = step.needs?.map((id) => {
        const r = byId.get(id);
        if (!r) throw new Error(`step ${step.id} needs ${id}, which is not an earlier step`);
        return r;
      });
      const after: pulumi.Resource[] = needs ?? (prev ? [prev] : []);
      const gated = args.gate && !args.gate.ahead.includes(step.id) ? [args.gate.resource] : [];
      const r: RemoteStep = new RemoteStep(`${name}-${step.id}`, { connection, step, redact, serverId: args.serverId }, { parent: this, dependsOn: [...after, ...gated] });
      this.steps.push(r);
      byId.set(step.id, r);
      prev = r;
    }
    this.stepHashes = pulumi.all(this.steps.map((s) => s.hash));
    this.fingerprint = this.steps[this.steps.length - 1].expected.apply((e) => fingerprintOf(e ?? ""));
    this.smoke = args.smoke && new SmokeTest(
      `${name}-smoke`,
      {
        ...args.smoke,
        connection,
        redact,
        triggers: this.stepHashes,
      },
      { parent: this, dependsOn: this.steps },
    );
    this.registerOutputs({ stepHashes: this.stepHashes, smokeSeconds: this.smoke?.seconds });
  }
}
