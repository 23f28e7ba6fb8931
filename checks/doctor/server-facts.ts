// What the server checks read over SSH: one script, run once per doctor run, and its parser.
// The script prints `key=value` lines and `key<<EOF … EOF` blocks.
import { APP_PORT, FULLCHAIN } from "../../core/constants";
import { Connection, runOnce } from "../../core/ssh";

/**
 * nginx / aistudio: `systemctl is-active`; appListen: the addresses listening on the app's port;
 * gunicorn: what gunicorn (python) listens on; ufw: `ufw status`; cert: the deployed certificate
 * (local stack); error: why there are no facts (SSH failed).
 */
export type ServerFacts = Record<string, string>;

const SERVER_SCRIPT = `
echo "nginx=$(systemctl is-active nginx 2>/dev/null || true)"
echo "aistudio=$(systemctl is-active aistudio 2>/dev/null || true)"
echo "appListen=$(ss -Htln 'sport = :${APP_PORT}' | awk '{print $4}' | tr '\\n' ' ')"
echo "gunicorn=$(ss -Htlnp 2>/dev/null | grep -E 'gunicorn|python' | awk '{print $4}' | tr '\\n' ' ')"
echo "ufw<<EOF"; ufw status 2>&1 || true; echo "EOF"
`;

/** The script; with the deployed certificate too when the doctor is to trust it (local stack). */
export function serverScript(withCert: boolean): string {
  return SERVER_SCRIPT + (withCert ? `\necho 'cert<<EOF'; cat ${FULLCHAIN}; echo EOF` : "");
}

/** The script's output as facts: `key=value` lines (trimmed) and `key<<EOF` blocks. */
export function parseServerFacts(out: string): ServerFacts {
  const r: ServerFacts = {};
  const lines = out.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\w+)<<EOF$/.exec(lines[i]);
    if (m) {
      const buf: string[] = [];
      for (i++; i < lines.length && lines[i] !== "EOF"; i++) buf.push(lines[i]);
      r[m[1]] = buf.join("\n");
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(lines[i]);
    if (kv) r[kv[1]] = kv[2].trim();
  }
  return r;
}

/** One SSH session for everything the server checks need; `{ error }` when it fails. */
export async function readServerFacts(ssh: Connection, withCert: boolean): Promise<ServerFacts> {
  try {
    const r = await runOnce(ssh, serverScript(withCert), 8_000);
    return parseServerFacts(r.stdout);
  } catch (e) {
    return { error: (e as Error).message };
  }
}
