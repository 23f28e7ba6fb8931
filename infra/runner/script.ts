// Turns a Step (pure data) into the one bash script the runner sends to the server.
import { Step, stepHash } from "../../provision/step";
import { PRELUDE } from "../../provision/prelude";
import { q, writeB64 } from "../../provision/shell";

export const PROBE_MARKER = "__AISTUDIO_PROBE_BEGIN__";

/** Script that stages the step's files, runs apply, then prints the probe after a marker. */
export function applyScript(step: Step): string {
  const staging = step.files
    .map((f) => `install -d -m 0755 ${q(dirname(f.path))}\n${writeB64(f.path + ".aistudio-new", f.content)}\nchmod ${f.mode} ${q(f.path + ".aistudio-new")}`)
    .join("\n");
  return [
    PRELUDE,
    `# step ${step.id}: ${step.description.replace(/\n/g, " ")}`,
    "umask 077",
    staging,
    "umask 022",
    step.apply.trim(),
    `echo ${PROBE_MARKER}`,
    step.probe.trim(),
    "",
  ].join("\n");
}

/**
 * The confirmation of a Step with `confirm`, run over a new connection: the prelude, the confirm
 * script, then the probe after the marker (the state recorded is the one after the confirmation).
 */
export function confirmScript(step: Step): string | undefined {
  if (!step.confirm) return undefined;
  return [PRELUDE, `# step ${step.id}: confirm over a new connection`, step.confirm.script.trim(), `echo ${PROBE_MARKER}`, step.probe.trim(), ""].join("\n");
}

/** The rollback of a Step with `confirm`, run over the connection that applied it. */
export function rollbackScript(step: Step): string | undefined {
  if (!step.confirm) return undefined;
  return [PRELUDE, `# step ${step.id}: roll back (the new login failed)`, step.confirm.rollback.trim(), ""].join("\n");
}

/** Script that only prints the probe (refresh / drift check). */
export function probeScript(step: Pick<Step, "probe">): string {
  return [PRELUDE, `echo ${PROBE_MARKER}`, step.probe.trim(), ""].join("\n");
}

export function splitProbe(stdout: string): { log: string; probe: string } {
  const i = stdout.lastIndexOf(PROBE_MARKER + "\n");
  if (i < 0) return { log: stdout, probe: "" };
  return { log: stdout.slice(0, i), probe: stdout.slice(i + PROBE_MARKER.length + 1).trimEnd() };
}

export function hasSecrets(step: Step): boolean {
  return step.files.some((f) => f.secret);
}

export { stepHash };

function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}
