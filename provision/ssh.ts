// sshd hardened without locking anyone out: one drop-in, /etc/ssh/sshd_config.d/00-aistudio.conf.
//
// Why a drop-in named 00-: Debian 12's sshd_config starts with `Include /etc/ssh/sshd_config.d/*.conf`
// (Ubuntu 22.04/24.04 too), and for each keyword sshd keeps the FIRST value it reads. The drop-ins are
// read in lexical order before the rest of sshd_config, so 00-aistudio.conf wins over Debian's
// defaults (X11Forwarding yes), over cloud-init's 50-cloud-init.conf (PasswordAuthentication yes on
// some images) and over the test hosts' aistudio-testhost.conf. The apply reads the result back with
// `sshd -T` and fails when a setting is not ours (a file sorting before ours, or no Include line).
//
// What it sets and why:
//  - key-only logins: PasswordAuthentication and KbdInteractiveAuthentication off; root only with a
//    key (prohibit-password). The program deploys as server.user (root on test hosts and new ECS
//    servers, sudo -n otherwise). A dedicated deploy user is not made here: it would need
//    passwordless sudo to provision, which is root by another name, plus moving the deploy key on
//    servers that already run; root with a key only and a confirmed login is as strong for one
//    deploy key, and server.user already lets an adopted server use its own sudo user.
//  - MaxAuthTries 3 (an agent offering many keys hits it: use `ssh -o IdentitiesOnly=yes -i KEY`),
//    LoginGraceTime 30 s (the runner logs in within its 15 s ready timeout).
//  - forwarding off (X11, agent, TCP, stream-local, tunnels): the runner only runs commands over
//    exec channels (core/ssh.ts: node-ssh execCommand, scripts on stdin); nothing tunnels.
//  - algorithms both the runner's ssh2 (1.17: curve25519-sha256, group16/18, AES-GCM, ChaCha20,
//    hmac-sha2-*-etm, strict KEX) and OpenSSH clients speak; sntrup761 (post-quantum hybrid, OpenSSH
//    9.0+ default) first for OpenSSH clients. No SHA-1, no CBC, no NIST-curve key exchange, no
//    encrypt-and-MAC MACs. aes*-ctr stay (with ETM MACs only) for older clients without AES-GCM.
//  - HostKeyAlgorithms: the type of the pinned host key (aistudio:server.hostKey): the runner only
//    accepts that one. An ssh-rsa pinned key leaves sshd's default (its rsa-sha2-* signatures).
//  - ClientAliveInterval 300 / ClientAliveCountMax 2 instead of TCPKeepAlive: a dead client's
//    session ends after 10 min, probed inside the encrypted channel. Compression off. LogLevel
//    VERBOSE: the key fingerprint of every login in the journal, and fail2ban sees each attempt.
//  - MaxSessions stays at sshd's 10 (Lynis suggests 2): a refresh reads every step's probe over ONE
//    connection at the same time, up to 8 at once (infra/runner/remote-step-impl.ts, MAX_CHANNELS);
//    a lower limit would refuse those channels.
//  - the port stays server.port: a moved port only hides sshd; the security group and ufw already
//    admit it only from firewall.adminCidrs.
//
// The change is checked with `sshd -t`, read back with `sshd -T`, sshd reloaded, and then the runner
// confirms it over a NEW connection with the deploy key (Step.confirm). A config that locks the key
// out is rolled back (over the old connection, or by a timer on the server when the runner is gone)
// and the deploy fails with the reason: provision/scripts/ssh.sh.
import { Step, sha256 } from "./step";
import { ShellVars, scriptFromFile, q } from "./shell";
import { Probe, fileProbe, probeOf } from "./probes";

export const SSHD_DROPIN = "/etc/ssh/sshd_config.d/00-aistudio.conf";
/** Exists while a changed drop-in is not confirmed yet: its rollback is pending. */
export const SSHD_PENDING = `${SSHD_DROPIN}.aistudio-pending`;
/** The rollback the safety timer runs when no confirmation comes (written by the apply). */
export const SSHD_ROLLBACK_SCRIPT = "/run/aistudio-sshd-rollback.sh";
/** The transient systemd timer that rolls an unconfirmed change back. */
export const SSHD_ROLLBACK_UNIT = "aistudio-sshd-rollback";
/** Seconds the runner has to confirm a change before the server rolls it back by itself. */
export const SSHD_CONFIRM_WINDOW = 120;

export const KEX = ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512"];
export const CIPHERS = ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr"];
export const MACS = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "umac-128-etm@openssh.com"];

export interface SshOptions {
  /** The pinned host key line ("ssh-ed25519 AAAA…"), or "" when none is pinned. */
  hostKey: string;
  /** aistudio:ssh.extraConfig: more sshd directives, after ours (ours win for the same keyword). */
  extraConfig?: string;
}

/** The host key algorithms sshd offers: the pinned key's type (ed25519 when none is pinned). */
export function hostKeyAlgorithms(hostKey: string): string[] | undefined {
  const type = hostKey.trim().split(/\s+/)[0] || "ssh-ed25519";
  if (type === "ssh-rsa") return undefined; // sshd's default: rsa-sha2-512/256 signatures of that key
  return type === "ssh-ed25519" ? ["ssh-ed25519"] : ["ssh-ed25519", type];
}

/** The settings, as sshd_config keywords with their values, in the drop-in's order. */
export function sshdSettings(o: SshOptions): [string, string][] {
  const hka = hostKeyAlgorithms(o.hostKey);
  return [
    ["PasswordAuthentication", "no"],
    ["KbdInteractiveAuthentication", "no"],
    ["PubkeyAuthentication", "yes"],
    ["PermitRootLogin", "prohibit-password"],
    ["MaxAuthTries", "3"],
    ["LoginGraceTime", "30"],
    ["X11Forwarding", "no"],
    ["AllowAgentForwarding", "no"],
    ["AllowTcpForwarding", "no"],
    ["AllowStreamLocalForwarding", "no"],
    ["PermitTunnel", "no"],
    ["KexAlgorithms", KEX.join(",")],
    ["Ciphers", CIPHERS.join(",")],
    ["MACs", MACS.join(",")],
    ...(hka ? [["HostKeyAlgorithms", hka.join(",")] as [string, string]] : []),
    ["ClientAliveInterval", "300"],
    ["ClientAliveCountMax", "2"],
    ["TCPKeepAlive", "no"],
    ["Compression", "no"],
    ["LogLevel", "VERBOSE"],
  ];
}

/** How `sshd -T` prints a setting: lower-case keyword, and prohibit-password under its old name. */
export function effective(o: SshOptions): [string, string][] {
  return sshdSettings(o).map(([k, v]) => [k.toLowerCase(), k === "PermitRootLogin" && v === "prohibit-password" ? "without-password" : v]);
}

/** The keywords the probe reads back from `sshd -T` (drift: a re-enabled password login). */
export const probedKeywords = (o: SshOptions) => effective(o).map(([k]) => k);

export function sshdDropIn(o: SshOptions): string {
  const extra = (o.extraConfig ?? "").trim();
  return [
    "# Managed by aistudio (provision/ssh.ts); hand edits are reported as drift and replaced.",
    "# 00- sorts first in sshd_config.d, and sshd keeps the first value it reads for a keyword.",
    ...sshdSettings(o).map(([k, v]) => `${k} ${v}`),
    ...(extra ? ["", "# aistudio:ssh.extraConfig (after ours: ours win for the same keyword)", extra] : []),
    "",
  ].join("\n");
}

/** `sshd effective KEY=VALUE…`: what sshd runs with for the keywords we set (`sshd -T`). */
export function sshdEffectiveProbe(keywords: string[]): Probe {
  const awk = `BEGIN { n = split(k, w, " "); for (i = 1; i <= n; i++) want[w[i]] = 1 } /^error=/ { print } ($1 in want) { v = $0; sub(/^[^ ]+ /, "", v); print $1 "=" v }`;
  return {
    items: [{ kind: "sshd", subject: "effective" }],
    sh: `{ sshd -T 2>/dev/null || echo "error=sshd -T failed"; } | awk -v k=${q(keywords.join(" "))} ${q(awk)} | sort | probe_record sshd effective -`,
  };
}

/** The header of provision/scripts/ssh.sh for one phase (apply, confirm, rollback). */
export function sshScriptVars(o: SshOptions, phase: "apply" | "confirm" | "rollback"): ShellVars {
  return {
    PHASE: phase,
    DROPIN: SSHD_DROPIN,
    PENDING: SSHD_PENDING,
    ROLLBACK_SCRIPT: SSHD_ROLLBACK_SCRIPT,
    ROLLBACK_UNIT: SSHD_ROLLBACK_UNIT,
    CONFIRM_WINDOW: SSHD_CONFIRM_WINDOW,
    SSHD_CONFIG: "/etc/ssh/sshd_config",
    SSH_UNIT: "ssh",
    WANT_SHA256: sha256(sshdDropIn(o)),
    EXPECT: effective(o).map(([k, v]) => `${k} ${v}`),
  };
}

export function sshStep(o: SshOptions): Step {
  return {
    id: "ssh",
    description: "sshd: key-only logins, no forwarding, modern algorithms (confirmed by a new login)",
    files: [{ path: SSHD_DROPIN, content: sshdDropIn(o), mode: "0644" }],
    apply: scriptFromFile("ssh", sshScriptVars(o, "apply")),
    confirm: { script: scriptFromFile("ssh", sshScriptVars(o, "confirm")), rollback: scriptFromFile("ssh", sshScriptVars(o, "rollback")) },
    ...probeOf(fileProbe(SSHD_DROPIN), sshdEffectiveProbe(probedKeywords(o))),
  };
}

/** Every keyword the drop-in may set: aistudio:ssh.extraConfig may not set them again. */
export const SSHD_KEYWORDS: readonly string[] = [...new Set([...sshdSettings({ hostKey: "" }).map(([k]) => k), "HostKeyAlgorithms"])];
