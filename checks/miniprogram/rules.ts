// The config.js rules: ENV selects production, and every production URL is https://<domain><path>,
// whichever style the file is written in (source.ts finds the values, evaluate.ts reads them).
import * as ts from "typescript";
import { t } from "../../core/text";
import { ConstantEvaluator } from "./evaluate";
import { findFirst, lineOf, unwrap } from "./parse";
import { findEnvMap, locateConfig, otherEnvironments, type ConfigLayout } from "./source";
import { ENV_NAMES, REQUIRED_URLS, type CheckResult, type Finding } from "./types";
import { configValueIssues, joinIssues } from "./urls";

export interface ConfigAnalysis {
  /** Nodes already judged by the config checks (skipped by the hard-coded URL scan). */
  used: Set<ts.Node>;
  /** Non-production env entries (development, test, ...). */
  devRoots: ts.Node[];
  /** Names the config file selects its environment with: read as 'production' when scanning it. */
  envNames: string[];
  /** ENV statically selects production (or there is no switch): other environments are never reported. */
  envIsProduction: boolean;
  envCheck: CheckResult;
  urlChecks: CheckResult[];
}

/** ENV and the production URLs of the config file `sf` (`rel` is its path in the report). */
export function analyzeConfig(sf: ts.SourceFile, rel: string, domain: string): ConfigAnalysis {
  // ENV is judged as written; the production values are read as the production build runs
  // (ENV = 'production', envVersion = 'release'), so `ENV === 'production' ? a : b` is `a`.
  const plain = new ConstantEvaluator(sf);
  const envs = findEnvMap(sf, plain);
  const envMap = envs?.map;
  const env = checkEnv(sf, rel, plain, envMap);
  const ev = new ConstantEvaluator(sf, { production: { force: env.names } });
  const layout = locateConfig(sf, ev);
  if (!envMap && layout.production && !env.switched)
    env.check.title = t("没有 ENV 开关：直接使用导出的配置", "no ENV switch: the exported config is used as is");
  const used = new Set<ts.Node>();
  const urlChecks = checkUrls(sf, rel, domain, ev, layout, used);
  return {
    used,
    // Other env entries, and the branches reading the production values did not take.
    devRoots: [...(envs ? otherEnvironments(plain, envs.map, envs.key) : []), ...ev.untaken()],
    envNames: env.names,
    envIsProduction: env.isProduction,
    envCheck: env.check,
    urlChecks,
  };
}

/** ENV: which environment the file selects — `config[ENV]`, `config.production`, or `const ENV = …`. */
function checkEnv(
  sf: ts.SourceFile,
  rel: string,
  ev: ConstantEvaluator,
  envMap: ts.ObjectLiteralExpression | undefined,
): { check: CheckResult; names: string[]; switched: boolean; isProduction: boolean } {
  const envCheck: CheckResult = {
    id: "env",
    title: t("ENV 为 'production'", "ENV is 'production'"),
    findings: [],
  };
  const at = (node: ts.Node): number => lineOf(sf, node);
  let selector: ts.Expression | undefined;
  let selectorLiteral: { name: string; node: ts.Node } | undefined;
  if (envMap) {
    const access = findFirst(sf, (node) =>
      (ts.isElementAccessExpression(node) || ts.isPropertyAccessExpression(node)) &&
      ev.object(node.expression)?.node === envMap
        ? node
        : undefined,
    );
    if (access && ts.isPropertyAccessExpression(access)) selectorLiteral = { name: access.name.text, node: access.name };
    else if (access) selector = access.argumentExpression;
  }
  const names = ENV_NAMES.filter((n) => ev.declaration(n) !== undefined);
  if (selector && ts.isIdentifier(unwrap(selector))) names.push((unwrap(selector) as ts.Identifier).text);
  if (!selector && !selectorLiteral && names.length > 0) selector = ev.declaration(names[0]);
  let isProduction = !envMap && !selector && !selectorLiteral;

  // ---- ENV
  const envFinding = (f: Omit<Finding, "file">): void => void envCheck.findings.push({ file: rel, ...f });
  if (selectorLiteral) {
    isProduction = selectorLiteral.name === "production";
    if (!isProduction)
      envFinding({
        level: "error",
        line: at(selectorLiteral.node),
        code: "env-not-production",
        message: t(
          `config.js 导出的是 '${selectorLiteral.name}' 配置，而不是 'production'`,
          `config.js exports the '${selectorLiteral.name}' config, not 'production'`,
        ),
        expected: "production",
        found: selectorLiteral.name,
      });
  } else if (selector) {
    const value = ev.evaluate(selector);
    const origin = ev.origin(selector);
    isProduction = value === "production";
    if (value === undefined) {
      let branches: string[] = [];
      if (ts.isConditionalExpression(origin))
        branches = [ev.evaluate(origin.whenTrue), ev.evaluate(origin.whenFalse)].filter(
          (x): x is string => x !== undefined,
        );
      const choices = branches.map((b) => `'${b}'`).join(" / ");
      if (branches.includes("production"))
        envFinding({
          level: "warning",
          line: at(origin),
          code: "env-dynamic",
          message: t(
            `ENV 在运行时才决定（${choices}），请确认正式版会得到 'production'`,
            `ENV is chosen at run time (${choices}); make sure the release build resolves to 'production'`,
          ),
          expected: "production",
          found: origin.getText(sf),
        });
      else
        envFinding({
          level: "warning",
          line: at(origin),
          code: "env-unresolved",
          message: t(
            "无法静态确定 ENV 选择的环境；它必须是 'production'",
            "cannot tell statically which environment ENV selects; it must be 'production'",
          ),
          expected: "production",
          found: origin.getText(sf),
        });
    } else if (value !== "production") {
      const missing = envMap && !ev.property(envMap, value);
      envFinding({
        level: "error",
        line: at(origin),
        code: "env-not-production",
        message: t(
          `ENV 为 '${value}'，小程序会请求 ${value} 环境的服务器 —— 上传前请改为 'production'` +
            (missing ? `（而且配置中根本没有 '${value}' 这一项）` : ""),
          `ENV is '${value}', so the app talks to the ${value} servers — set it to 'production' before uploading` +
            (missing ? ` (and the config has no '${value}' entry at all)` : ""),
        ),
        expected: "production",
        found: value,
      });
    }
  } else if (envMap) {
    envFinding({
      level: "warning",
      line: at(envMap),
      code: "env-missing",
      message: t(
        "config.js 按环境分了配置，但没有找到选择环境的 ENV",
        "config.js has per-environment settings but no ENV selecting one of them",
      ),
      expected: "production",
    });
  }
  return { check: envCheck, names, switched: selector !== undefined || selectorLiteral !== undefined, isProduction };
}

/** Each required key of the production config: present, statically known, and exactly https://<domain><path>. */
function checkUrls(
  sf: ts.SourceFile,
  rel: string,
  domain: string,
  ev: ConstantEvaluator,
  layout: ConfigLayout,
  used: Set<ts.Node>,
): CheckResult[] {
  const urlChecks: CheckResult[] = REQUIRED_URLS.map(([key, p]) => ({
    id: `url:${key}`,
    title: t(`production.${key} 为 https://${domain}${p}`, `production ${key} = https://${domain}${p}`),
    findings: [],
  }));
  const at = (node: ts.Node): number => lineOf(sf, node);
  const prod = layout.production;
  if (!prod) {
    const opaque = layout.opaqueExport;
    urlChecks[0].findings.push(
      opaque
        ? {
            file: rel,
            level: "warning",
            line: at(opaque),
            code: "production-config-unresolved",
            message: t(
              "无法静态确定 config.js 导出的配置，因此没有检查 production 地址；它们必须是 https://" + domain + " 下的地址",
              `cannot tell statically what config.js exports, so the production URLs were not checked; they must be under https://${domain}`,
            ),
            found: firstLine(opaque.getText(sf)),
          }
        : {
            file: rel,
            level: "error",
            line: 0,
            code: "production-config-missing",
            message: t(
              "config.js 中没有 'production' 配置对象（也没有包含 baseUrl 的配置对象）",
              "config.js has no 'production' object (nor a flat object with baseUrl)",
            ),
            expected: `production: { baseUrl: 'https://${domain}', ... }`,
          },
    );
    urlChecks.splice(1);
    urlChecks[0].id = "production";
    urlChecks[0].title = t("存在 production 配置", "production config present");
    return urlChecks;
  }
  REQUIRED_URLS.forEach(([key, p], i) => {
    const check = urlChecks[i];
    const expected = `https://${domain}${p}`;
    const found = prod.lookup(key, used);
    if (found.kind === "missing") {
      check.findings.push({
        file: rel,
        level: "error",
        line: at(prod.anchor),
        code: "url-missing",
        message: t(`production 中缺少 ${key}`, `production.${key} is missing`),
        expected,
      });
      return;
    }
    const value = found.kind === "found" ? ev.evaluate(found.binding.expr, used, found.binding.scope) : undefined;
    if (value === undefined) {
      check.findings.push({
        file: rel,
        level: "warning",
        line: at(found.at),
        code: "url-unresolved",
        message: t(
          `production.${key} 不是简单常量，无法检查；它必须等于 ${expected}`,
          `production.${key} is not a simple constant, so it cannot be checked; it must equal ${expected}`,
        ),
        expected,
        found: firstLine(found.at.getText(sf)),
      });
      return;
    }
    const issues = configValueIssues(value, p, domain);
    if (issues.length === 0) return;
    const what = joinIssues(issues);
    check.findings.push({
      file: rel,
      level: "error",
      line: at(found.at),
      code: `url-${issues[0].code}`,
      message: t(`production.${key} ${what.zh}`, `production.${key} ${what.en}`),
      expected,
      found: value,
    });
  });
  return urlChecks;
}

/** Source text for `found`: a getter or function body shows as its first line. */
function firstLine(text: string): string {
  const i = text.indexOf("\n");
  return i < 0 ? text : `${text.slice(0, i).trimEnd()} …`;
}
