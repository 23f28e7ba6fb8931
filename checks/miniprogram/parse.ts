// Reading the mini program's files through the TypeScript parser, and the small pieces of
// AST access the evaluator and the rules share. No regexes over source text.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { CONFIG_CANDIDATES } from "./types";

const SKIP_DIRS = new Set(["node_modules", "miniprogram_npm", "dist"]);
const SCRIPT_EXTS = new Set([".js", ".ts", ".mjs", ".cjs"]);
const MAX_SCRIPT_BYTES = 2 * 1024 * 1024;

export function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** Parses a script: .ts files as TypeScript, everything else as JavaScript. */
export function parseScript(abs: string, text: string): ts.SourceFile {
  const ext = path.extname(abs).toLowerCase();
  const kind = ext === ".ts" ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  return ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true, kind);
}

export function readScript(abs: string): ts.SourceFile {
  return parseScript(abs, fs.readFileSync(abs, "utf8"));
}

/** A script for the hard-coded URL scan; undefined when it is too large to be hand-written source. */
export function readScriptToScan(abs: string): ts.SourceFile | undefined {
  return fs.statSync(abs).size > MAX_SCRIPT_BYTES ? undefined : readScript(abs);
}

/** 1-based line of a source position. */
export function lineAt(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

/** 1-based line where `node` starts (after leading trivia). */
export function lineOf(sf: ts.SourceFile, node: ts.Node): number {
  return lineAt(sf, node.getStart(sf));
}

export function syntaxErrors(sf: ts.SourceFile): readonly ts.DiagnosticWithLocation[] {
  // Not in the public typings, but present on every parsed SourceFile since TS 2.x.
  return ((sf as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? []).filter(
    (d) => d.category === ts.DiagnosticCategory.Error,
  );
}

export function readJson(abs: string): { sf: ts.JsonSourceFile; root?: ts.ObjectLiteralExpression } {
  const sf = ts.parseJsonText(abs, fs.readFileSync(abs, "utf8"));
  const first = sf.statements[0]?.expression;
  return { sf, root: first && ts.isObjectLiteralExpression(first) ? first : undefined };
}

export function jsonProp(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of obj.properties)
    if (ts.isPropertyAssignment(p) && propertyNameText(p.name) === name) return p.initializer;
  return undefined;
}

/** The first config candidate that exists, looking in each base directory in turn. */
export function findConfigFile(bases: string[]): string | undefined {
  for (const base of bases)
    for (const c of CONFIG_CANDIDATES) {
      const abs = path.join(base, c);
      if (fs.existsSync(abs) && fs.statSync(abs).isFile()) return abs;
    }
  return undefined;
}

/** Every script below `root` in name order, skipping dot entries, dependencies and build output. */
export function listScripts(root: string): string[] {
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

/** What `match` returns for the first node (in source order) it returns something for; not below that node. */
export function findFirst<T>(root: ts.Node, match: (node: ts.Node) => T | undefined): T | undefined {
  let found: T | undefined;
  const visit = (node: ts.Node): boolean => {
    found = match(node);
    return found !== undefined || ts.forEachChild(node, visit) === true;
  };
  visit(root);
  return found;
}

/** Whether a top-level statement carries `export`. */
export function hasExport(s: ts.Statement): boolean {
  return ts.canHaveModifiers(s) && (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** Strips parentheses, type assertions, `!` and `Object.freeze(...)`, which do not change a value. */
export function unwrap(expr: ts.Expression): ts.Expression {
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

/** The text of a property name, when it is known without evaluation. */
export function propertyNameText(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (ts.isNumericLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name)) {
    const e = unwrap(name.expression);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  }
  return undefined;
}
