// `aistudio lint-miniprogram <dir> [--domain photogooo.com] [--json] [--lang zh|en] [--allow-host HOST]...`:
// argument parsing and printing; the lint itself is checks/miniprogram.
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_DOMAIN, lintMiniprogramReport, type Finding, type LintReport } from "../checks/miniprogram";
import { pick, t, type Bilingual, type Lang } from "../core/text";

interface OptionSpec {
  name: string;
  short?: string;
  type: "string" | "boolean";
  /** What --help shows as the value. */
  arg?: string;
  multiple?: boolean;
  help: Bilingual;
}

/** Every option, in the order --help lists them; parseArgs is configured from the same table. */
const OPTIONS: OptionSpec[] = [
  {
    name: "domain",
    type: "string",
    arg: "DOMAIN",
    help: t(`小程序的 request 合法域名（默认 ${DEFAULT_DOMAIN}）`, `the mini program's request domain (default ${DEFAULT_DOMAIN})`),
  },
  { name: "json", type: "boolean", help: t("以 JSON 输出检查结果", "print the findings as JSON") },
  { name: "lang", type: "string", arg: "zh|en", help: t("只用一种语言输出（默认中英双语）", "print one language (default: both)") },
  {
    name: "allow-host",
    type: "string",
    arg: "HOST",
    multiple: true,
    help: t("允许硬编码的 URL 指向 HOST（可重复）", "also allow hard-coded URLs to HOST (repeatable)"),
  },
  { name: "help", short: "h", type: "boolean", help: t("显示本帮助", "show this help") },
];

function optionLines(): string[] {
  const heads = OPTIONS.map((o) => {
    const long = `--${o.name}${o.arg ? ` ${o.arg}` : ""}`;
    return o.short ? `-${o.short}, ${long}` : long;
  });
  const width = Math.max(...heads.map((h) => h.length));
  return OPTIONS.flatMap((o, i) => [`  ${heads[i].padEnd(width)}  ${o.help.en}`, `  ${"".padEnd(width)}  ${o.help.zh}`]);
}

export const USAGE = [
  `Usage: aistudio lint-miniprogram <dir> [--domain ${DEFAULT_DOMAIN}] [--json] [--lang zh|en] [--allow-host HOST]...`,
  `用法：aistudio lint-miniprogram <小程序目录> [--domain ${DEFAULT_DOMAIN}] [--json] [--lang zh|en] [--allow-host HOST]...`,
  "",
  "Checks the mini program's config.js (ENV, production URLs), hard-coded URLs in",
  "its scripts, and the urlCheck setting.",
  "检查 config.js（ENV、production 地址）、脚本中硬编码的 URL 以及 urlCheck 设置。",
  "",
  "Options / 选项:",
  ...optionLines(),
  "",
  "Exit code 1 if any error, 0 otherwise, 2 on usage errors.",
  "有错误时退出码为 1，否则为 0；参数错误时为 2。",
].join("\n");

/** Renders the checklist: ✓ passed check, ✗ error, ! warning. */
export function formatReport(report: LintReport, lang: Lang = "both"): string {
  const out: string[] = [];
  const label = (zh: string, en: string): string => (lang === "zh" ? zh : lang === "en" ? en : `${zh} / ${en}`);
  const header = t(
    `小程序配置检查：${report.dir}（域名 ${report.domain}）`,
    `Mini program config lint: ${report.dir} (domain ${report.domain})`,
  );
  out.push(pick(header, lang, ""), "");
  for (const check of report.checks) {
    if (check.findings.length === 0) {
      out.push(`✓ ${pick(check.title, lang, "  ")}`);
      continue;
    }
    for (const f of check.findings) {
      const mark = f.level === "error" ? "✗" : "!";
      out.push(`${mark} ${pick(t(`[${f.code}] ${f.message.zh}`, `[${f.code}] ${f.message.en}`), lang, "  ")}`);
      if (f.file !== ".") out.push(`    ${label("位置", "at")}: ${f.line > 0 ? `${f.file}:${f.line}` : f.file}`);
      if (f.expected !== undefined) out.push(`    ${label("期望", "expected")}: ${f.expected}`);
      if (f.found !== undefined) out.push(`    ${label("实际", "found")}: ${f.found}`);
    }
  }
  const errors = report.findings.filter((f) => f.level === "error").length;
  const warnings = report.findings.length - errors;
  const result = t(
    `结果：${errors} 个错误，${warnings} 个警告 —— ${errors > 0 ? "未通过" : "通过"}`,
    `Result: ${errors} error(s), ${warnings} warning(s) — ${errors > 0 ? "FAIL" : "PASS"}`,
  );
  out.push("", pick(result, lang, ""));
  return out.join("\n") + "\n";
}

/** A finding as --json prints it: the message as message_en / message_zh, the keys in this order. */
export interface FindingJson {
  level: Finding["level"];
  file: string;
  line: number;
  code: string;
  message_en: string;
  message_zh: string;
  expected?: string;
  found?: string;
}

export function findingJson(f: Finding): FindingJson {
  const { level, file, line, code, message, expected, found } = f;
  return { level, file, line, code, message_en: message.en, message_zh: message.zh, expected, found };
}

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIO: CliIO = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

type Parsed = { dir: string; domain: string; json: boolean; lang: Lang; allowHosts: string[] } | { help: true } | { error: string };

/** The option name an error from parseArgs is about ('--domain <value>' → --domain). */
function optionIn(message: string): string | undefined {
  return /'(-[^' ]+)/.exec(message)?.[1];
}

function parse(argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      // Only parseArgs' own keys, and only those set: it rejects `short: undefined`.
      options: Object.fromEntries(OPTIONS.map(({ name, arg, help, ...config }) => [name, config])),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    const opt = optionIn(e.message);
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return { error: `unknown option ${opt ?? e.message}` };
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && opt && /missing|ambiguous/.test(e.message))
      return { error: `${opt} needs a value` };
    return { error: e.message };
  }
  const v = parsed.values as { domain?: string; json?: boolean; lang?: string; "allow-host"?: string[]; help?: boolean };
  if (v.help) return { help: true };
  const { positionals } = parsed;
  if (v.domain === "") return { error: "--domain needs a value" };
  const lang = v.lang ?? "both";
  if (lang !== "zh" && lang !== "en" && lang !== "both") return { error: "--lang must be zh or en" };
  const allowHosts = v["allow-host"] ?? [];
  if (allowHosts.includes("")) return { error: "--allow-host needs a value" };
  if (positionals.length > 1) return { error: `unexpected argument ${positionals[1]}` };
  const dir = positionals[0];
  if (dir === undefined) return { error: "missing <dir>" };
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return { error: `not a directory: ${dir}` };
  return { dir, domain: v.domain ?? DEFAULT_DOMAIN, json: v.json ?? false, lang, allowHosts };
}

/** `aistudio lint-miniprogram ...`; returns the exit code (1 if any error, 2 on usage errors). */
export async function runLintMiniprogram(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const a = parse(argv);
  if ("help" in a) {
    io.stdout(USAGE + "\n");
    return 0;
  }
  if ("error" in a) {
    io.stderr(`aistudio lint-miniprogram: ${a.error}\n\n${USAGE}\n`);
    return 2;
  }
  const report = lintMiniprogramReport(a.dir, { domain: a.domain, allowHosts: a.allowHosts });
  io.stdout(a.json ? JSON.stringify(report.findings.map(findingJson), null, 2) + "\n" : formatReport(report, a.lang));
  return report.findings.some((f) => f.level === "error") ? 1 : 0;
}
