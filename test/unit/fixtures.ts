// Shared test fixtures: real keys and certificates (made with node:crypto and the local openssl),
// and raw configs that parse, one per kind of stack. No network, no test hosts.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Raw } from "../../infra/config";

/** A PKCS#8 PEM ed25519 private key (parseConfig accepts it as aistudio:sshPrivateKey). */
export function ed25519Pem(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** A real OpenSSH-format public key line "ssh-ed25519 AAAA…" (type + base64 blob). */
export function ed25519OpenSshPublic(): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const str = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  return "ssh-ed25519 " + Buffer.concat([str(Buffer.from("ssh-ed25519")), str(raw)]).toString("base64");
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

export const SSH_KEY = ed25519Pem();
export const HOST_KEY = ed25519OpenSshPublic();
export const SSH_PUBLIC_KEY = ed25519OpenSshPublic();
export const HOST_PRIVATE_KEY = ed25519Pem();

/** target local: a test host, self-signed TLS by default. */
export function localRaw(over: Raw = {}): Raw {
  return {
    target: "local",
    server: { host: "10.77.0.10", hostKey: HOST_KEY },
    sshPrivateKey: SSH_KEY,
    app: { dir: "provision/sample-app" },
    ...over,
  };
}

/** target alicloud, creating a new ECS server: acme TLS by default. */
export function alicloudCreateRaw(over: Raw = {}): Raw {
  return {
    target: "alicloud",
    server: { hostKey: HOST_KEY },
    sshPrivateKey: SSH_KEY,
    sshHostPrivateKey: HOST_PRIVATE_KEY,
    tls: { email: "ops@photogooo.com" },
    app: { dir: "provision/sample-app" },
    firewall: { adminCidrs: ["203.0.113.7/32"] },
    cloud: { instanceType: "ecs.e-c1m2.large", sshPublicKey: SSH_PUBLIC_KEY },
    ...over,
  };
}

/** target alicloud, adopting an existing server by its public IP. */
export function alicloudAdoptRaw(over: Raw = {}): Raw {
  return {
    target: "alicloud",
    server: { hostKey: HOST_KEY, user: "deploy" },
    sshPrivateKey: SSH_KEY,
    tls: { email: "ops@photogooo.com" },
    app: { git: "https://git.example.com/aistudio/backend.git", ref: "v1.2.0" },
    firewall: { adminCidrs: ["203.0.113.7/32"] },
    cloud: { adoptAddress: "47.96.1.2", adoptSecurityGroupId: "sg-bp1abc", region: "cn-shanghai" },
    ...over,
  };
}
