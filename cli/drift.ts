// `aistudio drift` (npm run drift -- --stack S): what changed on the servers and in the cloud since
// the last deploy, expected vs found. Exit 0: no drift, 1: drift, 2: the check itself failed (host
// unreachable, host key changed…). `npm run pulumi -- up --refresh --stack S` repairs it.
import * as fs from "node:fs";
import { CommandSpec, stackName, stackOptions, str, withArgs } from "./args";
import { formatTable } from "../checks/drift";
import { checkDrift } from "../stacks/drift";

export const DRIFT: CommandSpec = {
  usage: "aistudio drift [--stack S] [--config-file F] [--json] [--report FILE]",
  summary: "report what changed on the servers and in the cloud since the last deploy / 检查服务器与云资源是否偏离上次部署",
  options: {
    ...stackOptions("check"),
    json: { type: "boolean", help: "print the report as JSON" },
    report: { type: "string", arg: "FILE", help: "also write the JSON report to FILE" },
  },
  footer: ["exit 0: no drift, 1: drift, 2: the check failed", "repair / 修复: npm run pulumi -- up --refresh --stack <stack>"],
};

export function driftMain(argv: string[]): Promise<number> {
  return withArgs(DRIFT, argv, async (a) => {
    const stack = stackName(a);
    const reportFile = str(a, "report");
    console.error(`[drift] refreshing stack ${stack} from the servers and the cloud (state unchanged)…`);
    const r = await checkDrift({ name: stack, configFile: str(a, "config-file") });
    if (!r.ok) {
      console.error(`✗ drift check failed / 漂移检查失败${r.code !== undefined ? ` (pulumi exit ${r.code})` : ""}:\n${r.error}`);
      if (reportFile) fs.writeFileSync(reportFile, JSON.stringify({ stack, drift: null, error: r.error, seconds: r.seconds }, null, 2));
      return 2;
    }
    if (r.pending.length) console.error(`[drift] note: ${r.pending.map((p) => p.resource).join(", ")} would change because of code/config not deployed yet (not drift)`);
    const report = { stack, drift: r.items.length > 0, items: r.items, seconds: r.seconds };
    if (reportFile) fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
    if (a.json === true) console.log(JSON.stringify(report, null, 2));
    else console.log(formatTable(r.items) + `\n(${r.seconds.toFixed(1)}s)`);
    return r.items.length > 0 ? 1 : 0;
  });
}
