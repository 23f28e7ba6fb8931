/**
 * The mini program lint: the troubleshooting guide's config.js review checklist, turned into a
 * lint over the WeChat mini program source tree (`aistudio lint-miniprogram`, `aistudio doctor`).
 *
 * Everything is read through the TypeScript compiler's parser (ScriptKind.JS for .js files) —
 * no regexes over source text — so comments, quoting style and formatting do not matter. Config
 * values are evaluated statically, never run (evaluate.ts, interpret.ts): literals, templates,
 * `+`, comparisons and `?:`, constants, object properties, spreads, getters and small functions,
 * read as the production build runs them (ENV = 'production', envVersion = 'release').
 * Whatever cannot be determined is a warning, never an error.
 *
 * Checks:
 *   1. a config file exists (config.js, utils/config.js, config/index.js);
 *   2. ENV selects 'production' (rules.ts);
 *   3. the production config — an env map's production entry, the exported object, or the named
 *      exports (source.ts) — has baseUrl, apiBaseUrl, apiUrl, staticUrl, mediaUrl (or getters /
 *      `getApiUrl()` functions), each exactly https://<domain> + its path, with a precise diagnosis
 *      when not (http, port, IP, missing TLD, trailing slash, wrong path, ...; urls.ts);
 *   4. no script hard-codes an http(s) URL to a host other than the domain (small allowlist of
 *      WeChat hosts; hardcoded.ts), and wx.request / uploadFile / downloadFile calls name the
 *      合法域名 list a literal host would need (requests.ts); code for other environments is
 *      not reported when ENV is production (branches.ts);
 *   5. project(.private).config.json does not turn urlCheck off (warning only; project.ts).
 */
import * as path from "node:path";
import * as ts from "typescript";
import { t } from "../../core/text";
import { scanFile } from "./hardcoded";
import { findConfigFile, lineAt, listScripts, readScript, readScriptToScan, syntaxErrors, toPosix } from "./parse";
import { checkProjectConfigs } from "./project";
import { analyzeConfig, type ConfigAnalysis } from "./rules";
import {
  CONFIG_CANDIDATES,
  DEFAULT_ALLOWED_HOSTS,
  DEFAULT_DOMAIN,
  type CheckResult,
  type Finding,
  type LintOptions,
  type LintReport,
} from "./types";

export { ConstantEvaluator, evaluateStringConstant } from "./evaluate";
export * from "./types";

function normalizeDomain(domain: string): string {
  let d = domain.trim().toLowerCase();
  const i = d.indexOf("://");
  if (i >= 0) d = d.slice(i + 3);
  while (d.endsWith("/")) d = d.slice(0, -1);
  return d;
}

/** Same finding with a stable key order and without undefined keys. */
function canonical(f: Finding): Finding {
  const out: Finding = { level: f.level, file: f.file, line: f.line, code: f.code, message: f.message };
  if (f.expected !== undefined) out.expected = f.expected;
  if (f.found !== undefined) out.found = f.found;
  return out;
}

/** The whole checklist, including passing checks (what the CLI prints). */
export function lintMiniprogramReport(dir: string, opts: LintOptions): LintReport {
  const domain = normalizeDomain(opts.domain || DEFAULT_DOMAIN);
  const allowed = new Set([...DEFAULT_ALLOWED_HOSTS, ...(opts.allowHosts ?? [])].map((h) => h.toLowerCase()));
  const root = path.resolve(dir);

  const project = checkProjectConfigs(root);
  // With miniprogramRoot set, the mini program sources live below it (cloud functions etc. do not ship to phones).
  const srcRoot = project.miniprogramRoot ? path.resolve(root, project.miniprogramRoot) : root;
  const rel = (abs: string): string => toPosix(path.relative(root, abs));

  const configAbs = findConfigFile(srcRoot === root ? [root] : [srcRoot, root]);
  const configCheck: CheckResult = { id: "config-file", title: t("存在配置文件", "config file present"), findings: [] };
  const checks: CheckResult[] = [configCheck];
  let analysis: ConfigAnalysis | undefined;
  let configSf: ts.SourceFile | undefined;
  if (!configAbs) {
    configCheck.findings.push({
      level: "error",
      file: ".",
      line: 0,
      code: "config-not-found",
      message: t(
        `没有找到小程序配置文件（查找了 ${CONFIG_CANDIDATES.join("、")}）`,
        `no mini program config found (looked for ${CONFIG_CANDIDATES.join(", ")})`,
      ),
      expected: CONFIG_CANDIDATES.join(" | "),
    });
  } else {
    const configRel = rel(configAbs);
    configCheck.title = t(`配置文件：${configRel}`, `config file: ${configRel}`);
    configSf = readScript(configAbs);
    const errs = syntaxErrors(configSf);
    if (errs.length > 0) {
      const d = errs[0];
      const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
      configCheck.findings.push({
        level: "error",
        file: configRel,
        line: lineAt(configSf, d.start),
        code: "config-syntax-error",
        message: t(`${configRel} 有语法错误：${text}`, `${configRel} has a syntax error: ${text}`),
      });
    }
    analysis = analyzeConfig(configSf, configRel, domain);
    checks.push(analysis.envCheck, ...analysis.urlChecks);
  }

  const scanned: string[] = [];
  const hardcoded: Finding[] = [];
  for (const abs of listScripts(srcRoot)) {
    const isConfig = configSf !== undefined && abs === configAbs;
    const sf = isConfig ? configSf : readScriptToScan(abs);
    if (!sf) continue;
    scanned.push(rel(abs));
    hardcoded.push(
      ...scanFile(sf, rel(abs), domain, allowed, {
        skip: isConfig && analysis ? analysis.used : new Set<ts.Node>(),
        devRoots: isConfig && analysis ? analysis.devRoots : [],
        envNames: isConfig && analysis ? analysis.envNames : [],
        quietDev: analysis?.envIsProduction ?? false,
      }),
    );
  }
  checks.push({
    id: "hardcoded-urls",
    title: t(
      `没有指向其他主机的硬编码 URL（扫描了 ${scanned.length} 个脚本文件）`,
      `no hard-coded URLs to other hosts (${scanned.length} script file${scanned.length === 1 ? "" : "s"} scanned)`,
    ),
    findings: hardcoded,
  });
  checks.push(project.check);

  for (const c of checks) c.findings = c.findings.map(canonical);
  return {
    dir,
    domain,
    configFile: configAbs ? rel(configAbs) : undefined,
    scannedFiles: scanned,
    checks,
    findings: checks.flatMap((c) => c.findings),
  };
}

/** Lints the mini program in `dir`; an empty array means everything is fine. */
export function lintMiniprogram(dir: string, opts: { domain: string; allowHosts?: string[] }): Finding[] {
  return lintMiniprogramReport(dir, opts).findings;
}
