// Function bodies, statically: which `return` a body reaches, through `if`, `switch` and local
// constants whose conditions the evaluator can decide. Anything else stops with "unknown".
import * as ts from "typescript";
import type { ConstantEvaluator } from "./evaluate";
import { boundNames, type Binding, type Scope, type Value } from "./scope";

export type Flow =
  | { kind: "return"; binding: Binding }
  | { kind: "next" }
  | { kind: "break" }
  | { kind: "unknown" };

const NEXT: Flow = { kind: "next" };
const BREAK: Flow = { kind: "break" };
const UNKNOWN: Flow = { kind: "unknown" };

/** Runs statements in order until one returns, breaks or cannot be followed. */
export function runStatements(
  ev: ConstantEvaluator,
  stmts: readonly ts.Statement[],
  scope: Scope,
  used?: Set<ts.Node>,
): Flow {
  for (const s of stmts) {
    const flow = runStatement(ev, s, scope, used);
    if (flow.kind !== "next") return flow;
  }
  return NEXT;
}

function runStatement(ev: ConstantEvaluator, s: ts.Statement, scope: Scope, used?: Set<ts.Node>): Flow {
  if (ts.isReturnStatement(s)) return s.expression ? { kind: "return", binding: { expr: s.expression, scope } } : UNKNOWN;
  if (ts.isVariableStatement(s)) {
    const isConst = (s.declarationList.flags & ts.NodeFlags.Const) !== 0;
    for (const d of s.declarationList.declarations) {
      const constant = ts.isIdentifier(d.name) && d.initializer && (isConst || !ev.reassigned.has(d.name.text));
      for (const name of boundNames(d.name))
        scope.vars.set(name, constant && d.initializer ? { expr: d.initializer, scope } : undefined);
    }
    return NEXT;
  }
  if (ts.isIfStatement(s)) {
    const c = ev.truth(s.expression, scope, used);
    if (c === undefined) return UNKNOWN;
    const branch = c ? s.thenStatement : s.elseStatement;
    ev.decide(s, [s.thenStatement, s.elseStatement], [branch]);
    return branch ? runStatement(ev, branch, scope, used) : NEXT;
  }
  if (ts.isBlock(s)) return runStatements(ev, s.statements, { vars: new Map(), parent: scope }, used);
  if (ts.isSwitchStatement(s)) {
    const live = liveClauses(s, (e) => ev.valueOf(e, scope, used));
    if (!live) return UNKNOWN;
    ev.decide(s, s.caseBlock.clauses, live);
    const inner: Scope = { vars: new Map(), parent: scope };
    for (const clause of live) {
      const flow = runStatements(ev, clause.statements, inner, used);
      if (flow.kind === "break") return NEXT;
      if (flow.kind !== "next") return flow;
    }
    return NEXT;
  }
  if (ts.isBreakStatement(s)) return s.label ? UNKNOWN : BREAK;
  if (ts.isEmptyStatement(s)) return NEXT;
  if (ts.isFunctionDeclaration(s)) {
    if (s.name) scope.vars.set(s.name.text, undefined); // a local function: known to exist, not followed
    return NEXT;
  }
  // A call for its side effect (console.log) changes nothing here; an assignment might.
  if (ts.isExpressionStatement(s)) return assigns(s.expression) ? UNKNOWN : NEXT;
  return UNKNOWN;
}

function assigns(node: ts.Node): boolean {
  if (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  )
    return true;
  return ts.forEachChild(node, (child) => (assigns(child) ? true : undefined)) === true;
}

/**
 * The clauses of a `switch` that run, from the matching `case` (or `default`) through fall-through;
 * undefined unless the discriminant and every `case` value are known.
 */
export function liveClauses(
  sw: ts.SwitchStatement,
  valueOf: (e: ts.Expression) => Value | undefined,
): ts.CaseOrDefaultClause[] | undefined {
  const d = valueOf(sw.expression);
  if (d === undefined) return undefined;
  const clauses = sw.caseBlock.clauses;
  let start = -1;
  for (const [i, c] of clauses.entries()) {
    if (!ts.isCaseClause(c)) continue;
    const v = valueOf(c.expression);
    if (v === undefined) return undefined;
    if (v === d && start < 0) start = i;
  }
  if (start < 0) start = clauses.findIndex(ts.isDefaultClause);
  if (start < 0) return [];
  const live: ts.CaseOrDefaultClause[] = [];
  for (const c of clauses.slice(start)) {
    live.push(c);
    const last = c.statements[c.statements.length - 1];
    if (last && (ts.isReturnStatement(last) || ts.isBreakStatement(last) || ts.isThrowStatement(last))) break;
  }
  return live;
}
