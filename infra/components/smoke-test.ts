// SmokeTest: runs after provisioning and again whenever anything on the server changed (its
// triggers are the step hashes). A failure fails `pulumi up` with expected vs found and the
// server's diagnostics.
import * as pulumi from "@pulumi/pulumi";
import { implProvider } from "../runner/load-impl";
import type { SmokeProbe, SmokeRequest } from "../../checks/visit";
import type { ConnectionArgs } from "../runner/remote-step";

// the implementation lives in smoke-impl.ts, loaded from dist/ by the provider process
const provider: pulumi.dynamic.ResourceProvider = implProvider("dist/infra/runner/smoke-impl.js");

/** What the smoke test checks: the domain, where to connect, what to trust, the request and probes. */
export interface SmokeSpec {
  domain: string;
  /** Where the smoke test connects (defaults to DNS for the domain). */
  connectTo?: pulumi.Input<string>;
  /** "system" | "server-cert" | a PEM bundle */
  trust: pulumi.Input<string>;
  timeoutSeconds: number;
  /** The smoke request and the extra probes (default: the guide's visit call, no probes). */
  request?: SmokeRequest;
  probes?: SmokeProbe[];
  /** gunicorn's port on the server, for the diagnostics of a failed smoke test. */
  appPort?: number;
}

export interface SmokeTestArgs extends SmokeSpec {
  connection: pulumi.Input<ConnectionArgs>;
  redact?: pulumi.Input<pulumi.Input<string>[]>;
  triggers: pulumi.Input<pulumi.Input<string>[]>;
}

export class SmokeTest extends pulumi.dynamic.Resource {
  public readonly status!: pulumi.Output<number>;
  public readonly body!: pulumi.Output<string>;
  public readonly seconds!: pulumi.Output<number>;

  constructor(name: string, args: SmokeTestArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        connectTo: args.connectTo ?? null,
        connection: pulumi.secret(args.connection),
        redact: pulumi.secret(args.redact ?? []),
        status: undefined,
        body: undefined,
        seconds: undefined,
        attempts: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connection", "redact"] },
    );
  }
}
