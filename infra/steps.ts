// The ordered provisioning steps for a config, and the secret values to scrub: pure, unit-tested.
// packages -> firewall -> TLS certificate -> app -> nginx (-> ACME) -> fingerprint
import type { AistudioConfig } from "./config";
import { packagesStep } from "../provision/packages";
import { firewallRules, firewallStep } from "../provision/firewall";
import { selfSignedStep, providedStep, acmeStep } from "../provision/tls";
import { appStep, AppFile } from "../provision/app";
import { nginxStep } from "../provision/nginx";
import { fingerprintStep } from "../provision/fingerprint";
import { Step, stepHash } from "../provision/step";

/** The ordered steps for a config: pure, unit-tested. */
export function buildSteps(cfg: AistudioConfig, appFiles: AppFile[], caBundlePath?: string): Step[] {
  const firewall = { sshPort: cfg.server.port, adminCidrs: cfg.firewall.adminCidrs };
  // the app contract (aistudio:app.*): its packages, entry point, port and data directory
  const { wsgi, port, dataDir, packages } = cfg.app;
  const steps: Step[] = [
    packagesStep({ app: packages }),
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
      wsgi,
      port,
      dataDir,
      preStart: cfg.app.preStart,
      env: cfg.app.env,
      pipIndexUrl: cfg.app.pipIndexUrl,
    }),
  );
  steps.push(nginxStep({
    domain: cfg.domain,
    appPort: port,
    dataDir,
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
  steps.push(fingerprintStep({ files: managed, firewallRules: firewallRules(firewall), after: steps.map(stepHash), appPackages: packages }));
  return steps;
}

/** Every secret value that must never appear in output. */
export function secretValues(cfg: AistudioConfig): string[] {
  return [cfg.server.privateKey, cfg.server.passphrase ?? "", cfg.tls.privateKey ?? "", cfg.wechat.appSecret ?? "", ...Object.values(cfg.app.env)].filter((s) => s.length >= 4);
}

/** What the smoke test trusts: a CA bundle from config, the server's own certificate (self-signed), or the system store. */
export function smokeTrust(cfg: AistudioConfig): string {
  return cfg.tls.caBundle ?? (cfg.tls.mode === "self-signed" ? "server-cert" : "system");
}
