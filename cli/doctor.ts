// `aistudio doctor`: the troubleshooting guide's checks against a deployed stack, most likely
// cause first. Exit 0: all passed, 1: something is wrong, 2: the stack could not be read.
import { CommandSpec, stackName, stackOptions, str, withArgs } from "./args";
import { DoctorTarget, ERROR_MAP, firstFailure, formatResult, runDoctor } from "../checks/doctor/index";
import type { Lang } from "../core/text";
import { targetFromStack } from "../stacks/doctor-target";

export const DOCTOR: CommandSpec = {
  usage: 'aistudio doctor [--stack S] [--error "<message>"] [--json] [--lang zh|en] [--miniprogram DIR]',
  summary: "run the troubleshooting guide's checks against a deployed stack / 按排障手册逐项检查线上服务",
  options: {
    ...stackOptions("check"),
    error: { type: "string", arg: "MESSAGE", help: "the error the mini program shows; the checks that explain it run first" },
    json: { type: "boolean", help: "print the results as JSON" },
    lang: { type: "string", arg: "zh|en", help: "print one language (default: both)" },
    miniprogram: { type: "string", arg: "DIR", help: "also lint the mini program's config.js in DIR" },
    "hosts-file": { type: "string", arg: "FILE", help: "hosts file consulted before DNS (like /etc/hosts)" },
  },
  footer: [
    "--error understands / 可识别的报错:",
    ...ERROR_MAP.map((e) => `  ${e.label}`),
    "exit 0: all checks passed, 1: something is wrong, 2: the stack could not be read",
  ],
};

export function doctorMain(argv: string[]): Promise<number> {
  return withArgs(DOCTOR, argv, async (a) => {
    const stack = stackName(a);
    const lang: Lang = a.lang === "zh" || a.lang === "en" ? a.lang : "both";
    const json = a.json === true;
    const error = str(a, "error");
    let target: DoctorTarget;
    try {
      target = await targetFromStack(stack, { miniprogram: str(a, "miniprogram"), configFile: str(a, "config-file"), hostsFile: str(a, "hosts-file") });
    } catch (e) {
      console.error(`doctor: cannot read stack "${stack}" / 无法读取 stack: ${(e as Error).message.split("\n").slice(0, 8).join("\n")}`);
      return 2;
    }
    const t0 = Date.now();
    if (!json) console.log(`aistudio doctor — https://${target.domain} (stack ${stack}, server ${target.serverIp})${error ? `\nerror / 报错: ${error}` : ""}\n`);
    const results = await runDoctor(target, { error, onResult: json ? undefined : (r) => console.log(formatResult(r, lang)) });
    const first = firstFailure(results);
    const seconds = (Date.now() - t0) / 1000;
    if (json) {
      console.log(JSON.stringify({ domain: target.domain, stack, ok: !first, firstFailure: first?.id ?? null, results, seconds }, null, 2));
    } else {
      // the server's logs are read after the checks ran: printed under the failures' titles again
      for (const r of results.filter((x) => x.evidence?.length)) {
        console.log(`\n${formatResult({ ...r, expected: undefined, found: undefined, cause: undefined, fix: undefined }, lang)}`);
      }
      console.log(
        first
          ? `\n✗ 最可能的原因 / most likely cause: ${first.title.zh} / ${first.title.en}`
          : `\n✓ 全部检查通过 / all checks passed (${seconds.toFixed(1)}s)\n  request合法域名: https://${target.domain}`,
      );
    }
    return first ? 1 : 0;
  });
}
