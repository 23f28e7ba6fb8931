/**
 * `aistudio lint-miniprogram <dir>`: the troubleshooting guide's config.js review
 * checklist, turned into a lint over the WeChat mini program source tree.
 *
 * Everything is read through the TypeScript compiler's parser (ScriptKind.JS for
 * .js files) — no regexes over source text — so comments, quoting style and
 * formatting do not matter, and simple constant expressions (string literals,
 * template literals, `+` concatenation, references to top-level constants and
 * object properties) are evaluated statically.
 *
 * Checks:
 *   1. a config file exists (config.js, utils/config.js, config/index.js);
 *   2. ENV selects 'production';
 *   3. the production object has baseUrl, apiBaseUrl, apiUrl, staticUrl, mediaUrl,
 *      each exactly https://<domain> + its path, with a precise diagnosis when not
 *      (http, port, IP, missing TLD, trailing slash, wrong path, ...);
 *   4. no other script hard-codes an http(s) URL to a host other than the domain
 *      (small allowlist of WeChat hosts; localhost only inside a development config);
 *   5. project(.private).config.json does not turn urlCheck off (warning only).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as ts from "typescript";

// ---------------------------------------------------------------------------
// Public types

export interface Finding {
  level: "error" | "warning";
  /** Path relative to the linted directory, with forward slashes. */
  file: string;
  /** 1-based line; 0 when the finding is about a file as a whole (e.g. it is missing). */
  line: number;
  /** Short stable id, e.g. "env-not-production", "url-port", "hardcoded-url-missing-tld". */
  code: string;
  message_en: string;
  message_zh: string;
  expected?: string;
  found?: string;
}

export interface LintOptions {
  /** The mini program's request domain, e.g. "photogooo.com". */
  domain: string;
  /** Extra hosts allowed in hard-coded URLs, on top of DEFAULT_ALLOWED_HOSTS. */
  allowHosts?: string[];
}

/** One line of the checklist: passes (✓) when it has no findings. */
export interface CheckResult {
  id: string;
  title_en: string;
  title_zh: string;
  findings: Finding[];
}

export interface LintReport {
  dir: string;
  domain: string;
  configFile?: string;
  scannedFiles: string[];
  checks: CheckResult[];
  findings: Finding[];
}

export const DEFAULT_DOMAIN = "photogooo.com";

/** Where config.js may live, in order of preference. */
export const CONFIG_CANDIDATES = ["config.js", "utils/config.js", "config/index.js"];

/** Keys of the production config and the path each must have under https://<domain>. */
export const REQUIRED_URLS: ReadonlyArray<readonly [key: string, path: string]> = [
  ["baseUrl", ""],
  ["apiBaseUrl", "/api/miniprogram"],
  ["apiUrl", "/api"],
  ["staticUrl", "/static"],
  ["mediaUrl", "/media"],
];

/** Hosts that may appear in hard-coded URLs anywhere. */
export const DEFAULT_ALLOWED_HOSTS = ["api.weixin.qq.com", "res.wx.qq.com", "mp.weixin.qq.com"];

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "0.0.0.0", "::1"]);
const SKIP_DIRS = new Set(["node_modules", "miniprogram_npm", "dist"]);
const SCRIPT_EXTS = new Set([".js", ".ts", ".mjs", ".cjs"]);
const MAX_SCRIPT_BYTES = 2 * 1024 * 1024;

// ---------------------------------------------------------------------------
// Constant evaluator

type Value = string | number;

function unwrap(expr: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(expr)) expr = expr.expression;
    else if (ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr)) expr = expr.expression;
    else if (ts.isTypeAssertionExpression(expr) || ts.isNonNullExpression(expr)) expr = expr.expression;
    else if (
      // Object.freeze({...}) is as constant as the object itself.
      ts.isCallExpression(expr) &&
      expr.arguments.length === 1 &&
      ts.isPropertyAccessExpression(expr.expression) &&
      ts.isIdentifier(expr.expression.expression) &&
      expr.expression.expression.text === "Object" &&
      expr.expression.name.text === "freeze"
    )
      expr = expr.arguments[0];
    else return expr;
  }
}

function propertyNameText(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (ts.isNumericLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name)) {
    const e = unwrap(name.expression);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  }
  return undefined;
}

/**
 * Statically evaluates simple string expressions within one source file:
 * string / numeric / template literals, `+`, parentheses, and identifiers bound by
 * top-level `const` (or never-reassigned `let`/`var`) declarations, plus property
 * access into constant object literals (`URLS.base`, `config['production'].apiUrl`).
 */
export class ConstantEvaluator {
  private readonly decls = new Map<string, ts.Expression>();
  private readonly active = new Set<ts.Node>();

  constructor(readonly sf: ts.SourceFile) {
    const reassigned = new Set<string>();
    const walk = (node: ts.Node): void => {
      if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
        node.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
        ts.isIdentifier(node.left)
      )
        reassigned.add(node.left.text);
      if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && ts.isIdentifier(node.operand))
        reassigned.add(node.operand.text);
      ts.forEachChild(node, walk);
    };
    walk(sf);
    for (const stmt of sf.statements) {
      if (!ts.isVariableStatement(stmt)) continue;
      const isConst = (stmt.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const d of stmt.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || !d.initializer) continue;
        if (!isConst && reassigned.has(d.name.text)) continue;
        if (this.decls.has(d.name.text)) this.decls.delete(d.name.text); // redeclared: ambiguous
        else this.decls.set(d.name.text, d.initializer);
      }
    }
  }

  /** The initializer a top-level constant is bound to. */
  declaration(name: string): ts.Expression | undefined {
    return this.decls.get(name);
  }

  /**
   * The string value of `expr`, or undefined when it is not a simple constant.
   * Every node that contributed to a successful evaluation is added to `used`.
   */
  evaluate(expr: ts.Expression, used?: Set<ts.Node>): string | undefined {
    const v = this.value(expr, used);
    return typeof v === "string" ? v : undefined;
  }

  /** Follows identifiers / parentheses to the expression that actually holds the value. */
  origin(expr: ts.Expression): ts.Expression {
    const seen = new Set<ts.Node>();
    for (;;) {
      expr = unwrap(expr);
      if (!ts.isIdentifier(expr) || seen.has(expr)) return expr;
      seen.add(expr);
      const init = this.decls.get(expr.text);
      if (!init) return expr;
      expr = init;
    }
  }

  /** The object literal `expr` denotes (through identifiers and property access), if any. */
  object(expr: ts.Expression, used?: Set<ts.Node>): ts.ObjectLiteralExpression | undefined {
    const e = unwrap(expr);
    if (this.active.has(e)) return undefined;
    this.active.add(e);
    try {
      let result: ts.ObjectLiteralExpression | undefined;
      if (ts.isObjectLiteralExpression(e)) result = e;
      else if (ts.isIdentifier(e)) {
        const init = this.decls.get(e.text);
        result = init ? this.object(init, used) : undefined;
      } else if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
        const target = this.member(e, used);
        result = target ? this.object(target, used) : undefined;
      }
      if (result && used) used.add(e);
      return result;
    } finally {
      this.active.delete(e);
    }
  }

  /** The initializer of property `name` in an object literal (last definition wins, spreads followed). */
  property(obj: ts.ObjectLiteralExpression, name: string, used?: Set<ts.Node>): ts.Expression | undefined {
    for (let i = obj.properties.length - 1; i >= 0; i--) {
      const p = obj.properties[i];
      if (ts.isPropertyAssignment(p) && propertyNameText(p.name) === name) return p.initializer;
      if (ts.isShorthandPropertyAssignment(p) && p.name.text === name) return p.name;
      if (ts.isSpreadAssignment(p)) {
        const inner = this.object(p.expression, used);
        const found = inner ? this.property(inner, name, used) : undefined;
        if (found) return found;
      }
      if ((ts.isMethodDeclaration(p) || ts.isGetAccessorDeclaration(p)) && propertyNameText(p.name) === name)
        return undefined;
    }
    return undefined;
  }

  private member(
    e: ts.PropertyAccessExpression | ts.ElementAccessExpression,
    used?: Set<ts.Node>,
  ): ts.Expression | undefined {
    const key = ts.isPropertyAccessExpression(e) ? e.name.text : this.value(e.argumentExpression, used);
    if (key === undefined) return undefined;
    const obj = this.object(e.expression, used);
    return obj ? this.property(obj, String(key), used) : undefined;
  }

  private value(expr: ts.Expression, used?: Set<ts.Node>): Value | undefined {
    const e = unwrap(expr);
    if (this.active.has(e)) return undefined; // cycle
    this.active.add(e);
    try {
      const v = this.compute(e, used);
      if (v !== undefined && used) {
        used.add(e);
        if (e !== expr) used.add(expr);
      }
      return v;
    } finally {
      this.active.delete(e);
    }
  }

  private compute(e: ts.Expression, used?: Set<ts.Node>): Value | undefined {
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isNumericLiteral(e)) return Number(e.text);
    if (ts.isTemplateExpression(e)) {
      let out = e.head.text;
      for (const span of e.templateSpans) {
        const v = this.value(span.expression, used);
        if (v === undefined) return undefined;
        out += String(v) + span.literal.text;
      }
      return out;
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const l = this.value(e.left, used);
      if (l === undefined) return undefined;
      const r = this.value(e.right, used);
      if (r === undefined) return undefined;
      return typeof l === "number" && typeof r === "number" ? l + r : String(l) + String(r);
    }
    if (ts.isIdentifier(e)) {
      const init = this.decls.get(e.text);
      return init ? this.value(init, used) : undefined;
    }
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
      const target = this.member(e, used);
      return target ? this.value(target, used) : undefined;
    }
    return undefined;
  }
}

/** Parses `source` as JavaScript and evaluates the top-level constant `name` (test/debug helper). */
export function evaluateStringConstant(source: string, name: string): string | undefined {
  const sf = ts.createSourceFile("input.js", source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const ev = new ConstantEvaluator(sf);
  const init = ev.declaration(name);
  return init ? ev.evaluate(init) : undefined;
}

// ---------------------------------------------------------------------------
// URL diagnosis (over already-evaluated string values)

interface UrlParts {
  scheme: string;
  host: string; // lower-cased, IPv6 without brackets
  port?: string;
  rest: string; // path + query + fragment
  userinfo: boolean;
}

function splitUrl(s: string): UrlParts | undefined {
  const i = s.indexOf("://");
  if (i <= 0) return undefined;
  const scheme = s.slice(0, i).toLowerCase();
  const after = s.slice(i + 3);
  let end = after.length;
  for (const c of ["/", "?", "#"]) {
    const j = after.indexOf(c);
    if (j >= 0 && j < end) end = j;
  }
  let authority = after.slice(0, end);
  const rest = after.slice(end);
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0;
  if (userinfo) authority = authority.slice(at + 1);
  let host = authority;
  let port: string | undefined;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    host = close > 0 ? authority.slice(1, close) : authority.slice(1);
    const tail = close > 0 ? authority.slice(close + 1) : "";
    if (tail.startsWith(":")) port = tail.slice(1);
  } else {
    const colon = authority.lastIndexOf(":");
    if (colon >= 0) {
      host = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
  }
  return { scheme, host: host.toLowerCase(), port, rest, userinfo };
}

function isLocalHost(host: string): boolean {
  return LOCAL_HOSTS.has(host) || host.endsWith(".localhost") || (net.isIPv4(host) && host.startsWith("127."));
}

interface Issue {
  code: string; // without prefix, e.g. "port"
  en: string;
  zh: string;
}

function tldHint(host: string, domain: string): { en: string; zh: string } {
  if (domain.startsWith(host + ".")) return { en: ` (did you mean '${domain}'?)`, zh: `（应为 '${domain}'？）` };
  return { en: "", zh: "" };
}

/** Host-level problems shared by config values and hard-coded URLs. */
function hostIssues(u: UrlParts, domain: string): Issue[] {
  const issues: Issue[] = [];
  if (u.scheme === "http")
    issues.push({
      code: "http",
      en: "uses http:// — phones only send requests to https:// domains",
      zh: "使用了 http:// —— 手机上只能向 https:// 域名发起请求",
    });
  else if (u.scheme !== "https")
    issues.push({
      code: "scheme",
      en: `uses the scheme '${u.scheme}://' instead of https://`,
      zh: `使用了 '${u.scheme}://' 协议而不是 https://`,
    });
  if (isLocalHost(u.host))
    issues.push({
      code: "localhost",
      en: `points at ${u.host}, which a phone cannot reach — use https://${domain}`,
      zh: `指向 ${u.host}，手机无法访问 —— 请使用 https://${domain}`,
    });
  else if (net.isIP(u.host))
    issues.push({
      code: "ip",
      en: `uses the IP address ${u.host} — WeChat does not accept IP addresses as request domains; use https://${domain}`,
      zh: `使用了 IP 地址 ${u.host} —— 微信不允许用 IP 作为 request 合法域名，请使用 https://${domain}`,
    });
  else if (u.host !== "" && !u.host.includes(".")) {
    const hint = tldHint(u.host, domain);
    issues.push({
      code: "missing-tld",
      en: `host '${u.host}' is missing its top-level domain${hint.en}`,
      zh: `主机名 '${u.host}' 缺少顶级域名${hint.zh}`,
    });
  } else if (u.host !== domain)
    issues.push({
      code: "wrong-host",
      en: `host '${u.host}' is not the configured domain '${domain}'`,
      zh: `主机名 '${u.host}' 不是配置的域名 '${domain}'`,
    });
  if (u.port !== undefined)
    issues.push({
      code: "port",
      en: `has an explicit port ':${u.port}' — the request 合法域名 is registered without a port; remove it`,
      zh: `带有端口 ':${u.port}' —— request 合法域名登记时不带端口，请去掉端口`,
    });
  return issues;
}

/** Everything wrong with a production config value, most important first. */
function configValueIssues(value: string, expectedPath: string, domain: string): Issue[] {
  const expected = `https://${domain}${expectedPath}`;
  if (value === expected) return [];
  const issues: Issue[] = [];
  if (value !== value.trim())
    issues.push({ code: "whitespace", en: "has leading/trailing whitespace", zh: "首尾有空白字符" });
  const u = splitUrl(value.trim());
  if (!u) {
    issues.push({
      code: "invalid",
      en: "is not an absolute https:// URL",
      zh: "不是完整的 https:// 地址",
    });
    return issues;
  }
  issues.push(...hostIssues(u, domain));
  if (u.userinfo) issues.push({ code: "mismatch", en: "contains user credentials", zh: "包含用户名/密码" });
  if (u.rest !== expectedPath) {
    if (u.rest === expectedPath + "/")
      issues.push({
        code: "trailing-slash",
        en: `has a trailing slash — joined paths become '${expected}//...'`,
        zh: `末尾多了 '/' —— 拼接后会变成 '${expected}//...'`,
      });
    else
      issues.push({
        code: "wrong-path",
        en: `has the path '${u.rest}', expected '${expectedPath}'`,
        zh: `路径为 '${u.rest}'，应为 '${expectedPath}'`,
      });
  }
  if (issues.length === 0) issues.push({ code: "mismatch", en: "differs from the expected value", zh: "与期望值不一致" });
  return issues;
}

/** What a hard-coded URL should probably have been, when the intent is obvious. */
function suggestUrl(u: UrlParts, domain: string): string | undefined {
  const nearMiss =
    u.host === domain || domain.startsWith(u.host + ".") || net.isIP(u.host) !== 0 || isLocalHost(u.host);
  return nearMiss ? `https://${domain}${u.rest}` : undefined;
}

// ---------------------------------------------------------------------------
// File helpers

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

function parseScript(abs: string, text: string): ts.SourceFile {
  const ext = path.extname(abs).toLowerCase();
  const kind = ext === ".ts" ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  return ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true, kind);
}

function lineOf(sf: ts.SourceFile, node: ts.Node): number {
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}

function syntaxErrors(sf: ts.SourceFile): readonly ts.DiagnosticWithLocation[] {
  // Not in the public typings, but present on every parsed SourceFile since TS 2.x.
  return ((sf as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? []).filter(
    (d) => d.category === ts.DiagnosticCategory.Error,
  );
}

function readJson(abs: string): { sf: ts.JsonSourceFile; root?: ts.ObjectLiteralExpression } {
  const sf = ts.parseJsonText(abs, fs.readFileSync(abs, "utf8"));
  const first = sf.statements[0]?.expression;
  return { sf, root: first && ts.isObjectLiteralExpression(first) ? first : undefined };
}

function jsonProp(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of obj.properties)
    if (ts.isPropertyAssignment(p) && propertyNameText(p.name) === name) return p.initializer;
  return undefined;
}

function listScripts(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      if (ent.name.startsWith(".")) continue;
      const abs = path.join(dir, ent.name);
      if (ent.isDirectory()) {
        if (!SKIP_DIRS.has(ent.name)) walk(abs);
      } else if (ent.isFile() && SCRIPT_EXTS.has(path.extname(ent.name).toLowerCase()) && !ent.name.endsWith(".d.ts")) {
        out.push(abs);
      }
    }
  };
  walk(root);
  return out;
}

// ---------------------------------------------------------------------------
// config.js analysis

interface ConfigAnalysis {
  /** Nodes already judged by the config checks (skipped by the hard-coded URL scan). */
  used: Set<ts.Node>;
  /** Source ranges of non-production env objects (development, test, ...). */
  devRanges: Array<[number, number]>;
  envCheck: CheckResult;
  urlChecks: CheckResult[];
}

function analyzeConfig(sf: ts.SourceFile, rel: string, domain: string): ConfigAnalysis {
  const ev = new ConstantEvaluator(sf);
  const used = new Set<ts.Node>();
  const devRanges: Array<[number, number]> = [];
  const envCheck: CheckResult = {
    id: "env",
    title_en: "ENV is 'production'",
    title_zh: "ENV 为 'production'",
    findings: [],
  };
  const urlChecks: CheckResult[] = REQUIRED_URLS.map(([key, p]) => ({
    id: `url:${key}`,
    title_en: `production ${key} = https://${domain}${p}`,
    title_zh: `production.${key} 为 https://${domain}${p}`,
    findings: [],
  }));
  const at = (node: ts.Node | undefined): number => (node ? lineOf(sf, node) : 0);

  // The env map: the first object literal with a `production` entry that is an object.
  let envMap: ts.ObjectLiteralExpression | undefined;
  let prod: ts.ObjectLiteralExpression | undefined;
  const findEnvMap = (node: ts.Node): void => {
    if (envMap) return;
    if (ts.isObjectLiteralExpression(node)) {
      const p = ev.property(node, "production");
      const o = p ? ev.object(p) : undefined;
      if (o) {
        envMap = node;
        prod = o;
        return;
      }
    }
    ts.forEachChild(node, findEnvMap);
  };
  findEnvMap(sf);

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
    const findSelector = (node: ts.Node): void => {
      if (selector || selectorLiteral) return;
      if (
        (ts.isElementAccessExpression(node) || ts.isPropertyAccessExpression(node)) &&
        ev.object(node.expression) === envMap
      ) {
        if (ts.isPropertyAccessExpression(node)) selectorLiteral = { name: node.name.text, node: node.name };
        else selector = node.argumentExpression;
        return;
      }
      ts.forEachChild(node, findSelector);
    };
    findSelector(sf);
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

  // Flat config (no env map): the exported object with a baseUrl is the production config.
  if (!prod) {
    const findFlat = (node: ts.Node): void => {
      if (prod) return;
      if (ts.isObjectLiteralExpression(node) && ev.property(node, "baseUrl")) {
        prod = node;
        return;
      }
      ts.forEachChild(node, findFlat);
    };
    findFlat(sf);
    if (prod && !selector && !selectorLiteral) {
      envCheck.title_en = "no ENV switch: the exported config is used as is";
      envCheck.title_zh = "没有 ENV 开关：直接使用导出的配置";
    }
  }

  // ---- ENV
  const envFinding = (f: Omit<Finding, "file">): void => void envCheck.findings.push({ file: rel, ...f });
  if (selectorLiteral) {
    if (selectorLiteral.name !== "production")
      envFinding({
        level: "error",
        line: at(selectorLiteral.node),
        code: "env-not-production",
        message_en: `config.js exports the '${selectorLiteral.name}' config, not 'production'`,
        message_zh: `config.js 导出的是 '${selectorLiteral.name}' 配置，而不是 'production'`,
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
      if (branches.includes("production"))
        envFinding({
          level: "warning",
          line: at(origin),
          code: "env-dynamic",
          message_en: `ENV is chosen at run time (${branches.map((b) => `'${b}'`).join(" / ")}); make sure the release build resolves to 'production'`,
          message_zh: `ENV 在运行时才决定（${branches.map((b) => `'${b}'`).join(" / ")}），请确认正式版会得到 'production'`,
          expected: "production",
          found: origin.getText(sf),
        });
      else
        envFinding({
          level: "warning",
          line: at(origin),
          code: "env-unresolved",
          message_en: "cannot tell statically which environment ENV selects; it must be 'production'",
          message_zh: "无法静态确定 ENV 选择的环境；它必须是 'production'",
          expected: "production",
          found: origin.getText(sf),
        });
    } else if (value !== "production") {
      const missing = envMap && !ev.property(envMap, value);
      envFinding({
        level: "error",
        line: at(origin),
        code: "env-not-production",
        message_en:
          `ENV is '${value}', so the app talks to the ${value} servers — set it to 'production' before uploading` +
          (missing ? ` (and the config has no '${value}' entry at all)` : ""),
        message_zh:
          `ENV 为 '${value}'，小程序会请求 ${value} 环境的服务器 —— 上传前请改为 'production'` +
          (missing ? `（而且配置中根本没有 '${value}' 这一项）` : ""),
        expected: "production",
        found: value,
      });
    }
  } else if (envMap) {
    envFinding({
      level: "warning",
      line: at(envMap),
      code: "env-missing",
      message_en: "config.js has per-environment settings but no ENV selecting one of them",
      message_zh: "config.js 按环境分了配置，但没有找到选择环境的 ENV",
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
      message_en: "config.js has no 'production' object (nor a flat object with baseUrl)",
      message_zh: "config.js 中没有 'production' 配置对象（也没有包含 baseUrl 的配置对象）",
      expected: `production: { baseUrl: 'https://${domain}', ... }`,
    });
    urlChecks.splice(1);
    urlChecks[0].id = "production";
    urlChecks[0].title_en = "production config present";
    urlChecks[0].title_zh = "存在 production 配置";
  } else {
    const prodObj: ts.ObjectLiteralExpression = prod;
    REQUIRED_URLS.forEach(([key, p], i) => {
      const check = urlChecks[i];
      const expected = `https://${domain}${p}`;
      const init = ev.property(prodObj, key, used);
      if (!init) {
        check.findings.push({
          file: rel,
          level: "error",
          line: at(prodObj),
          code: "url-missing",
          message_en: `production.${key} is missing`,
          message_zh: `production 中缺少 ${key}`,
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
          message_en: `production.${key} is not a simple constant, so it cannot be checked; it must equal ${expected}`,
          message_zh: `production.${key} 不是简单常量，无法检查；它必须等于 ${expected}`,
          expected,
          found: init.getText(sf),
        });
        return;
      }
      const issues = configValueIssues(value, p, domain);
      if (issues.length === 0) return;
      check.findings.push({
        file: rel,
        level: "error",
        line: at(init),
        code: `url-${issues[0].code}`,
        message_en: `production.${key} ${issues.map((x) => x.en).join("; ")}`,
        message_zh: `production.${key} ${issues.map((x) => x.zh).join("；")}`,
        expected,
        found: value,
      });
    });
  }
  return { used, devRanges, envCheck, urlChecks };
}

// ---------------------------------------------------------------------------
// Hard-coded URL scan

interface Part {
  text?: string; // undefined: a hole (not statically known)
  node: ts.Node;
  literal: boolean; // text comes verbatim from a literal in this expression
}

const URL_END_CHARS = new Set([" ", "\t", "\n", "\r", "'", '"', "`", "<", ">", "\\"]);

function findUrls(text: string): Array<{ index: number; url: string }> {
  const out: Array<{ index: number; url: string }> = [];
  const lower = text.toLowerCase();
  let i = 0;
  for (;;) {
    const a = lower.indexOf("http://", i);
    const b = lower.indexOf("https://", i);
    const start = a < 0 ? b : b < 0 ? a : Math.min(a, b);
    if (start < 0) return out;
    let end = start;
    while (end < text.length && !URL_END_CHARS.has(text[end])) end++;
    out.push({ index: start, url: text.slice(start, end) });
    i = end;
  }
}

function scanFile(
  sf: ts.SourceFile,
  rel: string,
  domain: string,
  allowed: Set<string>,
  skip: Set<ts.Node>,
  devRanges: Array<[number, number]>,
): Finding[] {
  const ev = new ConstantEvaluator(sf);
  const findings: Finding[] = [];
  const inDev = (node: ts.Node): boolean => {
    const pos = node.getStart(sf);
    return devRanges.some(([s, e]) => pos >= s && pos < e);
  };

  const flatten = (expr: ts.Expression, out: Part[]): void => {
    const e = unwrap(expr);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) {
      out.push({ text: e.text, node: e, literal: true });
    } else if (ts.isTemplateExpression(e)) {
      out.push({ text: e.head.text, node: e.head, literal: true });
      for (const span of e.templateSpans) {
        flatten(span.expression, out);
        out.push({ text: span.literal.text, node: span.literal, literal: true });
      }
    } else if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      flatten(e.left, out);
      flatten(e.right, out);
    } else {
      const v = ev.evaluate(e);
      out.push({ text: v, node: e, literal: false });
    }
  };

  const report = (url: string, node: ts.Node, line: number, openEnded: boolean): void => {
    const u = splitUrl(url);
    if (!u) return;
    // `'https://' + host` or `'https://api.' + domain`: the host is not known.
    if (openEnded && (u.host === "" || u.host.endsWith(".") || u.host.endsWith("-")) && u.port === undefined) return;
    if (u.host === "") return;
    if (allowed.has(u.host)) return;
    const dev = inDev(node);
    if (dev && isLocalHost(u.host)) return;
    const issues = hostIssues(u, domain);
    if (issues.length === 0) return;
    // The URL continues with a value only known at run time.
    const more = openEnded ? "…" : "";
    const suggestion = suggestUrl(u, domain);
    const primary = issues[0];
    const isForeign = primary.code === "wrong-host";
    const advice_en = isForeign
      ? " and is not on the allowlist — phones reject requests to hosts that are not in the mini program's 合法域名; use the URLs from config.js"
      : " — use the URLs from config.js instead of hard-coding them";
    const advice_zh = isForeign
      ? "，也不在白名单中 —— 不在小程序合法域名里的请求在手机上会失败；请改用 config.js 中的地址"
      : " —— 请改用 config.js 中的地址，不要硬编码";
    findings.push({
      level: dev ? "warning" : "error",
      file: rel,
      line,
      code: `hardcoded-url-${primary.code}`,
      message_en:
        `hard-coded URL ${url}${more}: ${issues.map((x) => x.en).join("; ")}${advice_en}` +
        (dev ? " (inside a non-production config object)" : ""),
      message_zh:
        `硬编码的 URL ${url}${more}：${issues.map((x) => x.zh).join("；")}${advice_zh}` + (dev ? "（位于非 production 配置中）" : ""),
      expected: suggestion === undefined ? undefined : suggestion + more,
      found: url + more,
    });
  };

  const processChain = (expr: ts.Expression): ts.Node[] => {
    const parts: Part[] = [];
    flatten(expr, parts);
    const holes: ts.Node[] = [];
    // Group consecutive known parts into segments separated by holes.
    let seg: Array<{ part: Part; offset: number }> = [];
    let segText = "";
    const flush = (followedByHole: boolean): void => {
      for (const { index, url } of findUrls(segText)) {
        // Which part does the URL start in? Only literal parts are reported here;
        // URLs that come from a constant are reported at that constant's declaration.
        let owner = seg[0];
        for (const s of seg) if (s.offset <= index) owner = s;
        if (!owner || !owner.part.literal) continue;
        const local = index - owner.offset;
        const before = (owner.part.text ?? "").slice(0, local);
        let nl = 0;
        for (const ch of before) if (ch === "\n") nl++;
        const line = lineOf(sf, owner.part.node) + nl;
            report(url, owner.part.node, line, followedByHole && index + url.length === segText.length);
      }
      seg = [];
      segText = "";
    };
    for (const part of parts) {
      if (part.text === undefined) {
        flush(true);
        holes.push(part.node);
      } else {
        seg.push({ part, offset: segText.length });
        segText += part.text;
      }
    }
    flush(false);
    return holes;
  };

  const visit = (node: ts.Node): void => {
    if (skip.has(node)) return;
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateExpression(node) ||
      (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken)
    ) {
      // Import specifiers and property keys are not URLs anyone requests.
      if (ts.isStringLiteral(node) && node.parent && (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent)))
        return;
      for (const hole of processChain(node as ts.Expression)) visit(hole);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return findings;
}

// ---------------------------------------------------------------------------
// urlCheck

function checkProjectConfigs(dir: string): { check: CheckResult; miniprogramRoot?: string } {
  const check: CheckResult = {
    id: "urlcheck",
    title_en: "urlCheck is not turned off in project.config.json / project.private.config.json",
    title_zh: "project.config.json / project.private.config.json 没有关闭 urlCheck",
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
        line: errs.length > 0 ? sf.getLineAndCharacterOfPosition(errs[0].start).line + 1 : 1,
        code: "project-config-invalid",
        message_en: `${name} is not valid JSON; the developer tools will ignore it`,
        message_zh: `${name} 不是合法的 JSON，开发者工具会忽略它`,
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
        line: sf.getLineAndCharacterOfPosition(urlCheck.getStart(sf)).line + 1,
        code: "urlcheck-disabled",
        message_en:
          "setting.urlCheck is false: fine in the developer tools, but phones always check the request 合法域名 — test with it on",
        message_zh: "setting.urlCheck 为 false：在开发者工具里没问题，但手机上总是会校验 request 合法域名 —— 请打开它再测试",
        expected: "true",
        found: "false",
      });
  }
  if (seen === 0) {
    check.title_en = "no project.config.json (urlCheck not checked)";
    check.title_zh = "没有 project.config.json（未检查 urlCheck）";
  }
  return { check, miniprogramRoot };
}

// ---------------------------------------------------------------------------
// Entry points

function normalizeDomain(domain: string): string {
  let d = domain.trim().toLowerCase();
  const i = d.indexOf("://");
  if (i >= 0) d = d.slice(i + 3);
  while (d.endsWith("/")) d = d.slice(0, -1);
  return d;
}

/** Same finding with a stable key order (for --json) and without undefined keys. */
function canonical(f: Finding): Finding {
  const out: Finding = {
    level: f.level,
    file: f.file,
    line: f.line,
    code: f.code,
    message_en: f.message_en,
    message_zh: f.message_zh,
  };
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

  const checks: CheckResult[] = [];
  const configCheck: CheckResult = { id: "config-file", title_en: "", title_zh: "", findings: [] };
  checks.push(configCheck);

  let configAbs: string | undefined;
  for (const base of srcRoot === root ? [root] : [srcRoot, root])
    for (const c of CONFIG_CANDIDATES) {
      const abs = path.join(base, c);
      if (!configAbs && fs.existsSync(abs) && fs.statSync(abs).isFile()) configAbs = abs;
    }

  let analysis: ConfigAnalysis | undefined;
  let configSf: ts.SourceFile | undefined;
  if (!configAbs) {
    configCheck.title_en = "config file present";
    configCheck.title_zh = "存在配置文件";
    configCheck.findings.push({
      level: "error",
      file: ".",
      line: 0,
      code: "config-not-found",
      message_en: `no mini program config found (looked for ${CONFIG_CANDIDATES.join(", ")})`,
      message_zh: `没有找到小程序配置文件（查找了 ${CONFIG_CANDIDATES.join("、")}）`,
      expected: CONFIG_CANDIDATES.join(" | "),
    });
  } else {
    const configRel = rel(configAbs);
    configCheck.title_en = `config file: ${configRel}`;
    configCheck.title_zh = `配置文件：${configRel}`;
    configSf = parseScript(configAbs, fs.readFileSync(configAbs, "utf8"));
    const errs = syntaxErrors(configSf);
    if (errs.length > 0) {
      const d = errs[0];
      configCheck.findings.push({
        level: "error",
        file: configRel,
        line: configSf.getLineAndCharacterOfPosition(d.start).line + 1,
        code: "config-syntax-error",
        message_en: `${configRel} has a syntax error: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
        message_zh: `${configRel} 有语法错误：${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
      });
    }
    analysis = analyzeConfig(configSf, configRel, domain);
    checks.push(analysis.envCheck, ...analysis.urlChecks);
  }

  const scripts = listScripts(srcRoot);
  const scanned: string[] = [];
  const hardcoded: Finding[] = [];
  for (const abs of scripts) {
    let sf: ts.SourceFile;
    if (configSf && abs === configAbs) sf = configSf;
    else {
      if (fs.statSync(abs).size > MAX_SCRIPT_BYTES) continue;
      sf = parseScript(abs, fs.readFileSync(abs, "utf8"));
    }
    scanned.push(rel(abs));
    const isConfig = abs === configAbs && analysis;
    hardcoded.push(
      ...scanFile(
        sf,
        rel(abs),
        domain,
        allowed,
        isConfig ? analysis!.used : new Set(),
        isConfig ? analysis!.devRanges : [],
      ),
    );
  }
  checks.push({
    id: "hardcoded-urls",
    title_en: `no hard-coded URLs to other hosts (${scanned.length} script file${scanned.length === 1 ? "" : "s"} scanned)`,
    title_zh: `没有指向其他主机的硬编码 URL（扫描了 ${scanned.length} 个脚本文件）`,
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

// ---------------------------------------------------------------------------
// CLI

export type Lang = "zh" | "en" | "both";

const USAGE = `Usage: aistudio lint-miniprogram <dir> [--domain ${DEFAULT_DOMAIN}] [--json] [--lang zh|en] [--allow-host HOST]...

用法：aistudio lint-miniprogram <小程序目录> [--domain ${DEFAULT_DOMAIN}] [--json] [--lang zh|en]

Checks the mini program's config.js (ENV, production URLs), hard-coded URLs in
its scripts, and the urlCheck setting. Exit code 1 if any error, 0 otherwise,
2 on usage errors.
检查 config.js（ENV、production 地址）、脚本中硬编码的 URL 以及 urlCheck 设置。
有错误时退出码为 1，否则为 0；参数错误时为 2。`;

function pick(lang: Lang, zh: string, en: string): string[] {
  return lang === "zh" ? [zh] : lang === "en" ? [en] : [zh, en];
}

/** Renders the checklist: ✓ passed check, ✗ error, ! warning. */
export function formatReport(report: LintReport, lang: Lang = "both"): string {
  const out: string[] = [];
  const label = (zh: string, en: string): string => (lang === "zh" ? zh : lang === "en" ? en : `${zh} / ${en}`);
  out.push(
    ...pick(
      lang,
      `小程序配置检查：${report.dir}（域名 ${report.domain}）`,
      `Mini program config lint: ${report.dir} (domain ${report.domain})`,
    ),
  );
  out.push("");
  for (const check of report.checks) {
    if (check.findings.length === 0) {
      const [first, ...rest] = pick(lang, check.title_zh, check.title_en);
      out.push(`✓ ${first}`, ...rest.map((l) => `  ${l}`));
      continue;
    }
    for (const f of check.findings) {
      const mark = f.level === "error" ? "✗" : "!";
      const [first, ...rest] = pick(lang, `[${f.code}] ${f.message_zh}`, `[${f.code}] ${f.message_en}`);
      out.push(`${mark} ${first}`, ...rest.map((l) => `  ${l}`));
      if (f.file !== ".") out.push(`    ${label("位置", "at")}: ${f.line > 0 ? `${f.file}:${f.line}` : f.file}`);
      if (f.expected !== undefined) out.push(`    ${label("期望", "expected")}: ${f.expected}`);
      if (f.found !== undefined) out.push(`    ${label("实际", "found")}: ${f.found}`);
    }
  }
  const errors = report.findings.filter((f) => f.level === "error").length;
  const warnings = report.findings.length - errors;
  out.push("");
  out.push(
    ...pick(
      lang,
      `结果：${errors} 个错误，${warnings} 个警告 —— ${errors > 0 ? "未通过" : "通过"}`,
      `Result: ${errors} error(s), ${warnings} warning(s) — ${errors > 0 ? "FAIL" : "PASS"}`,
    ),
  );
  return out.join("\n") + "\n";
}

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIO: CliIO = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

/** `aistudio lint-miniprogram ...`; returns the exit code. */
export async function runLintMiniprogram(argv: string[], io: CliIO = defaultIO): Promise<number> {
  let dir: string | undefined;
  let domain = DEFAULT_DOMAIN;
  let json = false;
  let lang: Lang = "both";
  const allowHosts: string[] = [];
  const usageError = (msg: string): number => {
    io.stderr(`aistudio lint-miniprogram: ${msg}\n\n${USAGE}\n`);
    return 2;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const takeValue = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    if (flag === "-h" || flag === "--help") {
      io.stdout(USAGE + "\n");
      return 0;
    } else if (flag === "--json") json = true;
    else if (flag === "--domain") {
      const v = takeValue();
      if (!v) return usageError("--domain needs a value");
      domain = v;
    } else if (flag === "--lang") {
      const v = takeValue();
      if (v !== "zh" && v !== "en" && v !== "both") return usageError("--lang must be zh or en");
      lang = v;
    } else if (flag === "--allow-host") {
      const v = takeValue();
      if (!v) return usageError("--allow-host needs a value");
      allowHosts.push(v);
    } else if (arg.startsWith("-") && arg !== "-") return usageError(`unknown option ${arg}`);
    else if (dir === undefined) dir = arg;
    else return usageError(`unexpected argument ${arg}`);
  }
  if (dir === undefined) return usageError("missing <dir>");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return usageError(`not a directory: ${dir}`);

  const report = lintMiniprogramReport(dir, { domain, allowHosts });
  io.stdout(json ? JSON.stringify(report.findings, null, 2) + "\n" : formatReport(report, lang));
  return report.findings.some((f) => f.level === "error") ? 1 : 0;
}
