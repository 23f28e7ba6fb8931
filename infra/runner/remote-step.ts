// RemoteStep: one provisioning Step executed on one server, as a Pulumi resource.
//  - trigger: the step's content hash (nothing changed -> nothing runs, nothing restarts)
//  - the SSH host key is pinned; the private key, secret files and secret values stay secret in state
//  - refresh re-runs the step's probe over SSH, so hand edits on the server show up as drift
// The provider object serialized into the state is a shim that loads the compiled implementation
// from the project (dist/), so no code closure and no secret is captured in the state.
import * as pulumi from "@pulumi/pulumi";
import { implProvider } from "./load-impl";
import { Step } from "../../provision/step";
import { applyScript, confirmScript, hasSecrets, probeScript, rollbackScript, stepHash } from "./script";
import type { Connection } from "../../core/ssh";

export type ConnectionArgs = { [K in keyof Connection]: pulumi.Input<Connection[K]> };

// the implementation lives in remote-step-impl.ts, loaded from dist/ by the provider process
const provider: pulumi.dynamic.ResourceProvider = implProvider("dist/infra/runner/remote-step-impl.js");

export interface RemoteStepArgs {
  connection: pulumi.Input<ConnectionArgs>;
  step: Step;
  /** Identity of the machine; a rebuilt server (new id) re-runs the step. */
  serverId: pulumi.Input<string>;
  /** Secret values to scrub from any output of this step. */
  redact?: pulumi.Input<pulumi.Input<string>[]>;
}

export class RemoteStep extends pulumi.dynamic.Resource {
  public readonly hash!: pulumi.Output<string>;
  public readonly expected!: pulumi.Output<string>;
  public readonly observed!: pulumi.Output<string>;
  public readonly stepId!: pulumi.Output<string>;

  constructor(name: string, args: RemoteStepArgs, opts?: pulumi.CustomResourceOptions) {
    const s = args.step;
    const script = applyScript(s);
    super(
      provider,
      name,
      {
        connection: pulumi.secret(args.connection),
        stepId: s.id,
        serverId: args.serverId,
        description: s.description,
        hash: stepHash(s),
        script: hasSecrets(s) ? pulumi.secret(script) : script,
        probeScript: probeScript(s),
        // a step that could lock the deploy key out (sshd): confirmed over a new connection
        ...(s.confirm ? { confirmScript: confirmScript(s), rollbackScript: rollbackScript(s) } : {}),
        redact: pulumi.secret(args.redact ?? []),
        paths: s.files.map((f) => f.path),
        expected: undefined,
        observed: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connection", "script", "redact"] },
    );
  }
}
