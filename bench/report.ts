// The bench's printed table, from a results object (also reproducible from a results JSON:
// renderTable(JSON.parse(...))).
import type { BenchResults } from "./harness";
import { fmt, table } from "./stats";
import { renderLynis } from "./lynis";
import { ROLLOUT_HEADER, rolloutRows } from "./rollout";

/** The printed table (also reproducible from a results JSON: renderTable(JSON.parse(...))). */
export function renderTable(R: BenchResults): string {
  const rows: string[][] = [];
  const label: Record<string, string> = {
    cold: "cold provision (bare Debian 12 -> smoke test passes)",
    noop: "no-op re-run (ours: pulumi up / Ansible: 2nd run)",
    noopRefresh: "no-op re-run, ours with --refresh (re-probes the server)",
    oneFile: "one-file change (nginx site) re-run",
    drift: "drift check (npm run drift / ansible --check)",
  };
  for (const k of ["cold", "noop", "noopRefresh", "oneFile", "drift"]) {
    const e = R.seconds[k];
    if (!e) continue;
    if (e.note && !e.ours) {
      rows.push([label[k], e.note, "", "", "", ""]);
      continue;
    }
    rows.push([label[k], fmt(e.ours?.median), fmt(e.ansible?.median), fmt(e.floor?.median), fmt(e.oursOverAnsible, 2), fmt(e.oursOverFloor, 2)]);
  }
  for (const [n, f] of Object.entries(R.fleet).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    rows.push([`fleet: ${n} host${n === "1" ? "" : "s"} at once (wall clock)`, fmt(f.ours?.seconds), fmt(f.ansible?.seconds), fmt(f.floor?.seconds), fmt(f.oursOverAnsible, 2), fmt(f.oursOverFloor, 2)]);
  }
  const out: string[] = [];
  if (rows.length) out.push(`seconds (median of ${R.options.runs} run${R.options.runs === 1 ? "" : "s"}; fleet > 1: one run)`, table(["scenario", "ours", "Ansible", "floor", "ours/Ansible", "ours/floor"], rows));

  const srows: string[][] = [];
  for (const k of ["cold", "noop", "noopRefresh", "oneFile", "drift"]) {
    const e = R.ssh[k];
    if (!e) continue;
    srows.push([k, fmt(e.ours?.connections, 0), fmt(e.ours?.commands, 0), fmt(e.ansible?.connections, 0), fmt(e.ansible?.commands, 0), fmt(e.floor?.connections, 0), fmt(e.floor?.commands, 0)]);
  }
  for (const [n, f] of Object.entries(R.fleet)) {
    if (n === "1") continue;
    srows.push([`fleet ${n} (all hosts)`, fmt(f.ours?.ssh.connections, 0), fmt(f.ours?.ssh.commands, 0), fmt(f.ansible?.ssh.connections, 0), fmt(f.ansible?.ssh.commands, 0), fmt(f.floor?.ssh.connections, 0), fmt(f.floor?.ssh.commands, 0)]);
  }
  if (srows.length) out.push("", "SSH per host (sshd log; median): connections / remote commands", table(["scenario", "ours conn", "ours cmds", "Ansible conn", "Ansible cmds", "floor conn", "floor cmds"], srows));

  if (R.breakdown) {
    const b = R.breakdown;
    const n = Math.max(b.ours.length, b.floor.length);
    const brows = Array.from({ length: n }, (_, i) => [b.ours[i]?.[0] ?? "", fmt(b.ours[i]?.[1]), b.floor[i]?.[0] ?? "", fmt(b.floor[i]?.[1])]);
    const sum = (xs: [string, number][]) => xs.reduce((a, [, v]) => a + v, 0);
    brows.push(["(sum)", fmt(sum(b.ours)), "(sum)", fmt(sum(b.floor))]);
    out.push("", "where a cold provision spends its time (median seconds; ours: each resource's start to end, from the engine's events; floor: marks on the host)", table(["ours: phase", "s", "floor: phase", "s"], brows));
  }
  const changes = R.reliability?.changes ?? R.load;
  if (changes) {
    const lrows = Object.entries(changes).map(([k, v]) => [k, v.upCode === 0 ? fmt(v.upSeconds) : `FAILED (${v.upCode})`, String(v.load.requests), String(v.load.failed), String(v.load.longestGapMs), fmt(v.load.requestsPerSecond), String(v.load.p99Ms)]);
    out.push("", "reliability: every change kind, pulumi up while POST /api/user/visit runs (4 concurrent, keep-alive off); goal 0 failed", table(["change", "up s", "requests", "failed", "longest gap ms", "req/s", "p99 ms"], lrows));
  }
  const rel = R.reliability;
  if (rel && Object.keys(rel.recovery).length) {
    const rrows = Object.entries(rel.recovery).map(([k, v]) => [k, v.seconds === null ? "not whole" : fmt(v.seconds, 2), String(v.requests), String(v.failed), String(v.longestGapMs), v.whole]);
    out.push("", "reliability: recoveries under the same load (no Pulumi, no person: systemd alone); seconds until whole again", table(["fault", "s", "requests", "failed", "longest gap ms", "whole means"], rrows));
  }
  if (rel?.diskFull) {
    const d = rel.diskFull;
    out.push("", "reliability: the data volume filled to the last block, under load, then the space freed",
      `  while full: visit ${d.whileFull.visit}`,
      `              upload ${d.whileFull.upload}`,
      `              read (GET /api/health) ${d.whileFull.health}`,
      `  doctor: ${d.whileFull.doctor}`,
      `  space back: visits stored again after ${fmt(d.recoverySeconds, 2)} s; load ${d.load.requests} requests, ${d.load.ok} ok, ${d.load.failed} failed`,
      `  after: visits ${d.after.visitsBefore} -> ${d.after.visitsAfter} (${d.after.visitsStored} stored, ${d.after.lost} answered success but missing); SQLite integrity_check: ${d.after.integrity}; half-written uploads: ${d.after.partialUploads}`);
  }
  if (R.security) {
    const s = R.security as Record<string, any>;
    const tssl = s.testssl?.skipped ? "skipped (--quick)" : s.testssl?.ran ? `${s.testssl.highOrCritical.length} HIGH/CRITICAL besides trust${s.testssl.highOrCritical.length ? ": " + s.testssl.highOrCritical.map((f: any) => `${f.id} (${f.severity})`).join(", ") : ""}; issuer-related (self-signed, expected): ${s.testssl.trustOnly.map((f: any) => f.id).join(", ") || "none"}` : `did not run: ${s.testssl?.error}`;
    out.push(
      "",
      "security",
      `  systemd-analyze security aistudio: ${s.exposure?.score} ${s.exposure?.level}`,
      `  TLS versions accepted: ${Object.entries(s.tlsVersions ?? {}).map(([v, ok]) => `${v} ${ok ? "yes" : "no"}`).join(", ")}`,
      `  testssl.sh: ${tssl}`,
      ...(s.testssl?.decided ?? []).map((f: any) => `    decided: ${f.id} (${f.severity}: ${f.finding}) - ${f.decision}`),
      ...(s.testssl?.findings ?? []).filter((f: any) => !["HIGH", "CRITICAL"].includes(f.severity)).map((f: any) => `    ${f.severity.toLowerCase()}: ${f.id}: ${f.finding}`),
      `  ports from a second test host: ${Object.entries(s.portsFromPeer ?? {}).map(([p, st]) => `${p} ${st}`).join(", ")}`,
      `  secrets in output: ${JSON.stringify(s.secretsInOutput)}; in state (plaintext): ${JSON.stringify(s.secretsInState)}`,
      ...(s.lynis ? renderLynis(s.lynis) : []),
    );
  }
  if (R.data) {
    const d = R.data;
    out.push("", `data: ${d.uploadsMiB} MiB of uploads + ${d.visits} visits in PostgreSQL (restic processed ${Math.round(d.backupBytes / 2 ** 20)} MiB)`, table(["operation", "ours s", "floor s", "ours/floor"], [
      ["backup (ours: restic to the S3 store; floor: pg_dump + tar | ssh)", fmt(d.backup.ours), fmt(d.backup.floor), fmt(d.backup.oursOverFloor, 2)],
      ["restore (ours: restic restore, app stopped/started; floor: ssh | tar x + pg_restore)", fmt(d.restore.ours), fmt(d.restore.floor), fmt(d.restore.oursOverFloor, 2)],
      [`rebuild with data (${d.rebuild.data}) vs a plain rebuild`, fmt(d.rebuild.withData), fmt(d.rebuild.plain), fmt(d.rebuild.withDataOverPlain, 2)],
    ]));
    if (d.rebuild.pausedSeconds !== undefined) out.push(`the old app was paused ${fmt(d.rebuild.pausedSeconds)} s during the rebuild's hand-over (requests waited while a last backup's changes went to the new server)`);
  }
  if (R.rollout && Object.keys(R.rollout.sizes).length) {
    out.push("", "rollout: a new release to N servers behind the load balancer while POST /api/user/visit runs through it (4 concurrent, keep-alive off): deploy seconds / failed of requests, longest gap between successes (s); goal 0 failed", table(ROLLOUT_HEADER, rolloutRows(R.rollout)));
  }
  if (R.parity) out.push("", `parity ours vs Ansible (files, modes, rules, units): ${R.parity.same.length} identical, ${R.parity.different.length} different${R.parity.different.length ? "\n  " + R.parity.different.join("\n  ") : ""}`);
  if (R.notes.length) out.push("", "notes", ...R.notes.map((n) => `  - ${n}`));
  if (R.errors.length) out.push("", "ERRORS", ...R.errors.map((n) => `  - ${n.split("\n").slice(0, 30).join("\n    ")}`));
  return out.join("\n");
}
