// Where a config file keeps its production values, in each style config files are written in:
// an env map's `production` entry, the exported object (module.exports / export default, read as
// the production build), a flat object with baseUrl, or the named exports (export const, exports.x).
// A key is read from its property, its getter, or a `getKey()` function.
import * as ts from "typescript";
import type { ConstantEvaluator } from "./evaluate";
import type { Binding, Member, ObjectRef } from "./scope";
import { findFirst, hasExport, propertyNameText } from "./parse";
import { REQUIRED_URLS } from "./types";

export type Lookup =
  | { kind: "found"; binding: Binding; at: ts.Node }
  | { kind: "unknown"; at: ts.Node }
  | { kind: "missing" };

export interface ProductionSource {
  /** Where a missing key is reported. */
  anchor: ts.Node;
  /** The production value of `key`, or why there is none. */
  lookup(key: string, used: Set<ts.Node>): Lookup;
}

export interface ConfigLayout {
  /** The object with one entry per environment (`{ development: {...}, production: {...} }`). */
  envMap?: ts.ObjectLiteralExpression;
  production?: ProductionSource;
  /** What the file exports, when it exists but cannot be read statically. */
  opaqueExport?: ts.Expression;
}

/** `apiUrl` → `getApiUrl`. */
export const getterName = (key: string): string => `get${key[0].toUpperCase()}${key.slice(1)}`;

/** Finds the production config; `ev` reads the file as the production build. */
export function locateConfig(sf: ts.SourceFile, ev: ConstantEvaluator): ConfigLayout {
  const envs = findEnvMap(sf, ev);
  if (envs) return { envMap: envs.map, production: objectSource(ev, envs.production) };

  const exported = exportedValue(sf);
  const obj = exported && ev.object(exported);
  if (obj && hasUrls(objectSource(ev, obj))) return { production: objectSource(ev, obj) };
  const flat = findFirst(sf, (node) => {
    if (!ts.isObjectLiteralExpression(node)) return undefined;
    // Defined here, not merely possible through a spread that cannot be read.
    const src = objectSource(ev, { node });
    const found = src.lookup("baseUrl", new Set());
    return found.kind === "found" || (found.kind === "unknown" && !ts.isSpreadAssignment(found.at)) ? src : undefined;
  });
  if (flat) return { production: flat };
  const named = namedExports(sf, ev);
  if (named && hasUrls(named)) return { production: named };
  return { opaqueExport: exported && !obj ? exported : undefined };
}

/** Keys an env map names its production entry with, in order of preference. */
const PRODUCTION_KEYS = ["production", "prod", "release"];

/** The env map: the first object literal whose `production` (or `prod`, `release`) entry is an object. */
export function findEnvMap(
  sf: ts.SourceFile,
  ev: ConstantEvaluator,
): { map: ts.ObjectLiteralExpression; key: string; production: ObjectRef } | undefined {
  return findFirst(sf, (node) => {
    if (!ts.isObjectLiteralExpression(node)) return undefined;
    for (const key of PRODUCTION_KEYS) {
      const m = ev.property(node, key);
      const o = m?.kind === "value" ? ev.object(m.binding.expr, undefined, m.binding.scope) : undefined;
      if (o) return { map: node, key, production: o };
    }
    return undefined;
  });
}

function hasUrls(src: ProductionSource): boolean {
  return REQUIRED_URLS.some(([key]) => src.lookup(key, new Set()).kind !== "missing");
}

/** A key of an object literal, or the value its `getKey()` method returns. */
function objectSource(ev: ConstantEvaluator, obj: ObjectRef): ProductionSource {
  let later: Mutations | undefined;
  return {
    anchor: obj.node,
    lookup: (key, used) => {
      const mut = (later ??= mutations(ev, obj));
      const assigned = mut.assigned.get(key);
      if (assigned) return fromMember(ev, assigned, used);
      for (const o of [...mut.merged].reverse().concat(obj)) {
        const m = ev.property(o, key, used);
        if (m) return fromMember(ev, m, used);
      }
      const unsure = mut.unsure.get(key) ?? mut.unsure.get("*");
      if (unsure) return { kind: "unknown", at: unsure };
      const g = ev.property(obj, getterName(key), used);
      return g ? fromGetter(ev, g, used) : { kind: "missing" };
    },
  };
}

/** What the file does to a config object after building it. */
interface Mutations {
  /** Top-level `config.key = value`, the last one per key. */
  assigned: Map<string, Member>;
  /** Objects a top-level `Object.assign(config, …)` merges in, in order. */
  merged: ObjectRef[];
  /** Keys set where this cannot follow (in a function, or from an unknown source); "*" for any key. */
  unsure: Map<string, ts.Node>;
}

function mutations(ev: ConstantEvaluator, obj: ObjectRef): Mutations {
  const out: Mutations = { assigned: new Map(), merged: [], unsure: new Map() };
  const isObj = (e: ts.Expression): boolean => ev.object(e)?.node === obj.node;
  const topLevel = (n: ts.Node): boolean => ts.isExpressionStatement(n.parent) && ts.isSourceFile(n.parent.parent);
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = node.left;
      if ((ts.isPropertyAccessExpression(left) || ts.isElementAccessExpression(left)) && isObj(left.expression)) {
        const key = ts.isPropertyAccessExpression(left) ? left.name.text : ev.evaluate(left.argumentExpression);
        if (key !== undefined && topLevel(node))
          out.assigned.set(key, { kind: "value", binding: { expr: node.right }, node });
        else out.unsure.set(key ?? "*", node);
      }
    } else if (ts.isCallExpression(node) && isObjectAssign(node.expression) && node.arguments[0] && isObj(node.arguments[0])) {
      for (const src of node.arguments.slice(1)) {
        const o = ts.isSpreadElement(src) ? undefined : ev.object(src);
        if (o && topLevel(node)) out.merged.push(o);
        else out.unsure.set("*", node);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(ev.sf);
  return out;
}

const isObjectAssign = (e: ts.Expression): boolean =>
  ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "Object" && e.name.text === "assign";

function fromMember(ev: ConstantEvaluator, m: Member, used: Set<ts.Node>): Lookup {
  const b = ev.read(m, used);
  return b ? { kind: "found", binding: b, at: ev.locate(b) } : { kind: "unknown", at: m.node };
}

/** `getApiUrl` standing in for `apiUrl`: called without arguments. */
function fromGetter(ev: ConstantEvaluator, g: Member, used: Set<ts.Node>): Lookup {
  const fn =
    g.kind === "method" || g.kind === "getter"
      ? g.fn
      : g.kind === "value"
        ? ev.callable(g.binding.expr, g.binding.scope, used, g.self)
        : undefined;
  const b = fn && (g.kind === "getter" ? ev.read(g, used) : ev.call(fn, [], used));
  return b ? { kind: "found", binding: b, at: ev.locate(b) } : { kind: "unknown", at: g.node };
}

/** `module.exports = X` or `export default X`, at the top level. */
function exportedValue(sf: ts.SourceFile): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  for (const s of sf.statements) {
    if (ts.isExportAssignment(s) && !s.isExportEquals) found = s.expression;
    if (ts.isExpressionStatement(s) && ts.isBinaryExpression(s.expression)) {
      const { left, operatorToken, right } = s.expression;
      if (operatorToken.kind === ts.SyntaxKind.EqualsToken && isModuleExports(left)) found = right;
    }
  }
  return found;
}

function isModuleExports(e: ts.Expression): boolean {
  return (
    ts.isPropertyAccessExpression(e) &&
    e.name.text === "exports" &&
    ts.isIdentifier(e.expression) &&
    e.expression.text === "module"
  );
}

/** `export const x = …`, `export function getX()`, `export { x }`, `exports.x = …` as one source. */
function namedExports(sf: ts.SourceFile, ev: ConstantEvaluator): ProductionSource | undefined {
  const members = new Map<string, Member>();
  for (const s of sf.statements) {
    if (ts.isVariableStatement(s) && hasExport(s)) {
      for (const d of s.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.initializer)
          members.set(d.name.text, { kind: "value", binding: { expr: d.initializer }, node: d });
    } else if (ts.isFunctionDeclaration(s) && hasExport(s) && s.name) {
      members.set(s.name.text, { kind: "method", fn: { fn: s }, node: s });
    } else if (ts.isExportDeclaration(s) && !s.moduleSpecifier && s.exportClause && ts.isNamedExports(s.exportClause)) {
      for (const spec of s.exportClause.elements)
        members.set(spec.name.text, { kind: "value", binding: { expr: spec.propertyName ?? spec.name }, node: spec });
    } else if (ts.isExpressionStatement(s) && ts.isBinaryExpression(s.expression)) {
      const { left, operatorToken, right } = s.expression;
      if (operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isPropertyAccessExpression(left)) continue;
      const target = left.expression;
      if ((ts.isIdentifier(target) && target.text === "exports") || isModuleExports(target))
        members.set(left.name.text, { kind: "value", binding: { expr: right }, node: s });
    }
  }
  if (members.size === 0) return undefined;
  return {
    anchor: [...members.values()][0].node,
    lookup: (key, used) => {
      const m = members.get(key);
      if (m) return fromMember(ev, m, used);
      const g = members.get(getterName(key));
      return g ? fromGetter(ev, g, used) : { kind: "missing" };
    },
  };
}

/**
 * The entries of an env map other than the production one: each entry, and the top-level object literal
 * it names (`development: DEV_CONFIG`, `development: configs.dev`).
 */
export function otherEnvironments(ev: ConstantEvaluator, envMap: ts.ObjectLiteralExpression, prodKey: string): ts.Node[] {
  const out: ts.Node[] = [];
  for (const p of envMap.properties) {
    if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) continue;
    const name = propertyNameText(p.name);
    if (name === undefined || name === prodKey) continue;
    out.push(p);
    const o = ev.object(ts.isPropertyAssignment(p) ? p.initializer : p.name);
    if (o && !o.scope) out.push(o.node);
  }
  return out;
}
