// The server's own account of a failed HTTP check: the app's journal (its tracebacks) and nginx's
// error log, read over SSH once after the checks ran (so the doctor's own requests are in them),
// secrets redacted, attached to each failing HTTP check.
import { parseProbe } from "../../core/probe";
import { probeShell } from "../../core/probe-sh";
import { Connection, redact, runOnce } from "../../core/ssh";
import { APP_JOURNAL, NGINX_ERRORS } from "../diagnostics";
import type { CheckResult, DoctorTarget, Evidence, LogSource } from "./check";

/** Each log: the command it is named by in the report, and the one that reads it. */
export const LOGS: Record<LogSource, { source: string; sh: string }> = {
  journal: { source: APP_JOURNAL, sh: `${APP_JOURNAL} --no-pager` },
  nginx: { source: NGINX_ERRORS, sh: NGINX_ERRORS },
};

/** Reads every log from the server: its text by log (throws when the server cannot be reached). */
export type EvidenceReader = (ssh: Connection) => Promise<Record<LogSource, string>>;

/** The HTTP checks, and the logs that explain their failures unless a failure names its own. */
export const HTTP_CHECK_LOGS: Record<string, LogSource[]> = {
  tcp443: ["nginx"],
  "tls-cert": ["nginx"],
  "tls-versions": ["nginx"],
  "http-redirect": ["nginx"],
  "api-json": ["journal", "nginx"],
  "admin-json": ["journal", "nginx"],
};

/** One SSH session, each log printed as one probe record. */
export const readLogsOverSsh: EvidenceReader = async (ssh) => {
  const sources = Object.keys(LOGS) as LogSource[];
  const script = probeShell(sources.map((l) => `probe_record log ${l} "text=$(${LOGS[l].sh} 2>&1 || true)"`).join("\n"));
  const records = parseProbe((await runOnce(ssh, script, 8_000)).stdout);
  const text = (l: LogSource) => records.find((r) => r.kind === "log" && r.subject === l)?.fields.text ?? "";
  return { journal: text("journal"), nginx: text("nginx") };
};

const linesOf = (text: string): string[] => (text.trim() ? text.replace(/\s+$/, "").split("\n") : ["(empty)"]);

/**
 * Attaches the logs to each failing HTTP check (`logs`: the ones its failure names, by check id), when
 * there is one and the target has SSH that worked; reads them once.
 */
export async function attachEvidence(results: CheckResult[], logs: Map<string, LogSource[]>, tg: DoctorTarget, read: EvidenceReader): Promise<void> {
  const failing = results.filter((r) => r.status === "fail" && HTTP_CHECK_LOGS[r.id]);
  if (!tg.ssh || failing.length === 0) return;
  let text: Record<LogSource, string> | undefined;
  let error = "";
  try {
    text = await read(tg.ssh);
  } catch (e) {
    error = (e as Error).message;
  }
  for (const r of failing) {
    const evidence: Evidence[] = text
      ? (logs.get(r.id) ?? HTTP_CHECK_LOGS[r.id]).map((l) => ({ source: LOGS[l].source, lines: linesOf(redact(text![l], tg.redact ?? [])) }))
      : [{ source: "ssh", lines: [`could not read the server's logs: ${redact(error, tg.redact ?? [])}`] }];
    r.evidence = evidence;
  }
}
