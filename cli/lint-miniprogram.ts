// `aistudio lint-miniprogram <dir> [--domain photogooo.com] [--json] [--lang zh|en] [--allow-host HOST]...`:
// argument parsing and printing; the lint itself is checks/miniprogram.
import * as fs from "node:fs";
import { DEFAULT_DOMAIN, lintMiniprogramReport, type Finding, type LintReport } from "../checks/miniprogram";
import { pick, t, type Lang } from "../core/text";
import { CliIO, CommandSpec, helpText, processIO, str, usageError, withArgs } from "./args";
export type { CliIO };

export const LINT: CommandSpec = {
  usage: `aistudio lint-miniprogram <dir> [--domain ${DEFAULT_DOMAIN}] [--json] [--lang zh|en] [--allow-host HOST]...`,
  summary: [
    `用法：aistudio lint-miniprogram <小程序目录> [--domain ${DEFAULT_DOMAIN}] [--json] [--lang zh|en] [--allow-host HOST]...`,
    "",
    "Checks the mini program's config.js (ENV, production URLs; CommonJS, ES module,",
    "env map or function/getter style, read statically), hard-coded URLs and the hosts of",
    "wx.request / uploadFile / downloadFile calls in its scripts, and the urlCheck setting.",
    "检查 config.js（ENV、production 地址；静态读取 CommonJS、ES 模块、按环境分组或函数/getter 写法）、",
    "脚本中硬编码的 URL 和 wx.request / uploadFile / downloadFile 的域名，以及 urlCheck 设置。",
  ],
  positionals: { name: "<dir>", help: "the mini program's directory / 小程序目录" },
  options: {
    domain: {
      type: "string",
      arg: "DOMAIN",
      help: t(`小程序的 request 合法域名（默认 ${DEFAULT_DOMAIN}）`, `the mini program's request domain (default ${DEFAULT_DOMAIN})`),
    },
    json: { type: "boolean", help: t("以 JSON 输出检查结果", "print the findings as JSON") },
    lang: { type: "string", arg: "zh|en", help: t("只用一种语言输出（默认中英双语）", "print one language (default: both)") },
    "allow-host": {
      type: "string",
      arg: "HOST",
      multiple: true,
      help: t("允许硬编码的 URL 指向 HOST（可重复）", "also allow hard-coded URLs to HOST (repeatable)"),
    },
  },
  footer: ["Exit code 1 if any error, 0 otherwise, 2 on usage errors.", "有错误时退出码为 1，否则为 0；参数错误时为 2。"],
};

export const USAGE = helpText(LINT).trimEnd();

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

/** `aistudio lint-miniprogram ...`; returns the exit code (1 if any error, 2 on usage errors). */
export function runLintMiniprogram(argv: string[], io: CliIO = processIO): Promise<number> {
  return withArgs(LINT, argv, async (v, positionals) => {
    const lang = (str(v, "lang") ?? "both") as Lang;
    if (lang !== "zh" && lang !== "en" && lang !== "both") return usageError(LINT, "--lang must be zh or en", io);
    if (positionals.length > 1) return usageError(LINT, `unexpected argument ${positionals[1]}`, io);
    const dir = positionals[0];
    if (dir === undefined) return usageError(LINT, "missing <dir>", io);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return usageError(LINT, `not a directory: ${dir}`, io);
    const allowHosts = (v["allow-host"] as string[] | undefined) ?? [];
    const report = lintMiniprogramReport(dir, { domain: str(v, "domain") ?? DEFAULT_DOMAIN, allowHosts });
    io.stdout(v.json === true ? JSON.stringify(report.findings.map(findingJson), null, 2) + "\n" : formatReport(report, lang));
    return report.findings.some((f) => f.level === "error") ? 1 : 0;
  }, io);
}
