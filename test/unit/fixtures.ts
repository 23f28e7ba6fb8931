// Shared test fixtures: real keys and certificates (made with the local ssh-keygen and openssl),
// and raw configs that parse, one per kind of stack. No network, no test hosts.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import { ConfigError, parseConfig, type Raw } from "../../infra/config";

export interface SshKeyPair {
  /** The private key file as ssh-keygen writes it (OpenSSH format). */
  privateKey: string;
  /** Its public half, "ssh-ed25519 AAAA…" (type and base64, no comment). */
  publicKey: string;
}

/** A real key pair made by the local ssh-keygen (ed25519 or rsa; encrypted when a passphrase is given). */
export function sshKeygen(type: "ed25519" | "rsa" = "ed25519", passphrase = ""): SshKeyPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-sshkey-"));
  try {
    const file = path.join(dir, "key");
    execFileSync("ssh-keygen", ["-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", passphrase, "-C", "aistudio-test", "-f", file], { stdio: ["ignore", "ignore", "pipe"] });
    return {
      privateKey: fs.readFileSync(file, "utf8"),
      publicKey: fs.readFileSync(`${file}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" "),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface CertPair {
  cert: string;
  key: string;
}

/** A self-signed EC certificate for `name` (CN and subjectAltName), made by the local openssl. */
export function selfSignedCert(name: string): CertPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
        "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`,
        "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    return {
      cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"),
      key: fs.readFileSync(path.join(dir, "key.pem"), "utf8"),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The deploy key (aistudio:sshPrivateKey) and its public half (cloud.sshPublicKey). */
export const DEPLOY_KEY = sshKeygen();
export const SSH_KEY = DEPLOY_KEY.privateKey;
export const SSH_PUBLIC_KEY = DEPLOY_KEY.publicKey;
/** A new server's host key (aistudio:sshHostPrivateKey) and its public half, pinned as server.hostKey. */
export const SERVER_HOST_KEY = sshKeygen();
export const HOST_PRIVATE_KEY = SERVER_HOST_KEY.privateKey;
export const HOST_KEY = SERVER_HOST_KEY.publicKey;

/** target local: a test host, self-signed TLS by default. */
export function localRaw(over: Raw = {}): Raw {
  return {
    target: "local",
    domain: "photogooo.com",
    server: { host: "10.77.0.10", hostKey: HOST_KEY },
    sshPrivateKey: SSH_KEY,
    app: { dir: "provision/sample-app" },
    ...over,
  };
}

/** Backups every Alibaba Cloud stack must have: an OSS bucket, its RAM key and the restic password (secrets). */
export const ALICLOUD_BACKUP: Raw = {
  backup: { bucket: "photogooo-backup", accessKeyId: "LTAI5tBackupKeyId0001" },
  backupSecretAccessKey: "oss-secret-access-key-0123456789",
  backupPassword: "restic-repository-password-0123",
};

/** The data features on the local stack: the test host's volume, PostgreSQL on it, backups to an S3 store. */
export const LOCAL_DATA: Raw = {
  data: { volume: true },
  database: { mode: "local" },
  databasePassword: "db-password-0123456789",
  backup: { repository: "s3:http://198.18.0.250:8333/aistudio-backup/restic", accessKeyId: "backup-key-id" },
  backupSecretAccessKey: "backup-secret-0123456789",
  backupPassword: "restic-password-0123456789",
};

/** target alicloud, creating a new ECS server: acme TLS by default. */
export function alicloudCreateRaw(over: Raw = {}): Raw {
  return {
    target: "alicloud",
    domain: "photogooo.com",
    server: { hostKey: HOST_KEY },
    sshPrivateKey: SSH_KEY,
    sshHostPrivateKey: HOST_PRIVATE_KEY,
    tls: { email: "ops@photogooo.com" },
    app: { dir: "provision/sample-app" },
    firewall: { adminCidrs: ["203.0.113.7/32"] },
    cloud: { instanceType: "ecs.e-c1m2.large", sshPublicKey: SSH_PUBLIC_KEY },
    ...ALICLOUD_BACKUP,
    ...over,
  };
}

/** target alicloud, adopting an existing server by its public IP. */
export function alicloudAdoptRaw(over: Raw = {}): Raw {
  return {
    target: "alicloud",
    domain: "photogooo.com",
    server: { hostKey: HOST_KEY, user: "deploy" },
    sshPrivateKey: SSH_KEY,
    tls: { email: "ops@photogooo.com" },
    app: { git: "https://git.example.com/aistudio/backend.git", ref: "v1.2.0" },
    firewall: { adminCidrs: ["203.0.113.7/32"] },
    cloud: { adoptAddress: "47.96.1.2", adoptSecurityGroupId: "sg-bp1abc", region: "cn-shanghai" },
    ...ALICLOUD_BACKUP,
    ...over,
  };
}

/** Pulumi's view of a raw config (what the program reads): aistudio:KEY, objects and lists as JSON. */
export function allConfigOf(raw: Raw): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined).map(([k, v]) => [`aistudio:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** Runs `run`, which must throw a ConfigError, and returns its problems. */
export function problemsThrownBy(run: () => unknown): { key: string; message: string }[] {
  let err: unknown;
  try {
    run();
  } catch (e) {
    err = e;
  }
  expect(err, "a bad config was accepted").toBeInstanceOf(ConfigError);
  return (err as ConfigError).problems;
}

/** The problems of the ConfigError that parseConfig must throw. */
export const problemsOf = (raw: Raw, stack: string) => problemsThrownBy(() => parseConfig(raw, stack));

// ---- tables of bad configs (config*.test.ts) -------------------------------------------------------

/** A config that must fail: `key`'s message must match `fix`; `also`: other keys it is reported for. */
export interface BadCase {
  name: string;
  raw: Raw;
  stack: string;
  /** The key that must be named. */
  key: string;
  /** What its message must say: the fix (a command, an example, the alternative to use). */
  fix: RegExp;
  /** Other keys the same config must be reported for (a typo leaves the real key missing). */
  also?: string[];
}

/** A table row's config and stack: the local stack, a created server, an adopted one. */
export const onLocal = (over: Raw, stack = "local") => ({ raw: localRaw(over), stack });
export const onCreate = (over: Raw, stack = "prod") => ({ raw: alicloudCreateRaw(over), stack });
export const onAdopt = (over: Raw, stack = "prod") => ({ raw: alicloudAdoptRaw(over), stack });
/** cloud.* of a created server, to extend in a row. */
export const CREATE_CLOUD = { instanceType: "ecs.e-c1m2.large", sshPublicKey: SSH_PUBLIC_KEY };

// ---- a fleet (servers.count > 1, issue #15) -----------------------------------------------------------

let fleetCert: CertPair | undefined;
/** A certificate for photogooo.com and its key (tls.mode provided: the load balancer's certificate). */
export const fleetCertificate = (): CertPair => (fleetCert ??= selfSignedCert("photogooo.com"));

/** The database password of FLEET_DATABASE (ApsaraDB RDS's rules: upper, lower, digits, signs). */
export const FLEET_DB_PASSWORD = "Rds_Passw0rd-2024xyz";

/**
 * target alicloud with three servers in two zones, as a fleet must be configured: an external (RDS)
 * database, no per-server data disk, a provided certificate. The config still refuses it (shared
 * uploads are not built yet): collectConfig gives its parsed config with that one problem.
 */
export function alicloudFleetRaw(over: Raw = {}, servers: Raw = {}): Raw {
  const cert = fleetCertificate();
  return alicloudCreateRaw({
    tls: { mode: "provided", certificate: cert.cert },
    tlsPrivateKey: cert.key,
    data: { volume: false },
    database: { mode: "external", rds: { instanceType: "pg.n2.2c.1m" } },
    databasePassword: FLEET_DB_PASSWORD,
    servers: { count: 3, zones: ["cn-hangzhou-i", "cn-hangzhou-j"], ...servers },
    // uploads in one OSS bucket every server sees, declared by the stack
    uploads: { store: "s3", bucket: "photogooo-uploads", accessKeyId: "LTAI5tFleetUploads01" },
    uploadsSecretAccessKey: "fleet-uploads-secret-0123456789",
    ...over,
  });
}
