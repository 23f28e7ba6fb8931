// Config is read once, here, into a validated typed object. Every problem names its key and says
// how to fix it; all problems are reported together, before any resource is registered.
//
// Every key is declared next to the parser of its section (TOP_KEYS and the *_KEYS lists), and read
// through a Section (infra/config-section.ts), which takes no other key and reports any other key
// it finds as unknown: a typo is an error that names the key it was probably meant to be.
import { isIP } from "node:net";
import { isValidDomain, pemBundleProblem, checkProvidedCert } from "./config-values";
import { CLOUD_KEYS, FIREWALL_KEYS, normalName, parseCloud, parseFirewall } from "./config-cloud";
import { APP_KEYS, AppContract, SMOKE_KEYS, SmokeProbe, SmokeRequest, parseAppContract, parseAppEnv, parseAppSource, parseSmoke } from "./config-app";
import { Problem, Section } from "./config-section";
import { SERVER_KEYS, SSH_KEYS, checkDeployPublicKey, checkHostPrivateKey, parseServer, parseSsh } from "./config-ssh";
import { SSHD_KEYWORDS } from "../provision/ssh";
import { BACKUP_KEYS, BackupConfig, DATABASE_KEYS, DATA_KEYS, DataVolume, DatabaseConfig, parseBackup, parseData, parseDatabase } from "./config-data";
import { FleetConfig, SERVERS_KEYS, parseFleet } from "./config-fleet";
import { OS_KEYS, OsConfig, parseOs } from "./config-os";
import { UPLOADS_KEYS, UploadsConfig, checkUploadsAppEnv, parseUploads } from "./config-uploads";
import type { Connection } from "../core/ssh";

export type TlsMode = "acme" | "provided" | "self-signed";

/** SSH to the server: address, port, user, pinned host key, deploy key (secret) and its passphrase (secret). */
export type ServerConn = Connection;

export interface AppSource {
  kind: "dir" | "archive" | "git";
  /** Local directory (kind dir), local .tar/.tar.gz/.tgz file (kind archive) or git URL (kind git). */
  location: string;
  ref?: string;
}

/** The phases of a standby server beside the old one during a cloud rebuild. */
export const STANDBY_PHASES = ["boot", "converge", "switch"] as const;
export type StandbyPhase = (typeof STANDBY_PHASES)[number];

export interface CloudConfig {
  region: string;
  zoneId?: string;
  vpcId?: string;
  vswitchId?: string;
  vpcCidr: string;
  vswitchCidr: string;
  instanceType: string;
  image: "debian12" | "ubuntu2204" | "ubuntu2404";
  systemDiskCategory: string;
  systemDiskSize: number;
  internetMaxBandwidthOut: number;
  sshPublicKey: string;
  /** Secret: ed25519 host key installed by cloud-init on a new server; its public half is server.hostKey. */
  hostPrivateKey?: string;
  /** When set, manage an existing server instead of creating one. */
  adopt?: { address: string; securityGroupId?: string };
  /**
   * Set only by `npm run rebuild` while it builds a new server beside the old one (aistudio:standby):
   * "boot" declares the standby's instance, temporary address and data disk; "converge" also runs
   * every step and the smoke test on it; "switch" declares the same as converge and marks that the
   * switch to it has begun (stacks/standby-switch.ts: a rebuild run again finishes it).
   */
  standby?: StandbyPhase;
  dnsZone?: string;
}

export interface AistudioConfig {
  stack: string;
  target: "local" | "alicloud";
  domain: string;
  server: ServerConn;
  tls: {
    mode: TlsMode;
    email?: string;
    acmeServer?: string;
    /** PEM of the CA that test stacks trust for their certificates (pebble, self-signed). */
    caBundle?: string;
    /**
     * PEM of the CA that signs a private ACME server's HTTPS certificate (tls.acmeServer, e.g. a
     * pebble test server): certbot on the server trusts it (REQUESTS_CA_BUNDLE), also for renewals.
     */
    acmeCaBundle?: string;
    certificate?: string;
    privateKey?: string;
  };
  app: AppContract & {
    source: AppSource;
    workers: number;
    preStart: string[];
    /** Secret: KEY=VALUE environment for the unit. */
    env: Record<string, string>;
    pipIndexUrl?: string;
  };
  /** SSH (22) only from adminCidrs, none wider than a /minAdminPrefix, nor all together (unless allowSshFromAnywhere). */
  firewall: { adminCidrs: string[]; allowSshFromAnywhere: boolean; minAdminPrefix: number };
  nginx: { clientMaxBodySize: string; extraServerConfig: string };
  /** sshd beyond what aistudio sets (provision/ssh.ts): more directives, confirmed by a new login. */
  ssh: { extraConfig: string };
  wechat: { checks: boolean; minCertDays: number; appId?: string; appSecret?: string };
  smoke: { connectTo?: string; timeoutSeconds: number; request: SmokeRequest; probes: SmokeProbe[] };
  /** The data volume holding app.dataDir (and a local database); undefined: the system disk. */
  volume?: DataVolume;
  database: DatabaseConfig;
  /** restic backups of the database and the data dir; undefined: none (the doctor warns). */
  backup?: BackupConfig;
  /** Where the users' uploads live: the server's disk, or one S3 store every server sees (issue #15). */
  uploads: UploadsConfig;
  /** How many servers and where: count 1 (the default) is one server without a load balancer. */
  servers: FleetConfig;
  /** The operating system around the app: the reboot window of security updates. */
  os: OsConfig;
  cloud?: CloudConfig;
}

export class ConfigError extends Error {
  constructor(public readonly problems: Problem[]) {
    super(
      "invalid configuration / 配置无效:\n" +
        problems.map((p) => `  - aistudio:${p.key}: ${p.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export type Raw = Record<string, unknown>;

/** Every aistudio:* key; the objects among them declare their own keys (config-*.ts). */
export const TOP_KEYS = [
  "target", "domain", "testhost", "server", "cloud", "tls", "app", "nginx", "firewall", "wechat", "smoke", "ssh",
  "data", "database", "backup", "servers", "os", "uploads", "standby",
  "sshPrivateKey", "sshPrivateKeyPassphrase", "sshHostPrivateKey", "tlsPrivateKey", "appEnv", "wechatAppSecret",
  "databasePassword", "databaseUrl", "backupPassword", "backupSecretAccessKey", "uploadsSecretAccessKey",
] as const;
const TLS_KEYS = ["mode", "email", "acmeServer", "caBundle", "acmeCaBundle", "certificate"] as const;
const NGINX_KEYS = ["clientMaxBodySize", "extraServerConfig"] as const;
const WECHAT_KEYS = ["checks", "minCertDays", "appId"] as const;

/** Production's domain: what a stack without aistudio:domain would deploy to, so no stack may omit it. */
export const PRODUCTION_DOMAIN = "photogooo.com";

/** The domain a stack would most likely use: production's for prod, <stack>.photogooo.com otherwise. */
function domainFor(stack: string): string {
  const name = stack.split("/").pop()!.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  return name === "prod" || !name ? PRODUCTION_DOMAIN : `${name}.${PRODUCTION_DOMAIN}`;
}

/** Parses and validates raw config values (as Pulumi gives them) into an AistudioConfig. */
export function parseConfig(raw: Raw, stack: string): AistudioConfig {
  const { config, problems } = collectConfig(raw, stack);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Like parseConfig, but returns the problems instead of throwing, with the config as far as it could
 * be read (defaults in place of bad values), so the edge (read-config.ts) can add its own problems.
 */
export function collectConfig(raw: Raw, stack: string): { config: AistudioConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const bad = (key: string, message: string) => problems.push({ key, message });
  const top = new Section("", raw, TOP_KEYS, bad, stack);

  // target
  const target = (top.str("target", "alicloud") ?? "alicloud") as AistudioConfig["target"];
  if (target !== "local" && target !== "alicloud") {
    bad("target", `must be "local" (a test host) or "alicloud" (ECS), got ${JSON.stringify(target)}`);
  }
  const isLocal = target === "local";
  if (top.has("testhost") && !isLocal) bad("testhost", `is only for target local (a test host's record fills server.*): remove it with \`pulumi config rm aistudio:testhost --stack ${stack}\``);

  // domain: trimmed and lower-cased (DNS names are case-insensitive), like cloud.region and cloud.dnsZone
  const domain = normalName(top.str("domain")) ?? "";
  const domainBad = problems.length;
  if (!domain) {
    bad("domain", `is not set for stack ${JSON.stringify(stack)}: it would have deployed to ${PRODUCTION_DOMAIN}, production's domain. Set this stack's own: \`pulumi config set aistudio:domain ${domainFor(stack)} --stack ${stack}\``);
  } else if (/^[a-z]+:\/\//i.test(domain)) {
    bad("domain", `must be a bare host name without scheme, e.g. "photogooo.com", got ${JSON.stringify(domain)}: run \`pulumi config set aistudio:domain photogooo.com\``);
  } else if (/:\d+$/.test(domain)) {
    bad("domain", `must not carry a port (WeChat request domains are https on 443 without a port), got ${JSON.stringify(domain)}`);
  } else if (isIP(domain) || domain.startsWith("[")) {
    bad("domain", `must be a domain name, not an IP address (WeChat does not accept IPs as request domains), got ${JSON.stringify(domain)}`);
  } else if (domain === "localhost" || !isValidDomain(domain)) {
    bad("domain", `must be a full domain name with a top-level domain, like "photogooo.com", got ${JSON.stringify(domain)}`);
  }
  const domainOk = problems.length === domainBad;

  // server connection and the deploy key
  const c = top.child("cloud", CLOUD_KEYS);
  const needsHost = isLocal || c.has("adoptAddress");
  const { server, deployKey } = parseServer(top.child("server", SERVER_KEYS), top.str("sshPrivateKey", "") ?? "", top.str("sshPrivateKeyPassphrase"), needsHost);
  if (isLocal && !server.host) bad("server.host", "is required for the local stack: the address of the test host (`npm run testhost -- up` prints it)");

  // TLS
  const t = top.child("tls", TLS_KEYS);
  const mode = (t.str("mode", isLocal ? "self-signed" : "acme") ?? "acme") as TlsMode;
  const tls: AistudioConfig["tls"] = {
    mode,
    email: t.str("email"),
    acmeServer: t.str("acmeServer"),
    caBundle: t.str("caBundle"),
    acmeCaBundle: t.str("acmeCaBundle"),
    certificate: t.str("certificate"),
    privateKey: top.str("tlsPrivateKey"),
  };
  const wc = top.child("wechat", WECHAT_KEYS);
  const wechat = {
    checks: wc.bool("checks", !isLocal),
    minCertDays: wc.num("minCertDays", 20, 0, 365),
    appId: wc.str("appId"),
    appSecret: top.str("wechatAppSecret"),
  };
  if (!["acme", "provided", "self-signed"].includes(mode)) {
    bad("tls.mode", `must be "acme", "provided" or "self-signed", got ${JSON.stringify(mode)}`);
  } else if (mode === "acme") {
    if (!tls.email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(tls.email)) {
      bad("tls.email", "is required for tls.mode acme (Let's Encrypt account and expiry notices): `pulumi config set --path aistudio:tls.email ops@photogooo.com`");
    }
    if (tls.acmeServer && !/^https:\/\//.test(tls.acmeServer)) bad("tls.acmeServer", `must be an https:// ACME directory URL, got ${JSON.stringify(tls.acmeServer)}`);
  } else if (mode === "self-signed") {
    if (!isLocal || wechat.checks) {
      bad("tls.mode", "self-signed is only for the local test stack: WeChat refuses self-signed certificates. Use acme (Let's Encrypt) or provided (a certificate from Alibaba Cloud's certificate service)");
    }
  } else if (mode === "provided") {
    if (!tls.certificate) bad("tls.certificate", "is required for tls.mode provided: the PEM certificate followed by its chain (`pulumi config set --path aistudio:tls.certificate -- \"$(cat fullchain.pem)\"`)");
    if (!tls.privateKey) bad("tlsPrivateKey", "is required for tls.mode provided: `pulumi config set --secret aistudio:tlsPrivateKey < privkey.pem`");
    if (tls.certificate && tls.privateKey && domainOk) checkProvidedCert(tls.certificate, tls.privateKey, domain, bad);
  }
  if (tls.caBundle && !tls.caBundle.includes("-----BEGIN CERTIFICATE-----")) bad("tls.caBundle", "must be a PEM bundle of CA certificates");
  if (tls.acmeCaBundle !== undefined) {
    const problem = pemBundleProblem(tls.acmeCaBundle);
    if (problem) {
      bad("tls.acmeCaBundle", `must be a PEM bundle of the CA certificates that sign the ACME server's HTTPS certificate (${problem}): \`pulumi config set --path aistudio:tls.acmeCaBundle -- "$(cat acme-ca.pem)"\``);
    } else if (mode !== "acme") {
      bad("tls.acmeCaBundle", `is only used with tls.mode acme (tls.mode is ${JSON.stringify(mode)}): remove it with \`pulumi config rm --path aistudio:tls.acmeCaBundle\``);
    } else if (!tls.acmeServer) {
      bad("tls.acmeCaBundle", "is only for a private ACME server set in tls.acmeServer; Let's Encrypt needs no CA bundle (certbot would trust only this bundle and fail to reach Let's Encrypt): remove it with `pulumi config rm --path aistudio:tls.acmeCaBundle`, or set tls.acmeServer");
    }
  }

  // app
  const a = top.child("app", APP_KEYS);
  const pip = a.str("pipIndexUrl");
  if (pip && !/^https?:\/\//.test(pip)) bad("app.pipIndexUrl", `must be an http(s) URL, got ${JSON.stringify(pip)}`);
  const app = {
    ...parseAppContract(a, server.port),
    source: parseAppSource(a),
    workers: a.num("workers", 2, 1, 64),
    preStart: a.strList("preStart"),
    env: parseAppEnv(top.value("appEnv"), bad),
    pipIndexUrl: pip,
  };

  const firewall = parseFirewall(top.child("firewall", FIREWALL_KEYS));

  // nginx
  const ng = top.child("nginx", NGINX_KEYS);
  const nginx = {
    clientMaxBodySize: ng.str("clientMaxBodySize", "20m") ?? "20m",
    extraServerConfig: ng.str("extraServerConfig", "") ?? "",
  };
  if (!/^\d+[kmg]?$/i.test(nginx.clientMaxBodySize)) bad("nginx.clientMaxBodySize", `must be a size like 20m, got ${JSON.stringify(nginx.clientMaxBodySize)}`);

  const smoke = parseSmoke(top.child("smoke", SMOKE_KEYS));
  const ssh = parseSsh(top.child("ssh", SSH_KEYS), SSHD_KEYWORDS);

  // cloud
  let cloud: CloudConfig | undefined;
  if (target === "alicloud") {
    cloud = parseCloud(c, domainOk ? domain : "", firewall);
    if (!cloud.adopt) {
      if (cloud.sshPublicKey) checkDeployPublicKey(deployKey, cloud.sshPublicKey, bad);
      cloud.hostPrivateKey = top.str("sshHostPrivateKey");
      if (!cloud.hostPrivateKey) bad("sshHostPrivateKey", "is required to create a server: its SSH host key, installed by cloud-init and pinned for every connection (`ssh-keygen -t ed25519 -N '' -f host_key && pulumi config set --secret aistudio:sshHostPrivateKey < host_key && pulumi config set --path aistudio:server.hostKey \"$(cut -d' ' -f1,2 host_key.pub)\"`)");
      if (!/^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/.test(server.hostKey)) bad("server.hostKey", "is required to create a server: the ssh-ed25519 public half of aistudio:sshHostPrivateKey");
      else if (cloud.hostPrivateKey) checkHostPrivateKey(cloud.hostPrivateKey, server.hostKey, bad);
      if (server.port !== 22) bad("server.port", "a newly created server's sshd listens on 22: leave server.port unset (change the port later, then adopt the server with cloud.adoptAddress)");
    }
  }
  else if (Object.keys(c.raw).length > 0) bad("cloud", "is set but target is local; the local stack never creates Alibaba Cloud resources. Remove the cloud block or set target alicloud");

  // data: the volume, the database, the backups
  const volume = parseData(top.child("data", DATA_KEYS), isLocal, stack, c.has("adoptAddress"));
  const database = parseDatabase(top.child("database", DATABASE_KEYS), { password: top.str("databasePassword"), url: top.str("databaseUrl") }, isLocal, app.env, c.has("adoptAddress"), { vswitchCidr: cloud?.vswitchCidr, vswitchId: cloud?.vswitchId });
  const backup = parseBackup(top.child("backup", BACKUP_KEYS), { password: top.str("backupPassword"), secretAccessKey: top.str("backupSecretAccessKey") }, target, cloud?.region);
  // the users' uploads: the server's disk, or one S3 store every server sees (issue #15)
  const uploads = parseUploads(top.child("uploads", UPLOADS_KEYS), top.str("uploadsSecretAccessKey"), { target, region: cloud?.region, backupBucket: backup?.bucket });
  checkUploadsAppEnv(uploads, app.env, bad);

  // servers: one (today's layout) or a fleet behind a load balancer (issue #15)
  const servers = parseFleet(top.child("servers", SERVERS_KEYS), {
    target, region: cloud?.region, zoneId: cloud?.zoneId, existingNetwork: !!(cloud?.vpcId || cloud?.vswitchId), adopt: !!cloud?.adopt,
    vpcCidr: cloud?.vpcCidr, vswitchCidr: cloud?.vswitchCidr, databaseMode: database.mode, tlsMode: mode, volume: volume !== undefined,
    sharedUploads: uploads.store === "s3",
  });

  // a standby server beside this one: set and removed by `npm run rebuild`, never by hand
  const standby = top.str("standby");
  if (standby !== undefined) {
    const rm = `\`pulumi config rm aistudio:standby --stack ${stack}\``;
    if (!(STANDBY_PHASES as readonly string[]).includes(standby)) bad("standby", `must be "boot", "converge" or "switch" (set by \`npm run rebuild\` while it builds a new server beside the old one), got ${JSON.stringify(standby)}: remove it with ${rm}`);
    else if (!cloud || cloud.adopt || servers.count > 1) bad("standby", `is only for a created Alibaba Cloud server (target alicloud, no cloud.adoptAddress, one server): \`npm run rebuild\` sets it there while it builds a new server beside the old one. Remove it with ${rm}`);
    else cloud.standby = standby as StandbyPhase;
  }

  const os = parseOs(top.child("os", OS_KEYS));

  return { config: { stack, target, domain, server, tls, app, firewall, nginx, ssh, wechat, smoke, volume, database, backup, uploads, servers, os, cloud }, problems };
}
