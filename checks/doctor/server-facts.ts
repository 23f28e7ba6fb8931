// What the server checks read over SSH: one script, run once per doctor run, and its parser. The
// script prints probe records (core/probe.ts) with the prelude's helpers, like a step's probe; the
// facts are fields of those records.
import { APP_PORT, APP_UNIT, FULLCHAIN } from "../../core/constants";
import { RAW, parseProbe, recordKey } from "../../core/probe";
import { Connection, runOnce } from "../../core/ssh";
import { PRELUDE } from "../../provision/prelude";
import { Probe, listenProbe, probeOf, unitProbe } from "../../provision/probes";

/**
 * nginx / aistudio: `systemctl is-active`; appListen: the addresses listening on the app's port;
 * gunicorn: what gunicorn (python) listens on; ufw: `ufw status`; cert: the deployed certificate
 * (local stack); unparsed: output lines that were not records; error: why there are no facts (SSH
 * failed).
 */
export type ServerFacts = Record<string, string>;

const gunicornProbe: Probe = {
  items: [{ kind: "process", subject: "gunicorn" }],
  sh: `probe_record process gunicorn "listen=$(listening_on '*' 'gunicorn|python')"`,
};
const ufwStatusProbe: Probe = { items: [{ kind: "ufw", subject: "status" }], sh: `probe_record ufw status "text=$(ufw status 2>&1 || true)"` };
const certPemProbe: Probe = { items: [{ kind: "cert", subject: FULLCHAIN }], sh: `probe_record cert ${FULLCHAIN} "pem=$(cat ${FULLCHAIN} 2>/dev/null || true)"` };

/** Each fact: the record and field it is read from. */
const FACTS: { fact: string; probe: Probe; field: string }[] = [
  { fact: "nginx", probe: unitProbe("nginx"), field: "active" },
  { fact: "aistudio", probe: unitProbe(APP_UNIT), field: "active" },
  { fact: "appListen", probe: listenProbe(APP_PORT), field: "addresses" },
  { fact: "gunicorn", probe: gunicornProbe, field: "listen" },
  { fact: "ufw", probe: ufwStatusProbe, field: "text" },
  { fact: "cert", probe: certPemProbe, field: "pem" },
];

/** The script; with the deployed certificate too when the doctor is to trust it (local stack). */
export function serverScript(withCert: boolean): string {
  return PRELUDE + "\n" + probeOf(...FACTS.filter((f) => withCert || f.fact !== "cert").map((f) => f.probe)).probe + "\n";
}

/** The script's output as facts: each fact is one field of one record; lines that are not records are kept in `unparsed`. */
export function parseServerFacts(out: string): ServerFacts {
  const records = parseProbe(out);
  const byKey = new Map(records.map((r) => [recordKey(r), r]));
  const facts: ServerFacts = {};
  for (const f of FACTS) {
    const value = byKey.get(recordKey(f.probe.items[0]))?.fields[f.field];
    if (value !== undefined) facts[f.fact] = value;
  }
  const unparsed = records.filter((r) => r.kind === RAW).map((r) => r.subject);
  if (unparsed.length) facts.unparsed = unparsed.join("\n");
  return facts;
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
