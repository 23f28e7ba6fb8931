// The config.js rules (ENV selects production; every production URL is https://<domain><path>)
// and the project.config.json rule (urlCheck stays on).
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { t } from "../../core/text";
import { ConstantEvaluator } from "./evaluate";
import { findFirst, jsonProp, lineAt, lineOf, propertyNameText, readJson, syntaxErrors } from "./parse";
import { REQUIRED_URLS, type CheckResult, type Finding } from "./types";
import { configValueIssues, joinIssues } from "./urls";

export interface ConfigAnalysis {
  /** Nodes already judged by the config checks (skipped by the hard-coded URL scan). */
  used: Set<ts.Node>;
  /** Source ranges of non-production env objects (development, test, ...). */
  devRanges: Array<[number, number]>;
  envCheck: CheckResult;
  urlChecks: CheckResult[];
}

/** ENV and the production URLs of the config file `sf` (`rel` is its path in the report). */
export function analyzeConfig(sf: ts.SourceFile, rel: string, domain: string): ConfigAnalysis {
  const ev = new ConstantEvaluator(sf);
  const used = new Set<ts.Node>();
  const devRanges: Array<[number, number]> = [];
  const envCheck: CheckResult = {
    id: "env",
    title: t("ENV 为 'production'", "ENV is 'production'"),
    findings: [],
  };
  const urlChecks: CheckResult[] = REQUIRED_URLS.map(([key, p]) => ({
    id: `url:${key}`,
    title: t(`production.${key} 为 https://${domain}${p}`, `production ${key} = https://${domain}${p}`),
    findings: [],
  }));
  const at = (node: ts.Node | undefined): number => (node ? lineOf(sf, node) : 0);

  // The env map: the first object literal with a `production` entry that is an object.
  const envs = findFirst(sf, (node) => {
    if (!ts.isObjectLiteralExpression(node)) return undefined;
    const p = ev.property(node, "production");
    const o = p ? ev.object(p) : undefined;
    return o ? { map: node, production: o } : undefined;
  });
  const envMap = envs?.map;
  // Flat config (no env map): the exported object with a baseUrl is the production config.
  const prod =
    envs?.production ??
    findFirst(sf, (node) => (ts.isObjectLiteralExpression(node) && ev.property(node, "baseUrl") ? node : undefined));

  // A non-production env object, and the top-level constants it is built from
  // (`const DEV_BASE = 'http://localhost:8000'`), may point at localhost.
  const markDev = (node: ts.Node): void => {
    if (devRanges.some(([s, e]) => node.getStart(sf) >= s && node.getEnd() <= e)) return;
    devRanges.push([node.getStart(sf), node.getEnd()]);
    const deps = (n: ts.Node): void => {
      if (ts.isIdentifier(n)) {
        const init = ev.declaration(n.text);
        if (init) markDev(init);
      }
      ts.forEachChild(n, deps);
    };
    deps(node);
  };

  // Which environment is exported: config[ENV] / config.production / const ENV = ...
  let selector: ts.Expression | undefined;
  let selectorLiteral: { name: string; node: ts.Node } | undefined;
  if (envMap) {
    for (const p of envMap.properties) {
      if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) continue;
      const name = propertyNameText(p.name);
      if (name === undefined || name === "production") continue;
      const o = ev.object(ts.isPropertyAssignment(p) ? p.initializer : p.name);
      if (o) markDev(o);
    }
    const access = findFirst(sf, (node) =>
      (ts.isElementAccessExpression(node) || ts.isPropertyAccessExpression(node)) && ev.object(node.expression) === envMap
        ? node
        : undefined,
    );
    if (access && ts.isPropertyAccessExpression(access)) selectorLiteral = { name: access.name.text, node: access.name };
    else if (access) selector = access.argumentExpression;
  }
  if (!selector && !selectorLiteral) {
    for (const name of ["ENV", "env", "ENVIRONMENT", "environment", "CURRENT_ENV", "currentEnv"]) {
      const init = ev.declaration(name);
      if (init) {
        selector = init;
        break;
      }
    }
  }

  if (!envMap && prod && !selector && !selectorLiteral)
    envCheck.title = t("没有 ENV 开关：直接使用导出的配置", "no ENV switch: the exported config is used as is");

  // ---- ENV
  const envFinding = (f: Omit<Finding, "file">): void => void envCheck.findings.push({ file: rel, ...f });
  if (selectorLiteral) {
    if (selectorLiteral.name !== "production")
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

  // ---- production URLs
  if (!prod) {
    urlChecks[0].findings.push({
      file: rel,
      level: "error",
      line: 0,
      code: "production-config-missing",
      message: t(
        "config.js 中没有 'production' 配置对象（也没有包含 baseUrl 的配置对象）",
        "config.js has no 'production' object (nor a flat object with baseUrl)",
      ),
      expected: `production: { baseUrl: 'https://${domain}', ... }`,
    });
    urlChecks.splice(1);
    urlChecks[0].id = "production";
    urlChecks[0].title = t("存在 production 配置", "production config present");
  } else {
    REQUIRED_URLS.forEach(([key, p], i) => {
      const check = urlChecks[i];
      const expected = `https://${domain}${p}`;
      const init = ev.property(prod, key, used);
      if (!init) {
        check.findings.push({
          file: rel,
          level: "error",
          line: at(prod),
          code: "url-missing",
          message: t(`production 中缺少 ${key}`, `production.${key} is missing`),
          expected,
        });
        return;
      }
      const value = ev.evaluate(init, used);
      if (value === undefined) {
        check.findings.push({
          file: rel,
          level: "warning",
          line: at(init),
          code: "url-unresolved",
          message: t(
            `production.${key} 不是简单常量，无法检查；它必须等于 ${expected}`,
            `production.${key} is not a simple constant, so it cannot be checked; it must equal ${expected}`,
          ),
          expected,
          found: init.getText(sf),
        });
        return;
      }
      const issues = configValueIssues(value, p, domain);
      if (issues.length === 0) return;
      const what = joinIssues(issues);
      check.findings.push({
        file: rel,
        level: "error",
        line: at(init),
        code: `url-${issues[0].code}`,
        message: t(`production.${key} ${what.zh}`, `production.${key} ${what.en}`),
        expected,
        found: value,
      });
    });
  }
  return { used, devRanges, envCheck, urlChecks };
}

/** urlCheck in project(.private).config.json, and the miniprogramRoot the project declares. */
export function checkProjectConfigs(dir: string): { check: CheckResult; miniprogramRoot?: string } {
  const check: CheckResult = {
    id: "urlcheck",
    title: t(
      "project.config.json / project.private.config.json 没有关闭 urlCheck",
      "urlCheck is not turned off in project.config.json / project.private.config.json",
    ),
    findings: [],
  };
  let miniprogramRoot: string | undefined;
  let seen = 0;
  for (const name of ["project.config.json", "project.private.config.json"]) {
    const abs = path.join(dir, name);
    if (!fs.existsSync(abs)) continue;
    seen++;
    const { sf, root } = readJson(abs);
    const errs = syntaxErrors(sf);
    if (!root || errs.length > 0) {
      check.findings.push({
        level: "warning",
        file: name,
        line: errs.length > 0 ? lineAt(sf, errs[0].start) : 1,
        code: "project-config-invalid",
        message: t(`${name} 不是合法的 JSON，开发者工具会忽略它`, `${name} is not valid JSON; the developer tools will ignore it`),
      });
      continue;
    }
    const mpr = jsonProp(root, "miniprogramRoot");
    if (name === "project.config.json" && mpr && ts.isStringLiteral(mpr) && mpr.text.trim() !== "")
      miniprogramRoot = mpr.text;
    const setting = jsonProp(root, "setting");
    const urlCheck = setting && ts.isObjectLiteralExpression(setting) ? jsonProp(setting, "urlCheck") : undefined;
    if (urlCheck && urlCheck.kind === ts.SyntaxKind.FalseKeyword)
      check.findings.push({
        level: "warning",
        file: name,
        line: lineOf(sf, urlCheck),
        code: "urlcheck-disabled",
        message: t(
          "setting.urlCheck 为 false：在开发者工具里没问题，但手机上总是会校验 request 合法域名 —— 请打开它再测试",
          "setting.urlCheck is false: fine in the developer tools, but phones always check the request 合法域名 — test with it on",
        ),
        expected: "true",
        found: "false",
      });
  }
  if (seen === 0) check.title = t("没有 project.config.json（未检查 urlCheck）", "no project.config.json (urlCheck not checked)");
  return { check, miniprogramRoot };
}
