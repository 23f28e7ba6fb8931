// The provisioning steps for a config, and the secret values to scrub: pure, unit-tested.
// updates -> packages -> firewall, baseline (-> data volume -> local database) -> TLS certificate -> app -> nginx (-> ACME)
// (-> backup) -> fingerprint, in that order in the list; each runs once the steps it needs ran
// (STEP_NEEDS), so independent ones overlap.
import type { AistudioConfig } from "./config";
import { dataPackages, packagesStep } from "../provision/packages";
import { volumeStep } from "../provision/volume";
import { localDatabaseStep, localDatabaseUrl } from "../provision/database";
import { backupStep } from "../provision/backup";
import { firewallRules, firewallStep } from "../provision/firewall";
import { selfSignedStep, providedStep, acmeStep } from "../provision/tls";
import { appStep, AppFile } from "../provision/app";
import { nginxStep } from "../provision/nginx";
import { fingerprintStep } from "../provision/fingerprint";
import { Step, stepHash } from "../provision/step";
import { sshStep } from "../provision/ssh";
import { fail2banStep } from "../provision/fail2ban";
import { updatesStep } from "../provision/updates";
import { baselineStep } from "../provision/baseline";
import { uploadsEnv } from "./config-uploads";

/**
 * The ordered steps for a config: pure, unit-tested. `o.standby`: for a rebuild's standby (its backup
 * timers stay off until the switch).
 */
export function buildSteps(cfg: AistudioConfig, appFiles: AppFile[], caBundlePath?: string, o: { standby?: boolean } = {}): Step[] {
  const firewall = { sshPort: cfg.server.port, adminCidrs: cfg.firewall.adminCidrs };
  // the app contract (aistudio:app.*): its packages, entry point, port and data directory
  const { wsgi, port, dataDir, packages } = cfg.app;
  const db = cfg.database;
  const steps: Step[] = [
    // the security updates first: everything installed after them is current (issue #16)
    updatesStep({ rebootCalendar: cfg.os.rebootCalendar }),
    packagesStep({ app: packages, data: dataPackages({ backup: !!cfg.backup, database: db.mode }) }),
    firewallStep(firewall),
    // sshd key-only, confirmed by a new login; fail2ban for what still knocks (issue #16)
    sshStep({ hostKey: cfg.server.hostKey, extraConfig: cfg.ssh.extraConfig }),
    fail2banStep({ sshPort: cfg.server.port, adminCidrs: cfg.firewall.adminCidrs, minAdminPrefix: cfg.firewall.minAdminPrefix }),
    baselineStep(),
  ];
  if (cfg.volume) steps.push(volumeStep({ device: cfg.volume.device, mountPoint: dataDir }));
  if (db.mode === "local") steps.push(localDatabaseStep({ dataDir, name: db.name, user: db.user, password: db.password! }));
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
      env: appEnv(cfg),
      localDatabase: db.mode === "local",
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
    // uploads in S3: /media/ is the app's, which streams them from the store
    media: cfg.uploads.store === "s3" ? "app" : "disk",
  }));
  if (cfg.tls.mode === "acme") {
    // tls.acmeCaBundle (a private ACME server's CA, e.g. pebble) is uploaded by the step itself;
    // caBundlePath names a bundle that is already on the server
    steps.push(acmeStep({ domain: cfg.domain, email: cfg.tls.email!, server: cfg.tls.acmeServer, caBundle: cfg.tls.acmeCaBundle, caBundlePath }));
  }
  if (cfg.backup) {
    const b = cfg.backup;
    steps.push(backupStep({
      repository: b.repository, accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey, password: b.password,
      dataDir, appPort: port, database: { mode: db.mode, name: db.name, user: db.user }, host: cfg.domain,
      schedule: b.schedule, checkSchedule: b.checkSchedule, keep: b.keep, timers: !o.standby,
    }));
  }
  // last: the build fingerprint over everything the steps manage (certificates excluded)
  const managed = steps.flatMap((s) => s.files.filter((f) => !f.path.includes(".incoming/") && !f.path.startsWith("/etc/aistudio/tls/")).map((f) => f.path));
  steps.push(fingerprintStep({ files: managed, firewallRules: firewallRules(firewall), after: steps.map(stepHash), appPackages: packages }));
  return withNeeds(steps);
}

/**
 * What each step needs before it runs; the others run at the same time (a cold server: the data
 * volume while the packages install, then the firewall, the certificate and the app together).
 */
export const STEP_NEEDS: Record<string, string[]> = {
  // a fresh server's security updates before anything is installed on it (apt runs one at a time anyway)
  updates: [],
  packages: ["updates"],
  // logrotate is a package of the packages step; ufw's own sysctls are applied by then (ours win)
  baseline: ["packages", "firewall"],
  // blkid, mkfs and mount are in every Debian image, and nothing else touches the data dir before the app
  volume: [],
  firewall: ["packages"], // ufw
  // openssh-server is in every image; after the security updates, which may restart sshd (an
  // upgraded openssh-server) while a new login confirms the change
  ssh: ["updates"],
  fail2ban: ["packages"], // fail2ban, python3-systemd, nftables
  // PostgreSQL is installed with apt after the packages step (apt allows one at a time), its cluster on the volume
  database: ["packages", "volume"],
  tls: ["packages"], // openssl
  app: ["packages", "volume", "database"],
  // the site goes live only behind the firewall, with its certificate, in front of the app
  nginx: ["firewall", "tls", "app", "baseline"],
  acme: ["nginx"],
  backup: ["app", "database"],
  // the local fleet's load balancer host (infra/fleet/program.ts): HAProxy goes live behind the firewall
  loadbalancer: ["packages", "firewall"],
};

/** The steps with their needs: STEP_NEEDS limited to the steps present; the fingerprint needs all. */
export function withNeeds(steps: Step[]): Step[] {
  const ids = new Set(steps.map((s) => s.id));
  return steps.map((s) => {
    const needs = s.id === "fingerprint" ? steps.filter((o) => o.id !== "fingerprint").map((o) => o.id) : STEP_NEEDS[s.id]?.filter((id) => ids.has(id));
    if (!needs) throw new Error(`step ${s.id} has no entry in STEP_NEEDS (infra/steps.ts): say what it needs before it`);
    return { ...s, needs };
  });
}

/**
 * The app's environment: aistudio:appEnv, DATABASE_URL when the program runs or knows the database,
 * and AISTUDIO_UPLOADS_S3_* when the uploads are in S3 (uploads.store s3).
 */
export function appEnv(cfg: AistudioConfig): Record<string, string> {
  return { ...cfg.app.env, ...databaseEnv(cfg), ...uploadsEnv(cfg.uploads) };
}

function databaseEnv(cfg: AistudioConfig): Record<string, string> {
  const db = cfg.database;
  if (db.mode === "local") return { DATABASE_URL: localDatabaseUrl({ name: db.name, user: db.user, password: db.password! }) };
  if (db.mode === "external" && db.url) return { DATABASE_URL: db.url };
  // the RDS instance this stack declares, at the private address the config fixed
  if (db.mode === "external" && db.rds) return { DATABASE_URL: `postgresql://${db.user}:${encodeURIComponent(db.password!)}@${db.rds.privateIp}:5432/${db.name}` };
  return {};
}

/**
 * Every secret value that must never appear in output: aistudio:appEnv's and the database's values
 * whole, the uploads store's secret key (its endpoint, bucket, region and prefix are not secret:
 * scrubbing "us-east-1" or "uploads/" from every output would only hide what went wrong).
 */
export function secretValues(cfg: AistudioConfig): string[] {
  const db = cfg.database;
  return [
    cfg.server.privateKey, cfg.server.passphrase ?? "", cfg.tls.privateKey ?? "", cfg.wechat.appSecret ?? "",
    ...Object.values(cfg.app.env), ...Object.values(databaseEnv(cfg)),
    db.password ?? "", db.password ? encodeURIComponent(db.password) : "", db.url ?? "",
    cfg.backup?.password ?? "", cfg.backup?.secretAccessKey ?? "", cfg.uploads.s3?.secretAccessKey ?? "",
  ].filter((s, i, all) => s.length >= 4 && all.indexOf(s) === i);
}

/** The SSH connection to the server at `host` (a test host's address, the EIP, or an Output of it). */
export function serverConnection<H>(cfg: AistudioConfig, host: H) {
  const c = cfg.server;
  return { host, port: c.port, user: c.user, hostKey: c.hostKey, privateKey: c.privateKey, ...(c.passphrase ? { passphrase: c.passphrase } : {}) };
}

/** Where the smoke test and the doctor connect instead of resolving DNS: smoke.connectTo, or the test host. */
export function smokeConnectTo(cfg: AistudioConfig, host: string | undefined): string | undefined {
  return cfg.smoke.connectTo ?? (cfg.target === "local" ? host : undefined);
}

/** What the smoke test trusts: a CA bundle from config, the server's own certificate (self-signed), or the system store. */
export function smokeTrust(cfg: AistudioConfig): string {
  return cfg.tls.caBundle ?? (cfg.tls.mode === "self-signed" ? "server-cert" : "system");
}

/** The smoke test of this config against the server at `host`: after every deploy, and after a restore. */
export function smokeSpec(cfg: AistudioConfig, host: string | undefined) {
  return {
    domain: cfg.domain,
    connectTo: smokeConnectTo(cfg, host),
    trust: smokeTrust(cfg),
    timeoutSeconds: cfg.smoke.timeoutSeconds,
    request: cfg.smoke.request,
    probes: cfg.smoke.probes,
    appPort: cfg.app.port,
  };
}
