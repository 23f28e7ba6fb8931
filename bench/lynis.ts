// Lynis (Debian's lynis package) on a provisioned test host (issue #16): `lynis audit system
// --quick` inside the host after the cold deploy, on ours' and on the Ansible baseline's in the same
// run. Its report file gives the hardening index, the warnings and the suggestions; bench/README.md
// says for each suggestion left on ours' why it stays (a container has no kernel, USB or partitions
// of its own to harden). Lynis is installed on the test host from Debian's mirror (through the test
// hosts' apt proxy) only for the audit: it is not part of what either tool provisions.
import { hostCmd } from "./hosts";

export interface LynisFinding {
  id: string;
  text: string;
  details: string;
}

export interface LynisResult {
  ran: boolean;
  error?: string;
  version?: string;
  hardeningIndex?: number;
  warnings: LynisFinding[];
  suggestions: LynisFinding[];
  seconds: number;
}

/** The report lines Lynis writes (/var/log/lynis-report.dat) as its result. */
export function parseLynisReport(dat: string): Omit<LynisResult, "ran" | "seconds"> {
  const finding = (line: string): LynisFinding => {
    const [id = "", text = "", details = ""] = line.split("|");
    return { id, text, details: details === "-" ? "" : details };
  };
  const values = (key: string) => dat.split("\n").filter((l) => l.startsWith(`${key}[]=`)).map((l) => finding(l.slice(key.length + 3)));
  const index = /^hardening_index=(\d+)$/m.exec(dat)?.[1];
  const version = /^lynis_version=(.+)$/m.exec(dat)?.[1];
  return { version, hardeningIndex: index === undefined ? undefined : Number(index), warnings: values("warning"), suggestions: values("suggestion") };
}

const AUDIT = `set -e
export DEBIAN_FRONTEND=noninteractive
command -v lynis >/dev/null || apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 lynis >/dev/null 2>&1 \\
  || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends lynis >/dev/null; }
rm -f /var/log/lynis-report.dat
lynis audit system --quick --no-colors >/dev/null 2>&1 || true
cat /var/log/lynis-report.dat`;

/** Installs lynis on the test host if needed, audits it and parses the report. */
export async function lynisAudit(host: string): Promise<LynisResult> {
  const t0 = Date.now();
  try {
    const dat = await hostCmd(host, AUDIT, 15 * 60_000);
    const r = parseLynisReport(dat);
    if (r.hardeningIndex === undefined) return { ran: false, error: `no hardening_index in the report: ${dat.slice(0, 300)}`, warnings: [], suggestions: [], seconds: (Date.now() - t0) / 1000 };
    return { ran: true, ...r, seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    return { ran: false, error: (e as Error).message.slice(0, 500), warnings: [], suggestions: [], seconds: (Date.now() - t0) / 1000 };
  }
}

/** Ours' and the Ansible baseline's hosts, audited at the same time. */
export async function lynisBoth(ours: string, ansible: string): Promise<{ ours: LynisResult; ansible: LynisResult }> {
  const [o, a] = await Promise.all([lynisAudit(ours), lynisAudit(ansible)]);
  return { ours: o, ansible: a };
}

/** The report's lines: both indexes, then ours' warnings and suggestions. */
export function renderLynis(l: { ours: LynisResult; ansible: LynisResult }): string[] {
  const idx = (r: LynisResult) => (r.ran ? String(r.hardeningIndex) : `did not run (${r.error})`);
  const line = (f: LynisFinding) => `${f.id}: ${f.text}${f.details ? ` [${f.details}]` : ""}`;
  return [
    `  Lynis ${l.ours.version ?? ""} hardening index (audit system --quick, inside each test host): ours ${idx(l.ours)}, Ansible ${idx(l.ansible)}`,
    ...(l.ours.ran ? [
      `  Lynis warnings on ours: ${l.ours.warnings.length}${l.ours.warnings.length ? "" : " (goal 0)"}`,
      ...l.ours.warnings.map((f) => `    warning ${line(f)}`),
      `  Lynis suggestions on ours: ${l.ours.suggestions.length} (each done or explained in bench/README.md, "Lynis")`,
      ...l.ours.suggestions.map((f) => `    ${line(f)}`),
    ] : []),
  ];
}
