// Config is read once, here, into a validated typed object. Every problem names its key and says
// how to fix it; all problems are reported together, before any resource is registered.
import { isIP } from "node:net";
import { createPrivateKey } from "node:crypto";
import { isValidDomain, parseCidr, pemBundleProblem, checkProvidedCert } from "./config-values";
import { parseCloud } from "./config-cloud";
import { AppContract, Readers, SmokeProbe, SmokeRequest, parseAppContract, parseSmokeProbes, parseSmokeRequest } from "./config-app";
import { VISIT_PATH } from "../core/constants";

export type TlsMode = "acme" | "provided" | "self-signed";

export interface ServerConn {
  host: string;
  port: number;
  user: string;
  /** Pinned host key, "ssh-ed25519 AAAA..." (type + base64). */
  hostKey: string;
  /** Secret. */
  privateKey: string;
}

export interface AppSource {
  kind: "dir" | "archive" | "git";
  /** Local directory (kind dir), local .tar/.tar.gz/.tgz file (kind archive) or git URL (kind git). */
  location: string;
  ref?: string;
}

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
  firewall: { adminCidrs: string[]; allowSshFromAnywhere: boolean };
  nginx: { clientMaxBodySize: string; extraServerConfig: string };
  wechat: { checks: boolean; minCertDays: number; appId?: string; appSecret?: string };
  smoke: { connectTo?: string; timeoutSeconds: number; request: SmokeRequest; probes: SmokeProbe[] };
  cloud?: CloudConfig;
}

export class ConfigError extends Error {
  constructor(public readonly problems: { key: string; message: string }[]) {
    super(
      "invalid configuration / 配置无效:\n" +
        problems.map((p) => `  - aistudio:${p.key}: ${p.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export type Raw = Record<string, unknown>;

const SAFE_ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses and validates raw config values (as Pulumi gives them) into an AistudioConfig. */
export function parseConfig(raw: Raw, stack: string): AistudioConfig {
  const problems: { key: string; message: string }[] = [];
  const bad = (key: string, message: string) => problems.push({ key, message });
  const obj = (key: string): Raw => {
    const v = raw[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== "object" || Array.isArray(v)) {
      bad(key, `must be an object, got ${JSON.stringify(v)}`);
      return {};
    }
    return v as Raw;
  };
  const str = (o: Raw, key: string, path: string, def?: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null || v === "") return def;
    if (typeof v !== "string") {
      bad(path, `must be a string, got ${JSON.stringify(v)}`);
      return def;
    }
    return v;
  };
  const num = (o: Raw, key: string, path: string, def: number, min: number, max: number): number => {
    const v = o[key];
    if (v === undefined || v === null || v === "") return def;
    const n = typeof v === "string" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      bad(path, `must be an integer between ${min} and ${max}, got ${JSON.stringify(v)}`);
      return def;
    }
    return n;
  };
  const bool = (o: Raw, key: string, path: string, def: boolean): boolean => {
    const v = o[key];
    if (v === undefined || v === null || v === "") return def;
    if (v === true || v === "true") return true;
    if (v === false || v === "false") return false;
    bad(path, `must be true or false, got ${JSON.stringify(v)}`);
    return def;
  };
  const strList = (o: Raw, key: string, path: string): string[] => {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      bad(path, `must be a list of strings, got ${JSON.stringify(v)}`);
      return [];
    }
    return v as string[];
  };

  // target
  const target = (str(raw, "target", "target", "alicloud") ?? "alicloud") as AistudioConfig["target"];
  if (target !== "local" && target !== "alicloud") {
    bad("target", `must be "local" (a test host) or "alicloud" (ECS), got ${JSON.stringify(target)}`);
  }
  const isLocal = target === "local";

  // domain
  const domain = (str(raw, "domain", "domain", "photogooo.com") ?? "").toLowerCase();
  if (/^[a-z]+:\/\//i.test(domain)) {
    bad("domain", `must be a bare host name without scheme, e.g. "photogooo.com", got ${JSON.stringify(domain)}: run \`pulumi config set aistudio:domain photogooo.com\``);
  } else if (/:\d+$/.test(domain)) {
    bad("domain", `must not carry a port (WeChat request domains are https on 443 without a port), got ${JSON.stringify(domain)}`);
  } else if (isIP(domain) || domain.startsWith("[")) {
    bad("domain", `must be a domain name, not an IP address (WeChat does not accept IPs as request domains), got ${JSON.stringify(domain)}`);
  } else if (domain === "localhost" || !isValidDomain(domain)) {
    bad("domain", `must be a full domain name with a top-level domain, like "photogooo.com", got ${JSON.stringify(domain)}`);
  }

  // server connection
  const s = obj("server");
  const server: ServerConn = {
    host: str(s, "host", "server.host", "") ?? "",
    port: num(s, "port", "server.port", 22, 1, 65535),
    user: str(s, "user", "server.user", "root") ?? "root",
    hostKey: str(s, "hostKey", "server.hostKey", "") ?? "",
    privateKey: str(raw, "sshPrivateKey", "sshPrivateKey", "") ?? "",
  };
  const c = obj("cloud");
  const adoptAddress = str(c, "adoptAddress", "cloud.adoptAddress");
  const needsHost = isLocal || adoptAddress !== undefined;
  if (isLocal && !server.host) bad("server.host", "is required for the local stack: the address of the test host (`npm run testhost -- up` prints it)");
  if (server.host && !isIP(server.host) && !isValidDomain(server.host)) bad("server.host", `must be an IP address or host name, got ${JSON.stringify(server.host)}`);
  if ((needsHost || server.hostKey) && !/^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/]+={0,2}$/.test(server.hostKey)) {
    bad("server.hostKey", `must be the server's pinned SSH host key, "ssh-ed25519 AAAA…" (from \`ssh-keyscan -t ed25519 HOST\`, verified out of band); got ${JSON.stringify(server.hostKey)}`);
  }
  if (!/^[a-z_][a-z0-9_-]*$/.test(server.user)) bad("server.user", `must be a Unix user name, got ${JSON.stringify(server.user)}`);
  if (!server.privateKey) {
    bad("sshPrivateKey", "is required: `pulumi config set --secret aistudio:sshPrivateKey < ~/.ssh/id_ed25519`");
  } else {
    try {
      createPrivateKey(server.privateKey);
    } catch {
      if (!/-----BEGIN (OPENSSH|RSA|EC) PRIVATE KEY-----/.test(server.privateKey)) {
        bad("sshPrivateKey", "is not a PEM/OpenSSH private key: `pulumi config set --secret aistudio:sshPrivateKey < ~/.ssh/id_ed25519`");
      }
    }
  }

  // TLS
  const t = obj("tls");
  const mode = (str(t, "mode", "tls.mode", isLocal ? "self-signed" : "acme") ?? "acme") as TlsMode;
  const tls: AistudioConfig["tls"] = {
    mode,
    email: str(t, "email", "tls.email"),
    acmeServer: str(t, "acmeServer", "tls.acmeServer"),
    caBundle: str(t, "caBundle", "tls.caBundle"),
    acmeCaBundle: str(t, "acmeCaBundle", "tls.acmeCaBundle"),
    certificate: str(t, "certificate", "tls.certificate"),
    privateKey: str(raw, "tlsPrivateKey", "tlsPrivateKey"),
  };
  const wc = obj("wechat");
  const wechat = {
    checks: bool(wc, "checks", "wechat.checks", !isLocal),
    minCertDays: num(wc, "minCertDays", "wechat.minCertDays", 20, 0, 365),
    appId: str(wc, "appId", "wechat.appId"),
    appSecret: str(raw, "wechatAppSecret", "wechatAppSecret"),
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
    if (tls.certificate && tls.privateKey) checkProvidedCert(tls.certificate, tls.privateKey, domain, bad);
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
  const a = obj("app");
  const srcDir = str(a, "dir", "app.dir");
  const git = str(a, "git", "app.git");
  const archive = str(a, "archive", "app.archive");
  let source: AppSource = { kind: "dir", location: "" };
  if ([srcDir, git, archive].filter(Boolean).length > 1) bad("app", "set exactly one of app.dir, app.archive or app.git");
  else if (archive) {
    if (!/\.(tar|tar\.gz|tgz)$/.test(archive)) bad("app.archive", `must be a .tar, .tar.gz or .tgz file, got ${JSON.stringify(archive)}`);
    source = { kind: "archive", location: archive };
  } else if (git) {
    if (!/^(https:\/\/|git@|ssh:\/\/|file:\/\/)/.test(git)) bad("app.git", `must be a git URL (https://, ssh://, git@…), got ${JSON.stringify(git)}`);
    source = { kind: "git", location: git, ref: str(a, "ref", "app.ref", "main") };
  } else if (srcDir) {
    source = { kind: "dir", location: srcDir };
  } else {
    bad("app.dir", "the app source is missing: set app.dir to the backend's directory (for the sample: `pulumi config set --path aistudio:app.dir provision/sample-app`), app.archive (a .tar.gz of it) or app.git + app.ref");
  }
  const envRaw = raw["appEnv"];
  const env: Record<string, string> = {};
  if (envRaw !== undefined && envRaw !== null) {
    let parsed: unknown = envRaw;
    if (typeof envRaw === "string") {
      try { parsed = JSON.parse(envRaw); } catch { parsed = undefined; }
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      bad("appEnv", "must be a JSON object of strings: `pulumi config set --secret aistudio:appEnv '{\"SECRET_KEY\":\"…\"}'`");
    } else {
      for (const [k, v] of Object.entries(parsed as Raw)) {
        if (!SAFE_ENV_KEY.test(k)) bad("appEnv", `has an invalid variable name ${JSON.stringify(k)}`);
        else if (typeof v !== "string" || /[\n\r\0]/.test(v)) bad("appEnv", `value of ${k} must be a one-line string`);
        else env[k] = v;
      }
    }
  }
  const pip = str(a, "pipIndexUrl", "app.pipIndexUrl");
  if (pip && !/^https?:\/\//.test(pip)) bad("app.pipIndexUrl", `must be an http(s) URL, got ${JSON.stringify(pip)}`);
  const readers: Readers = { bad, str, num, strList };
  const app = {
    ...parseAppContract(a, readers, server.port),
    source,
    workers: num(a, "workers", "app.workers", 2, 1, 64),
    preStart: strList(a, "preStart", "app.preStart"),
    env,
    pipIndexUrl: pip,
  };

  // firewall
  const f = obj("firewall");
  const firewall = {
    adminCidrs: strList(f, "adminCidrs", "firewall.adminCidrs"),
    allowSshFromAnywhere: bool(f, "allowSshFromAnywhere", "firewall.allowSshFromAnywhere", false),
  };
  for (const cidr of firewall.adminCidrs) {
    const p = parseCidr(cidr);
    if (!p) bad("firewall.adminCidrs", `${JSON.stringify(cidr)} is not an IPv4 CIDR like 203.0.113.7/32`);
    else if (p.bits === 0 && !firewall.allowSshFromAnywhere) {
      bad("firewall.adminCidrs", `${cidr} opens SSH to the whole Internet; list your office/VPN addresses, or set firewall.allowSshFromAnywhere true if you really mean it`);
    }
  }

  // nginx
  const ng = obj("nginx");
  const nginx = {
    clientMaxBodySize: str(ng, "clientMaxBodySize", "nginx.clientMaxBodySize", "20m") ?? "20m",
    extraServerConfig: str(ng, "extraServerConfig", "nginx.extraServerConfig", "") ?? "",
  };
  if (!/^\d+[kmg]?$/i.test(nginx.clientMaxBodySize)) bad("nginx.clientMaxBodySize", `must be a size like 20m, got ${JSON.stringify(nginx.clientMaxBodySize)}`);

  // smoke
  const sm = obj("smoke");
  const smoke = {
    connectTo: str(sm, "connectTo", "smoke.connectTo"),
    timeoutSeconds: num(sm, "timeoutSeconds", "smoke.timeoutSeconds", 60, 1, 900),
    request: parseSmokeRequest(sm, readers, VISIT_PATH),
    probes: parseSmokeProbes(sm, readers),
  };
  if (smoke.connectTo && !isIP(smoke.connectTo)) bad("smoke.connectTo", `must be an IP address, got ${JSON.stringify(smoke.connectTo)}`);

  // cloud
  let cloud: CloudConfig | undefined;
  if (target === "alicloud") {
    cloud = parseCloud(c, domain, firewall, bad, str, num);
    if (!cloud.adopt) {
      cloud.hostPrivateKey = str(raw, "sshHostPrivateKey", "sshHostPrivateKey");
      if (!cloud.hostPrivateKey) bad("sshHostPrivateKey", "is required to create a server: its SSH host key, installed by cloud-init and pinned for every connection (`ssh-keygen -t ed25519 -N '' -f host_key && pulumi config set --secret aistudio:sshHostPrivateKey < host_key && pulumi config set --path aistudio:server.hostKey \"$(cut -d' ' -f1,2 host_key.pub)\"`)");
      if (!/^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/.test(server.hostKey)) bad("server.hostKey", "is required to create a server: the ssh-ed25519 public half of aistudio:sshHostPrivateKey");
      if (server.port !== 22) bad("server.port", "a newly created server's sshd listens on 22: leave server.port unset (change the port later, then adopt the server with cloud.adoptAddress)");
    }
  }
  else if (Object.keys(c).length > 0) bad("cloud", "is set but target is local; the local stack never creates Alibaba Cloud resources. Remove the cloud block or set target alicloud");

  if (problems.length > 0) throw new ConfigError(problems);
  return { stack, target, domain, server, tls, app, firewall, nginx, wechat, smoke, cloud };
}
