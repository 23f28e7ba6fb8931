"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.stats = exports.HostKeyMismatchError = void 0;
exports.fingerprint = fingerprint;
exports.pinnedBlob = pinnedBlob;
exports.connect = connect;
exports.runScript = runScript;
exports.redact = redact;
exports.tail = tail;
// SSH to a managed server with node-ssh: pinned host key (a changed key aborts before anything
// runs), bounded dial retries, scripts sent on stdin (never on the command line), and output
// redaction for values that must never reach a log.
const node_ssh_1 = require("node-ssh");
const node_crypto_1 = require("node:crypto");
class HostKeyMismatchError extends Error {
    constructor(host, expected, found) {
        super(`SSH host key of ${host} does not match the pinned key / 主机密钥与固定值不一致 — refusing to connect.\n` +
            `  expected (aistudio:server.hostKey): SHA256:${expected}\n` +
            `  found:                              SHA256:${found}\n` +
            `  If the server was rebuilt on purpose, verify its new key out of band and update aistudio:server.hostKey; otherwise treat this as an attack.`);
        this.name = "HostKeyMismatchError";
    }
}
exports.HostKeyMismatchError = HostKeyMismatchError;
/** OpenSSH-style SHA256 fingerprint (base64 without padding) of a key blob. */
function fingerprint(blob) {
    return (0, node_crypto_1.createHash)("sha256").update(blob).digest("base64").replace(/=+$/, "");
}
function pinnedBlob(hostKey) {
    const parts = hostKey.trim().split(/\s+/);
    const b64 = parts.length >= 2 ? parts[1] : parts[0];
    return Buffer.from(b64, "base64");
}
/** Counts connections opened by this process (benchmarks and the one-connection-per-host test). */
exports.stats = { connections: 0, commands: 0 };
async function connect(c, o = {}) {
    const budget = o.dialBudgetMs ?? 60_000;
    const start = Date.now();
    const expected = pinnedBlob(c.hostKey);
    const keyType = c.hostKey.trim().split(/\s+/)[0];
    for (let attempt = 1;; attempt++) {
        let mismatch;
        const ssh = new node_ssh_1.NodeSSH();
        try {
            await ssh.connect({
                host: c.host,
                port: c.port,
                username: c.user,
                privateKey: c.privateKey,
                readyTimeout: 15_000,
                keepaliveInterval: 10_000,
                algorithms: keyType ? { serverHostKey: [keyType] } : undefined,
                hostVerifier: (key) => {
                    if (key.equals(expected))
                        return true;
                    mismatch = new HostKeyMismatchError(`${c.host}:${c.port}`, fingerprint(expected), fingerprint(key));
                    return false;
                },
            });
            exports.stats.connections++;
            return ssh;
        }
        catch (e) {
            ssh.dispose();
            if (mismatch)
                throw mismatch;
            const err = e;
            const transient = /ECONNREFUSED|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|Timed out|ENETUNREACH|handshake/i.test(err.message);
            if (!transient || Date.now() - start + 2000 > budget) {
                throw new Error(`cannot SSH to ${c.user}@${c.host}:${c.port} / 无法通过 SSH 连接服务器: ${err.message}`);
            }
            o.onRetry?.(attempt, err);
            await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 5000)));
        }
    }
}
/** Runs `script` with bash as root (sudo when the user is not root), sending it on stdin. */
async function runScript(ssh, user, script) {
    exports.stats.commands++;
    const cmd = user === "root" ? "bash -s" : "sudo -n bash -s";
    const r = await ssh.execCommand(cmd, { stdin: script });
    return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}
/** Replaces every secret value (and its base64 form, and each long line of it) in text with ***. */
function redact(text, secrets) {
    const forms = new Set();
    for (const s of secrets) {
        if (!s || s.length < 4)
            continue;
        forms.add(s);
        forms.add(Buffer.from(s).toString("base64"));
        // lines trimmed, so a CRLF secret still matches LF output
        for (const line of s.split("\n"))
            if (line.trim().length >= 16)
                forms.add(line.trim());
    }
    // longest first: a secret that contains another one (a URL with a password) is removed whole
    let out = text;
    for (const form of [...forms].sort((a, b) => b.length - a.length))
        out = out.split(form).join("***");
    return out;
}
/** Keeps the last `n` lines of a text (error messages stay readable). */
function tail(text, n) {
    const lines = text.trimEnd().split("\n");
    return lines.slice(-n).join("\n");
}
//# sourceMappingURL=ssh.js.map