// `aistudio drift [--stack S] [--config-file F] [--json] [--report FILE]` (npm run drift -- --stack S)
//
// Wraps `pulumi preview --refresh --expect-no-changes --json`: every RemoteStep re-reads the
// server over SSH (one connection per host) and every cloud resource is re-read from its API. The
// state is not changed. Prints which server items and cloud resources drifted, expected vs found,
// and exits 1 on drift, 2 when the check itself failed (host unreachable, host key changed…).
// `npm run pulumi -- up --refresh --stack S` repairs what it reports.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "./doctor";
import { repoRoot } from "../core/paths";
import { StepJson, driftFromPreview, formatTable } from "../checks/drift";

export function runRefreshPreview(stack: string, configFile?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const repo = repoRoot();
  const args = [path.join(repo, "scripts/pulumi.sh"), "preview", "--refresh", "--expect-no-changes", "--json", "--stack", stack, "--non-interactive"];
  if (configFile) args.push("--config-file", configFile);
  return new Promise((resolve) => {
    execFile("bash", args, { cwd: repo, env: { ...process.env, AISTUDIO_SKIP_BUILD: "1" }, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

export async function driftMain(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  if (a.help) {
    console.log("aistudio drift [--stack S] [--config-file F] [--json] [--report FILE]\n  exit 0: no drift, 1: drift, 2: the check failed");
    return 0;
  }
  const stack = String(a.stack ?? process.env.PULUMI_STACK ?? "local");
  const t0 = Date.now();
  console.error(`[drift] refreshing stack ${stack} from the servers and the cloud (state unchanged)…`);
  const r = await runRefreshPreview(stack, typeof a["config-file"] === "string" ? a["config-file"] : undefined);
  let steps: StepJson[] | undefined;
  let diagnostics: { message?: string; severity?: string }[] = [];
  try {
    const j = JSON.parse(r.stdout) as { steps?: StepJson[]; diagnostics?: { message?: string; severity?: string }[] };
    steps = j.steps ?? [];
    diagnostics = j.diagnostics ?? [];
  } catch {
    steps = undefined;
  }
  const errors = diagnostics.filter((d) => d.severity === "error" && !/no changes were expected/.test(d.message ?? "")).map((d) => (d.message ?? "").trim());
  if (!steps || errors.length > 0 || (r.code !== 0 && r.code !== 7)) {
    const why = errors.join("\n") || r.stderr.split("\n").filter((l) => /error/i.test(l)).join("\n") || r.stderr;
    console.error(`✗ drift check failed / 漂移检查失败 (pulumi exit ${r.code}):\n${why.slice(0, 4000)}`);
    if (typeof a.report === "string") fs.writeFileSync(a.report, JSON.stringify({ stack, drift: null, error: why.slice(0, 4000), seconds: (Date.now() - t0) / 1000 }, null, 2));
    return 2;
  }
  const all = driftFromPreview(steps);
  const items = all.filter((i) => i.kind !== "pending");
  const pending = all.filter((i) => i.kind === "pending");
  if (pending.length) console.error(`[drift] note: ${pending.map((p) => p.resource).join(", ")} would change because of code/config not deployed yet (not drift)`);
  const seconds = (Date.now() - t0) / 1000;
  const report = { stack, drift: items.length > 0, items, seconds };
  if (typeof a.report === "string") fs.writeFileSync(a.report, JSON.stringify(report, null, 2));
  if (a.json === true) console.log(JSON.stringify(report, null, 2));
  else console.log(formatTable(items) + `\n(${seconds.toFixed(1)}s)`);
  return items.length > 0 ? 1 : 0;
}
