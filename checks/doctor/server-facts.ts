// What the server checks read over SSH: one script, run once per doctor run, and its parser. The
// script prints probe records (core/probe.ts) with the probe helpers (core/probe-sh.ts), like a step's
// probe; the facts are fields of those records.
import { APP_PORT, APP_UNIT, APP_USER, BACKUP_TOOL, ENV_FILE, FULLCHAIN } from "../../core/constants";
import { RAW, parseProbe, recordKey } from "../../core/probe";
import { probeShell } from "../../core/probe-sh";
import { Connection, runOnce } from "../../core/ssh";
import { q } from "../../core/quote";
import { OS_FACTS } from "./os-facts";

/**
 * nginx / aistudio / socket (aistudio.socket): `systemctl is-active`; appListen: the addresses
 * listening on the app's port (app.port); gunicorn: what gunicorn (python) listens on; ufw: `ufw
 * status`; cert: the deployed certificate (local stack); unparsed: output lines that were not
 * records; error: why there are no facts (SSH failed).
 */
export type ServerFacts = Record<string, string>;

/** What the data checks read: the data dir (a volume's mount point), the backup tool, the database. */
export interface DataFactsSpec {
  dataDir: string;
  /** Is the data dir a volume's mount point? */
  volume: boolean;
  backup: boolean;
  database: "none" | "local" | "external";
}

type Fact = { fact: string; kind: string; subject: string; field: string; sh: string };

/** The data facts: volume (mounted|unmounted), volumeUsage (percent), backup (the tool's status JSON), database (the app's `select 1`). */
function dataFacts(d: DataFactsSpec): Fact[] {
  const dir = q(d.dataDir);
  return [
    ...(d.volume ? [{ fact: "volume", kind: "mount", subject: d.dataDir, field: "state", sh: `probe_mount ${dir}` }] : []),
    { fact: "volumeUsage", kind: "disk", subject: d.dataDir, field: "usage", sh: `probe_record disk ${dir} "usage=$(df --output=pcent ${dir} 2>/dev/null | tail -1 | tr -dc 0-9)"` },
    ...(d.backup ? [{ fact: "backup", kind: "backup", subject: "status", field: "json", sh: `probe_record backup status "json=$(${BACKUP_TOOL} status 2>&1 || true)"` }] : []),
    ...(d.database !== "none" ? [{
      fact: "database", kind: "database", subject: "app", field: "result",
      // as the app: its user, its DATABASE_URL (never printed); "1" when the database answers
      sh: `probe_record database app "result=$(cd / && url=$(sed -n 's/^DATABASE_URL="\\(.*\\)"$/\\1/p' ${ENV_FILE}); runuser -u ${APP_USER} -- psql "$url" -qAtc 'select 1' 2>&1 | tail -2 || true)"`,
    }] : []),
  ];
}

/** Each fact for an app on `port`: the bash line printing its record (core/probe-sh.ts helpers), and the record's field it is. */
const factsFor = (port: number, data?: DataFactsSpec): Fact[] => [
  ...(data ? dataFacts(data) : []),
  { fact: "nginx", kind: "unit", subject: "nginx", field: "active", sh: "probe_unit nginx" },
  { fact: "aistudio", kind: "unit", subject: APP_UNIT, field: "active", sh: `probe_unit ${APP_UNIT}` },
  // systemd holds the app's port: with the socket active, a stopped aistudio starts with the next request
  { fact: "socket", kind: "unit", subject: `${APP_UNIT}.socket`, field: "active", sh: `probe_unit ${APP_UNIT}.socket` },
  { fact: "appListen", kind: "listen", subject: `:${port}`, field: "addresses", sh: `probe_listen ${port}` },
  { fact: "gunicorn", kind: "process", subject: "gunicorn", field: "listen", sh: `probe_record process gunicorn "listen=$(listening_on '*' 'gunicorn|python')"` },
  { fact: "ufw", kind: "ufw", subject: "status", field: "text", sh: `probe_record ufw status "text=$(ufw status 2>&1 || true)"` },
  { fact: "cert", kind: "cert", subject: FULLCHAIN, field: "pem", sh: `probe_record cert ${FULLCHAIN} "pem=$(cat ${FULLCHAIN} 2>/dev/null || true)"` },
  ...OS_FACTS,
];

/** The script for an app on `port`; with the deployed certificate too when the doctor is to trust it (local stack). */
export function serverScript(withCert: boolean, port = APP_PORT, data?: DataFactsSpec): string {
  return probeShell(factsFor(port, data).filter((f) => withCert || f.fact !== "cert").map((f) => f.sh).join("\n"));
}

/** The script's output as facts: each fact is one field of one record; lines that are not records are kept in `unparsed`. */
export function parseServerFacts(out: string, port = APP_PORT, data?: DataFactsSpec): ServerFacts {
  const records = parseProbe(out);
  const byKey = new Map(records.map((r) => [recordKey(r), r]));
  const facts: ServerFacts = {};
  for (const f of factsFor(port, data)) {
    const value = byKey.get(recordKey(f))?.fields[f.field];
    if (value !== undefined) facts[f.fact] = value;
  }
  const unparsed = records.filter((r) => r.kind === RAW).map((r) => r.subject);
  if (unparsed.length) facts.unparsed = unparsed.join("\n");
  return facts;
}

/** One SSH session for everything the server checks need; `{ error }` when it fails. */
export async function readServerFacts(ssh: Connection, withCert: boolean, port = APP_PORT, data?: DataFactsSpec): Promise<ServerFacts> {
  try {
    // the local clock around the session: the server's clock is read inside it (checks/doctor/os.ts)
    const sent = Date.now();
    const r = await runOnce(ssh, serverScript(withCert, port, data), 8_000);
    return { ...parseServerFacts(r.stdout, port, data), localSent: String(sent), localReceived: String(Date.now()) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
