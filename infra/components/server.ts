// ServerProvisioning: everything `pulumi up` does to one server, one RemoteStep per concern, in
// order: packages -> firewall -> TLS certificate -> app -> nginx (-> ACME) -> smoke test.
import * as pulumi from "@pulumi/pulumi";
import { AistudioConfig } from "../config";
import { RemoteStep, ConnectionArgs } from "../runner/remote-step";
import { SmokeTest } from "./smoke-test";
import { packagesStep } from "../../provision/packages";
import { firewallRules, firewallStep } from "../../provision/firewall";
import { selfSignedStep, providedStep, acmeStep } from "../../provision/tls";
import { appStep, AppFile } from "../../provision/app";
import { nginxStep } from "../../provision/nginx";
import { fingerprintOf, fingerprintStep } from "../../provision/fingerprint";
import { Step, stepHash } from "../../provision/step";

export interface ServerProvisioningArgs {
  config: AistudioConfig;
  /** Address to SSH to (test host, EIP, or adopted server). */
  host: pulumi.Input<string>;
  hostKey: pulumi.Input<string>;
  /** Identity of the machine (ECS instance id, or the host key of a test host): a new one re-runs every step. */
  serverId: pulumi.Input<string>;
  appFiles: AppFile[];
  /** Where the smoke test connects (defaults to DNS for the domain). */
  connectTo?: pulumi.Input<string>;
}

/** The ordered steps for a config: pure, unit-tested. */
export function buildSteps(cfg: AistudioConfig, appFiles: AppFile[], caBundlePath?: string): Step[] {
  const firewall = { sshPort: cfg.server.port, adminCidrs: cfg.firewall.adminCidrs };
  const steps: Step[] = [
    packagesStep(),
    firewallStep(firewall),
  ];
  if (cfg.tls.mode === "self-signed") steps.push(selfSignedStep(cfg.domain));
  if (cfg.tls.mode === "provided") steps.push(providedStep(cfg.domain, cfg.tls.certificate!, cfg.tls.privateKey!));
  steps.push(
    appStep({
      source: cfg.app.source.kind === "git"
        ? { kind: "git", url: cfg.app.source.location, ref: cfg.app.source.ref ?? "main" }
        : { kind: "files", files: appFiles },
      workers: cfg.app.workers,
      wsgi: "app:application",
      preStart: cfg.app.preStart,
      env: cfg.app.env,
      pipIndexUrl: cfg.app.pipIndexUrl,
    }),
  );
  steps.push(nginxStep({
    domain: cfg.domain,
    hstsMaxAge: cfg.tls.mode === "self-signed" ? 0 : 31536000,
    maxBodySize: cfg.nginx.clientMaxBodySize,
    extraServerConfig: cfg.nginx.extraServerConfig,
  }));
  if (cfg.tls.mode === "acme") {
    // tls.acmeCaBundle (a private ACME server's CA, e.g. pebble) is uploaded by the step itself;
    // caBundlePath names a bundle that is already on the server
    steps.push(acmeStep({ domain: cfg.domain, email: cfg.tls.email!, server: cfg.tls.acmeServer, caBundle: cfg.tls.acmeCaBundle, caBundlePath }));
  }
  // last: the build fingerprint over everything the steps manage (certificates excluded)
  const managed = steps.flatMap((s) => s.files.filter((f) => !f.path.includes(".incoming/") && !f.path.startsWith("/etc/aistudio/tls/")).map((f) => f.path));
  steps.push(fingerprintStep({ files: managed, firewallRules: firewallRules(firewall), after: steps.map(stepHash) }));
  return steps;
}

/** Every secret value that must never appear in output. */
export function secretValues(cfg: AistudioConfig): string[] {
  return [cfg.server.privateKey, cfg.tls.privateKey ?? "", cfg.wechat.appSecret ?? "", ...Object.values(cfg.app.env)].filter((s) => s.length >= 4);
}

export class ServerProvisioning extends pulumi.ComponentResource {
  public readonly steps: RemoteStep[] = [];
  public readonly smoke: SmokeTest;
  public readonly stepHashes: pulumi.Output<string[]>;
  /** Hash of the fingerprint step's probe records: equal for two servers built from the same code and config. */
  public readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: ServerProvisioningArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aistudio:server:Provisioning", name, {}, opts);
    const cfg = args.config;
    const connection: pulumi.Input<ConnectionArgs> = {
      host: args.host,
      port: cfg.server.port,
      user: cfg.server.user,
      hostKey: args.hostKey,
      privateKey: pulumi.secret(cfg.server.privateKey),
    };
    const redact = pulumi.secret(secretValues(cfg));
    let prev: pulumi.Resource | undefined;
    for (const step of buildSteps(cfg, args.appFiles)) {
      const r: RemoteStep = new RemoteStep(`${name}-${step.id}`, { connection, step, redact, serverId: args.serverId }, { parent: this, dependsOn: prev ? [prev] : [] });
      this.steps.push(r);
      prev = r;
    }
    this.stepHashes = pulumi.all(this.steps.map((s) => s.hash));
    this.fingerprint = this.steps[this.steps.length - 1].expected.apply((e) => fingerprintOf(e ?? ""));
    this.smoke = new SmokeTest(
      `${name}-smoke`,
      {
        domain: cfg.domain,
        connectTo: args.connectTo,
        trust: cfg.tls.caBundle ?? (cfg.tls.mode === "self-signed" ? "server-cert" : "system"),
        timeoutSeconds: cfg.smoke.timeoutSeconds,
        connection,
        redact,
        triggers: this.stepHashes,
      },
      { parent: this, dependsOn: this.steps },
    );
    this.registerOutputs({ stepHashes: this.stepHashes, smokeSeconds: this.smoke.seconds });
  }
}
