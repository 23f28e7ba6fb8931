// Code the production build does not run: untaken branches of conditions decided statically
// (`ENV === 'production' ? a : b`, `if`, `switch`), non-production env entries, and the top-level
// constants and functions that only such code uses.
import * as ts from "typescript";
import type { ConstantEvaluator } from "./evaluate";
import { boundNames } from "./scope";
import { liveClauses } from "./interpret";
import { hasExport } from "./parse";

/**
 * Untaken arms of `?:`, `if`, `switch` and env-keyed lookups (`HOSTS[ENV]`) whose condition or key
 * the evaluator decides, here or in any evaluation `ev` did before.
 */
export function deadBranches(sf: ts.SourceFile, ev: ConstantEvaluator): ts.Node[] {
  const visit = (node: ts.Node): void => {
    if (ts.isConditionalExpression(node) && decidable(node.condition)) {
      const c = ev.truth(node.condition);
      if (c !== undefined) ev.decide(node, [node.whenTrue, node.whenFalse], [c ? node.whenTrue : node.whenFalse]);
    } else if (ts.isIfStatement(node) && decidable(node.expression)) {
      const c = ev.truth(node.expression);
      const arms = [node.thenStatement, node.elseStatement];
      if (c !== undefined) ev.decide(node, arms, [c ? arms[0] : arms[1]]);
    } else if (ts.isSwitchStatement(node) && decidable(node.expression)) {
      const live = liveClauses(node, (e) => (decidable(e) ? ev.valueOf(e) : undefined));
      if (live) ev.decide(node, node.caseBlock.clauses, live);
    } else if (ts.isElementAccessExpression(node) && decidable(node.argumentExpression)) {
      ev.valueOf(node); // records the decision of an env-keyed lookup
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return ev.untaken();
}

/**
 * Whether a node lies in `roots` or in a top-level constant or function all of whose references
 * do (`const DEV_BASE = 'http://localhost:8000'` used only by the development entry).
 */
export function devCode(sf: ts.SourceFile, ev: ConstantEvaluator, roots: ts.Node[]): (node: ts.Node) => boolean {
  const dev = new Set<ts.Node>(roots);
  const inside = (n: ts.Node): boolean => {
    for (let p: ts.Node | undefined = n; p; p = p.parent) if (dev.has(p)) return true;
    return false;
  };
  const decl = (name: string): ts.Node | undefined => ev.declaration(name) ?? ev.functionDeclaration(name);
  const exported = new Set<string>();
  for (const s of sf.statements)
    if (hasExport(s)) {
      if (ts.isVariableStatement(s))
        for (const d of s.declarationList.declarations) boundNames(d.name).forEach((n) => exported.add(n));
      else if (ts.isFunctionDeclaration(s) && s.name) exported.add(s.name.text);
    }
  const refs = new Map<string, ts.Identifier[]>();
  /** The names of top-level declarations referenced below `root`. */
  const referenced = (root: ts.Node): Set<string> => {
    const names = new Set<string>();
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && isReference(node) && decl(node.text)) names.add(node.text);
      ts.forEachChild(node, visit);
    };
    visit(root);
    return names;
  };
  const collect = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && isReference(node) && decl(node.text)) {
      const list = refs.get(node.text);
      if (list) list.push(node);
      else refs.set(node.text, [node]);
    }
    ts.forEachChild(node, collect);
  };
  collect(sf);
  // A declaration turning dev can only turn the names it references dev: a worklist, not passes.
  const queue = [...refs.keys()];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    const d = decl(name);
    if (!d || exported.has(name) || inside(d)) continue;
    if ((refs.get(name) ?? []).every((id) => inside(id) || within(id, d))) {
      dev.add(d);
      queue.push(...referenced(d));
    }
  }
  return inside;
}

const within = (n: ts.Node, outer: ts.Node): boolean => n.pos >= outer.pos && n.end <= outer.end;

/** Whether an identifier reads a variable (not a property name, a declaration or an import). */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (!p) return true;
  if ((ts.isPropertyAccessExpression(p) || ts.isPropertyAssignment(p)) && p.name === id) return false;
  if ((ts.isMethodDeclaration(p) || ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p)) && p.name === id)
    return false;
  if ((ts.isVariableDeclaration(p) || ts.isFunctionDeclaration(p) || ts.isParameter(p)) && p.name === id) return false;
  if (ts.isBindingElement(p) || ts.isImportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p)) return false;
  return true;
}

/**
 * A condition the top-level evaluator may decide: none of its names is a parameter or local of an
 * enclosing function or block, which the evaluator (reading names at the top level) would misread.
 */
function decidable(expr: ts.Expression): boolean {
  const locals = new Set<string>();
  for (let p: ts.Node | undefined = expr.parent; p && !ts.isSourceFile(p); p = p.parent) {
    if (ts.isFunctionLike(p)) for (const param of p.parameters) boundNames(param.name).forEach((n) => locals.add(n));
    if (ts.isBlock(p) || ts.isCaseClause(p) || ts.isDefaultClause(p))
      for (const s of p.statements) {
        if (ts.isVariableStatement(s))
          for (const d of s.declarationList.declarations) boundNames(d.name).forEach((n) => locals.add(n));
        else if (ts.isFunctionDeclaration(s) && s.name) locals.add(s.name.text);
      }
    if (ts.isForStatement(p) || ts.isForOfStatement(p) || ts.isForInStatement(p)) return false;
  }
  if (locals.size === 0) return true;
  let clash = false;
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && isReference(n) && locals.has(n.text)) clash = true;
    else ts.forEachChild(n, visit);
  };
  visit(expr);
  return !clash;
}
