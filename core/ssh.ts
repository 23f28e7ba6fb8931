// SSH to a managed server with node-ssh: pinned host key (a changed key aborts before anything
// runs), bounded dial retries, scripts sent on stdin (never on the command line), and output
// redaction for values that must never reach a log.
import { NodeSSH } from "node-ssh";
import { createHash } from "node:crypto";

export interface Connection {
  host: string;
  port: number;
  user: string;
  /** "ssh-ed25519 AAAA…" */
  hostKey: string;
  privateKey: string;
  /** The private key's passphrase, when it is encrypted (aistudio:sshPrivateKeyPassphrase). */
  passphrase?: string;
}

export class HostKeyMismatchError extends Error {
  constructor(host: string, expected: string, found: string) {
    super(
      `SSH host key of ${host} does not match the pinned key / 主机密钥与固定值不一致 — refusing to connect.\n` +
        `  expected (aistudio:server.hostKey): SHA256:${expected}\n` +
        `  found:                              SHA256:${found}\n` +
        `  If the server was rebuilt on purpose, verify its new key out of band and update aistudio:server.hostKey; otherwise treat this as an attack.`,
    );
    this.name = "HostKeyMismatchError";
  }
}

/** OpenSSH-style SHA256 fingerprint (base64 without padding) of a key blob. */
export function fingerprint(blob: Buffer): string {
  return createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

export function pinnedBlob(hostKey: string): Buffer {
  const parts = hostKey.trim().split(/\s+/);
  const b64 = parts.length >= 2 ? parts[1] : parts[0];
  return Buffer.from(b64, "base64");
}

export interface ConnectOptions {
  /** Total time to keep retrying the dial (sshd not up yet, server booting). */
  dialBudgetMs?: number;
  onRetry?: (attempt: number, err: Error) => void;
}

/** Counts connections opened by this process (benchmarks and the one-connection-per-host test). */
export const stats = { connections: 0, commands: 0 };

export async function connect(c: Connection, o: ConnectOptions = {}): Promise<NodeSSH> {
  const budget = o.dialBudgetMs ?? 60_000;
  const start = Date.now();
  const expected = pinnedBlob(c.hostKey);
  const keyType = c.hostKey.trim().split(/\s+/)[0];
  for (let attempt = 1; ; attempt++) {
    let mismatch: HostKeyMismatchError | undefined;
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        host: c.host,
        port: c.port,
        username: c.user,
        privateKey: c.privateKey,
        passphrase: c.passphrase,
        readyTimeout: 15_000,
        keepaliveInterval: 10_000,
        algorithms: keyType ? { serverHostKey: [keyType as never] } : undefined,
        hostVerifier: (key: Buffer) => {
          if (key.equals(expected)) return true;
          mismatch = new HostKeyMismatchError(`${c.host}:${c.port}`, fingerprint(expected), fingerprint(key));
          return false;
        },
      });
      stats.connections++;
      return ssh;
    } catch (e) {
      ssh.dispose();
      if (mismatch) throw mismatch;
      const err = e as Error;
      const transient = /ECONNREFUSED|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|Timed out|ENETUNREACH|handshake/i.test(err.message);
      if (!transient || Date.now() - start + 2000 > budget) {
        throw new Error(`cannot SSH to ${c.user}@${c.host}:${c.port} / 无法通过 SSH 连接服务器: ${err.message}`);
      }
      o.onRetry?.(attempt, err);
      await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 5000)));
    }
  }
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `script` with bash as root (sudo when the user is not root), sending it on stdin; `onStderr` sees stderr as it comes. */
export async function runScript(ssh: NodeSSH, user: string, script: string, o: { onStderr?: (chunk: Buffer) => void } = {}): Promise<ExecResult> {
  stats.commands++;
  const cmd = user === "root" ? "bash -s" : "sudo -n bash -s";
  const r = await ssh.execCommand(cmd, { stdin: script, onStderr: o.onStderr });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Opens a connection, runs one script as root (see runScript) and closes the connection. */
export async function runOnce(c: Connection, script: string, dialBudgetMs: number): Promise<ExecResult> {
  const ssh = await connect(c, { dialBudgetMs });
  try {
    return await runScript(ssh, c.user, script);
  } finally {
    ssh.dispose();
  }
}

/** Replaces every secret value (and its base64 form, and each long line of it) in text with ***. */
export function redact(text: string, secrets: string[]): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    forms.add(s);
    forms.add(Buffer.from(s).toString("base64"));
    // lines trimmed, so a CRLF secret still matches LF output
    for (const line of s.split("\n")) if (line.trim().length >= 16) forms.add(line.trim());
  }
  // longest first: a secret that contains another one (a URL with a password) is removed whole
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join("***");
  return out;
}

/** Keeps the last `n` lines of a text (error messages stay readable). */
export function tail(text: string, n: number): string {
  const lines = text.trimEnd().split("\n");
  return lines.slice(-n).join("\n");
}
