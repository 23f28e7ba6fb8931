// `aistudio doctor`: the troubleshooting guide's checks against a deployed stack, most likely
// cause first. Exit 0: nothing failed (with --strict: nor warned), 1: something is wrong, 2: the
// stack could not be read.
import { CommandSpec, stackName, stackOptions, str, withArgs } from "./args";
import { CheckResult, DoctorTarget, ERROR_MAP, errorNote, firstFailure, formatResult, recognise, runDoctor } from "../checks/doctor/index";
import type { Lang } from "../core/text";
import { targetFromStack } from "../stacks/doctor-target";

export const DOCTOR: CommandSpec = {
  usage: 'aistudio doctor [--stack S] [--error "<message>"] [--strict] [--json] [--lang zh|en] [--miniprogram DIR]',
  summary: "run the troubleshooting guide's checks against a deployed stack / 按排障手册逐项检查线上服务",
  options: {
    ...stackOptions("check"),
    error: { type: "string", arg: "MESSAGE", help: "the error the mini program shows; the checks that explain it run first and are named first" },
    strict: { type: "boolean", help: { en: "warnings fail too (exit 1), e.g. a certificate within wechat.minCertDays of expiry: for CI", zh: "警告也视为失败（退出码 1），如证书在 wechat.minCertDays 内到期：用于 CI" } },
    json: { type: "boolean", help: "print the results as JSON" },
    lang: { type: "string", arg: "zh|en", help: "print one language (default: both)" },
    miniprogram: { type: "string", arg: "DIR", help: "also lint the mini program's config.js in DIR" },
    "hosts-file": { type: "string", arg: "FILE", help: "hosts file consulted before DNS (like /etc/hosts)" },
  },
  footer: [
    "--error understands / 可识别的报错 (any other message: all checks in the default order):",
    ...ERROR_MAP.map((e) => `  ${e.label}  → ${e.checks[0]}, …`),
    "exit 0: no check failed, 1: something is wrong (--strict: or a warning), 2: the stack could not be read",
  ],
};

/** What the command reads and runs; tests replace them (no stack, no host). */
export interface DoctorDeps {
  target: typeof targetFromStack;
  run: typeof runDoctor;
}

const DEFAULT_DEPS: DoctorDeps = { target: targetFromStack, run: runDoctor };

/** The exit code: 1 on a failure, or on a warning with --strict. */
export function exitCode(results: CheckResult[], error: string | undefined, strict: boolean): 0 | 1 {
  if (firstFailure(results, error)) return 1;
  return strict && results.some((r) => r.status === "warn") ? 1 : 0;
}

/** The last lines: the cause named, or all passed with the lists to paste; the warnings and what --strict made of them. */
function summary(target: DoctorTarget, results: CheckResult[], first: CheckResult | undefined, strict: boolean, seconds: number): string {
  const warned = results.filter((r) => r.status === "warn").map((r) => r.id);
  const warnLine = warned.length
    ? `\n  ! ${warned.length} 个警告 / warning(s): ${warned.join(", ")}${strict ? " — --strict: 视为失败 / counted as a failure (exit 1)" : ""}`
    : "";
  if (first) return `\n✗ 最可能的原因 / most likely cause: ${first.title.zh} / ${first.title.en}${warnLine}`;
  const lists = target.wechatDomains ?? {};
  const paste = ([["request合法域名", lists.request], ["uploadFile合法域名", lists.upload], ["downloadFile合法域名", lists.download]] as const)
    .map(([name, l]) => `\n  ${name}: ${(l ?? [`https://${target.domain}`]).join(", ")}`).join("");
  const head = strict && warned.length ? "✗ 没有失败，但有警告 / no check failed, but there are warnings" : "✓ 全部检查通过 / all checks passed";
  return `\n${head} (${seconds.toFixed(1)}s)${warnLine}${paste}`;
}

export function doctorMain(argv: string[], deps: DoctorDeps = DEFAULT_DEPS): Promise<number> {
  return withArgs(DOCTOR, argv, async (a) => {
    const stack = stackName(a);
    const lang: Lang = a.lang === "zh" || a.lang === "en" ? a.lang : "both";
    const json = a.json === true;
    const strict = a.strict === true;
    const error = str(a, "error");
    let target: DoctorTarget;
    try {
      target = await deps.target(stack, { miniprogram: str(a, "miniprogram"), configFile: str(a, "config-file"), hostsFile: str(a, "hosts-file") });
    } catch (e) {
      console.error(`doctor: cannot read stack "${stack}" / 无法读取 stack: ${(e as Error).message.split("\n").slice(0, 8).join("\n")}`);
      return 2;
    }
    const t0 = Date.now();
    if (!json) console.log(`aistudio doctor — https://${target.domain} (stack ${stack}, server ${target.serverIp})${error ? `\n${errorNote(error, lang)}` : ""}\n`);
    const results = await deps.run(target, { error, onResult: json ? undefined : (r) => console.log(formatResult(r, lang)) });
    const first = firstFailure(results, error);
    const code = exitCode(results, error, strict);
    const seconds = (Date.now() - t0) / 1000;
    if (json) {
      const recognised = error === undefined ? null : { message: error, recognisedAs: recognise(error)?.label ?? null };
      const warnings = results.filter((r) => r.status === "warn").map((r) => r.id);
      console.log(JSON.stringify({ domain: target.domain, stack, ok: code === 0, firstFailure: first?.id ?? null, warnings, strict, error: recognised, results, seconds }, null, 2));
    } else {
      // the server's logs are read after the checks ran: printed under the failures' titles again
      for (const r of results.filter((x) => x.evidence?.length)) {
        console.log(`\n${formatResult({ ...r, expected: undefined, found: undefined, cause: undefined, fix: undefined }, lang)}`);
      }
      console.log(summary(target, results, first, strict, seconds));
    }
    return code;
  });
}
