// The static evaluator of config values: simple constant expressions within one source file.
import * as ts from "typescript";
import { parseScript, propertyNameText, unwrap } from "./parse";

type Value = string | number;

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
  const ev = new ConstantEvaluator(parseScript("input.js", source));
  const init = ev.declaration(name);
  return init ? ev.evaluate(init) : undefined;
}
