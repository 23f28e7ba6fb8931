// The SSH side of the config, checked for what it is with ssh2's own key parser (the one node-ssh
// connects with): the deploy key and its passphrase, the pinned host key, a new server's host key and
// the public halves that must match them. Every message names the ssh-keygen command that fixes it.
import { isIP } from "node:net";
import { fingerprint } from "../core/ssh";
import type { ServerConn } from "./config";
import { isValidDomain } from "./config-values";
import type { Bad, Section } from "./config-section";

interface ParsedKey {
  type: string;
  isPrivateKey(): boolean;
  getPublicSSH(): Buffer;
}
type ParseKey = (data: string | Buffer, passphrase?: string) => ParsedKey | ParsedKey[] | Error;
// ssh2 ships no type declarations; this is the one function used.
const parseKey = (require("ssh2") as { utils: { parseKey: ParseKey } }).utils.parseKey;

export const SERVER_KEYS = ["host", "port", "user", "hostKey"] as const;
export type ServerKey = (typeof SERVER_KEYS)[number];

const HOST_KEY_LINE = /^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/]+={0,2}$/;
const DEPLOY_KEYGEN = "ssh-keygen -t ed25519 -N '' -C aistudio-deploy -f ~/.ssh/aistudio_deploy";
const HOST_KEYGEN = "ssh-keygen -t ed25519 -N '' -C aistudio-host -f host_key";

const one = (k: ParsedKey | ParsedKey[] | Error): ParsedKey | Error => (Array.isArray(k) ? k[0] : k);
const fp = (blob: Buffer) => `SHA256:${fingerprint(blob)}`;

/** Why a private key's text is not exactly one clean PEM block, or undefined. */
export function pemShapeProblem(text: string): string | undefined {
  const t = text.replace(/\r\n/g, "\n").trim();
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(t)) return "there is no -----BEGIN … PRIVATE KEY----- line";
  const m = /^-----BEGIN ([A-Z0-9 ]+)-----\n([\s\S]*?)\n?-----END \1-----$/.exec(t);
  if (!m) return "it is not one PEM block from its BEGIN line to the matching END line (text around it, or the END line missing)";
  const lines = m[2].split("\n");
  let i = 0;
  // legacy PEM headers (Proc-Type, DEK-Info of an encrypted RSA/EC key), then a blank line
  while (i < lines.length && /^[A-Za-z-]+: \S/.test(lines[i])) i++;
  if (i > 0 && lines[i] === "") i++;
  const b64 = lines.slice(i).join("");
  if (!lines.slice(i).every((l) => /^[A-Za-z0-9+/=]+$/.test(l)) || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    return "between its BEGIN and END lines there is something other than base64 (a damaged or truncated copy, or two keys pasted together)";
  }
  return undefined;
}

/**
 * Parses a private key as ssh2 would (shape first: ssh2 itself skips junk inside a block); reports
 * the problem under `key` and returns undefined when it is not usable. `encrypted` is true when it
 * needs a passphrase.
 */
function privateKey(key: string, text: string, passphrase: string | undefined, bad: Bad, setIt: string, make: string): { parsed?: ParsedKey; encrypted: boolean } {
  if (/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    bad(key, `is a PKCS#8 key (-----BEGIN PRIVATE KEY-----), which SSH does not read: make an OpenSSH key with \`${make}\` and set it: ${setIt}`);
    return { encrypted: false };
  }
  const shape = pemShapeProblem(text);
  if (shape) {
    bad(key, `is not an SSH private key: ${shape}. Set it from the key file itself: ${setIt} (a new key: \`${make}\`)`);
    return { encrypted: false };
  }
  const plain = one(parseKey(text));
  const encrypted = plain instanceof Error && /encrypted/i.test(plain.message);
  const parsed = encrypted && passphrase !== undefined ? one(parseKey(text, passphrase)) : plain;
  if (parsed instanceof Error) {
    if (!encrypted) bad(key, `is not a usable SSH private key (${parsed.message}): ${setIt} (a new key: \`${make}\`)`);
    return { encrypted };
  }
  if (!parsed.isPrivateKey()) {
    bad(key, `is a public key; it takes the private half (the key file without .pub): ${setIt}`);
    return { encrypted };
  }
  return { parsed, encrypted };
}

/** aistudio:server and the deploy key (aistudio:sshPrivateKey, aistudio:sshPrivateKeyPassphrase). */
export function parseServer(s: Section<ServerKey>, privateKeyText: string, passphrase: string | undefined, needsHostKey: boolean): { server: ServerConn; deployKey?: ParsedKey } {
  const bad = s.bad;
  const server: ServerConn = {
    host: s.str("host", "") ?? "",
    port: s.num("port", 22, 1, 65535),
    user: s.str("user", "root") ?? "root",
    hostKey: s.str("hostKey", "") ?? "",
    privateKey: privateKeyText,
    ...(passphrase !== undefined ? { passphrase } : {}),
  };
  if (server.host && !isIP(server.host) && !isValidDomain(server.host)) bad("server.host", `must be an IP address or host name, got ${JSON.stringify(server.host)}`);
  if (needsHostKey || server.hostKey) {
    const scan = "(from `ssh-keyscan -t ed25519 HOST`, verified out of band)";
    if (!HOST_KEY_LINE.test(server.hostKey)) {
      bad("server.hostKey", `must be the server's pinned SSH host key, "ssh-ed25519 AAAA…" ${scan}; got ${JSON.stringify(server.hostKey)}`);
    } else if (one(parseKey(server.hostKey)) instanceof Error) {
      bad("server.hostKey", `${JSON.stringify(server.hostKey.slice(0, 24) + "…")} does not parse as an SSH public key (truncated or damaged): copy the whole line again ${scan}`);
    }
  }
  if (!/^[a-z_][a-z0-9_-]*$/.test(server.user)) bad("server.user", `must be a Unix user name, got ${JSON.stringify(server.user)}`);
  if (!server.privateKey) {
    bad("sshPrivateKey", "is required: `pulumi config set --secret aistudio:sshPrivateKey < ~/.ssh/id_ed25519`");
    return { server };
  }
  const setIt = "`pulumi config set --secret aistudio:sshPrivateKey < ~/.ssh/aistudio_deploy`";
  const k = privateKey("sshPrivateKey", server.privateKey, passphrase, bad, setIt, DEPLOY_KEYGEN);
  if (k.encrypted && passphrase === undefined) {
    bad("sshPrivateKey", "is encrypted with a passphrase, and aistudio:sshPrivateKeyPassphrase is not set: set it (`pulumi config set --secret aistudio:sshPrivateKeyPassphrase`, which prompts for it), or remove the passphrase from the key (`ssh-keygen -p -N '' -f ~/.ssh/aistudio_deploy`) and set aistudio:sshPrivateKey again");
  } else if (k.encrypted && !k.parsed) {
    bad("sshPrivateKeyPassphrase", "does not decrypt aistudio:sshPrivateKey (wrong passphrase): set the right one with `pulumi config set --secret aistudio:sshPrivateKeyPassphrase` (check it with `ssh-keygen -y -f ~/.ssh/aistudio_deploy`)");
  } else if (!k.encrypted && passphrase !== undefined && k.parsed) {
    bad("sshPrivateKeyPassphrase", "is set, but aistudio:sshPrivateKey is not encrypted: remove it with `pulumi config rm aistudio:sshPrivateKeyPassphrase`");
  }
  return { server, deployKey: k.parsed };
}

/** A new server: its public key line must be the public half of the deploy key. */
export function checkDeployPublicKey(deployKey: ParsedKey | undefined, sshPublicKey: string, bad: Bad) {
  const pub = one(parseKey(sshPublicKey));
  const fix = "`pulumi config set --path aistudio:cloud.sshPublicKey \"$(ssh-keygen -y -f ~/.ssh/aistudio_deploy)\"`";
  if (pub instanceof Error || pub.isPrivateKey()) {
    bad("cloud.sshPublicKey", `does not parse as an SSH public key line (truncated or damaged): set it from the deploy key, ${fix}`);
  } else if (deployKey && !pub.getPublicSSH().equals(deployKey.getPublicSSH())) {
    bad("cloud.sshPublicKey", `is not the public half of aistudio:sshPrivateKey (it is ${fp(pub.getPublicSSH())}, the key's is ${fp(deployKey.getPublicSSH())}); the server would refuse the deploy key: ${fix}`);
  }
}

/** A new server: its host key (installed by cloud-init) must be ed25519, unencrypted, and pinned as server.hostKey. */
export function checkHostPrivateKey(text: string, hostKey: string, bad: Bad) {
  const setIt = "`pulumi config set --secret aistudio:sshHostPrivateKey < host_key`";
  const k = privateKey("sshHostPrivateKey", text, undefined, bad, setIt, HOST_KEYGEN);
  if (k.encrypted) {
    bad("sshHostPrivateKey", "is encrypted; sshd reads its host key without a passphrase: remove it (`ssh-keygen -p -N '' -f host_key`) and set aistudio:sshHostPrivateKey again");
  }
  if (!k.parsed) return;
  if (k.parsed.type !== "ssh-ed25519") {
    bad("sshHostPrivateKey", `is a ${k.parsed.type} key; a new server gets an ed25519 host key: \`${HOST_KEYGEN}\`, then ${setIt}`);
    return;
  }
  const pinned = one(parseKey(hostKey));
  if (!(pinned instanceof Error) && !pinned.getPublicSSH().equals(k.parsed.getPublicSSH())) {
    bad("server.hostKey", `is not the public half of aistudio:sshHostPrivateKey (it is ${fp(pinned.getPublicSSH())}, the host key's is ${fp(k.parsed.getPublicSSH())}); the first connection would be refused: \`pulumi config set --path aistudio:server.hostKey "$(ssh-keygen -y -f host_key | cut -d' ' -f1,2)"\``);
  }
}

export const SSH_KEYS = ["extraConfig"] as const;
export type SshKey = (typeof SSH_KEYS)[number];

/**
 * aistudio:ssh: extraConfig, more sshd directives for the server (AllowUsers, AllowGroups, Banner, a
 * Match block), written after ours in the drop-in, checked with `sshd -t` and confirmed by a new login
 * before they stay (provision/ssh.ts). A keyword aistudio sets is refused: sshd keeps the first value
 * it reads (ours), so the line would do nothing, or, inside a Match block, reopen what ours closes.
 */
export function parseSsh(s: Section<SshKey>, managed: readonly string[]): { extraConfig: string } {
  const extraConfig = s.str("extraConfig", "") ?? "";
  const ours = new Set(managed.map((k) => k.toLowerCase()));
  for (const line of extraConfig.split(/\r?\n/)) {
    const word = line.trim().split(/[\s=]+/)[0] ?? "";
    if (word && !word.startsWith("#") && ours.has(word.toLowerCase())) {
      s.bad("ssh.extraConfig", `sets ${word}, which aistudio sets itself (provision/ssh.ts: key-only logins, no forwarding, modern algorithms); remove that line`);
    }
  }
  if (/[\0]/.test(extraConfig)) s.bad("ssh.extraConfig", "contains a NUL character");
  return { extraConfig };
}
