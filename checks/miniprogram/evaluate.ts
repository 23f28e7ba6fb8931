// The static evaluator of config values: constant expressions, object literals, getters and small
// functions within one source file, read without running anything.
import * as ts from "typescript";
import { runStatements } from "./interpret";
import { parseScript, propertyNameText, unwrap } from "./parse";
import {
  boundNames,
  selfOf,
  type Binding,
  type EvalOptions,
  type FunctionRef,
  type Member,
  type ObjectRef,
  type Scope,
  type Value,
} from "./scope";
import { ENV_NAMES } from "./types";

export type { Binding, EvalOptions, FunctionRef, Member, ObjectRef, Scope, Value } from "./scope";

/** How deeply expressions may nest, and calls, before the evaluator gives up (stack safety). */
const MAX_DEPTH = 400;
const MAX_CALLS = 24;
const ENV_NAME_SET = new Set(ENV_NAMES);

type Resolved = { binding: Binding } | { fn: ts.FunctionDeclaration } | { value: Value } | { local: true };

/**
 * Statically evaluates expressions within one source file: string / numeric / boolean / template
 * literals, `+`, comparisons, `!`, `&&`, `||`, `??`, `?:`, identifiers bound by top-level `const`
 * (or never-reassigned `let`/`var`) declarations, property access into object literals (spreads,
 * getters and `this` included), and calls of functions whose bodies are `return`s under `if` /
 * `switch` / local constants. Anything else is "not known" (undefined), never a guess.
 */
export class ConstantEvaluator {
  private readonly decls = new Map<string, ts.Expression>();
  private readonly functions = new Map<string, ts.FunctionDeclaration>();
  /** Names assigned or incremented anywhere in the file: a `let`/`var` of such a name is no constant. */
  readonly reassigned = new Set<string>();
  private readonly active = new Map<ts.Node, Set<Scope | undefined>>();
  private depth = 0;
  private calls = 0;
  private readonly decisions = new Map<ts.Node, { arms: ts.Node[]; taken: Set<ts.Node> }>();

  constructor(
    readonly sf: ts.SourceFile,
    private readonly opts: EvalOptions = {},
  ) {
    const walk = (node: ts.Node): void => {
      if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
        node.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
        ts.isIdentifier(node.left)
      )
        this.reassigned.add(node.left.text);
      if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && ts.isIdentifier(node.operand))
        this.reassigned.add(node.operand.text);
      ts.forEachChild(node, walk);
    };
    walk(sf);
    const redeclared = new Set<string>();
    const declare = (name: string): boolean => {
      if (this.decls.has(name) || this.functions.has(name) || redeclared.has(name)) {
        this.decls.delete(name); // declared twice: ambiguous
        this.functions.delete(name);
        redeclared.add(name);
        return false;
      }
      return true;
    };
    for (const stmt of sf.statements) {
      if (ts.isFunctionDeclaration(stmt) && stmt.name && stmt.body) {
        if (declare(stmt.name.text)) this.functions.set(stmt.name.text, stmt);
        continue;
      }
      if (!ts.isVariableStatement(stmt)) continue;
      const isConst = (stmt.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const d of stmt.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || !d.initializer) continue;
        if (!isConst && this.reassigned.has(d.name.text)) continue;
        if (declare(d.name.text)) this.decls.set(d.name.text, d.initializer);
      }
    }
  }

  /** Records that an evaluation of `node` (a `?:`, `if`, `switch` or env-keyed lookup) took `taken` of its `arms`. */
  decide(node: ts.Node, arms: ReadonlyArray<ts.Node | undefined>, taken: ReadonlyArray<ts.Node | undefined>): void {
    let d = this.decisions.get(node);
    if (!d) this.decisions.set(node, (d = { arms: arms.filter((a): a is ts.Node => a !== undefined), taken: new Set() }));
    for (const a of taken) if (a) d.taken.add(a);
  }

  /** The arms of every decided `?:`, `if`, `switch` and env-keyed lookup that no evaluation took. */
  untaken(): ts.Node[] {
    return [...this.decisions.values()].flatMap((d) => d.arms.filter((a) => !d.taken.has(a)));
  }

  /** The initializer a top-level constant is bound to. */
  declaration(name: string): ts.Expression | undefined {
    return this.decls.get(name);
  }

  /** The top-level function declaration of that name. */
  functionDeclaration(name: string): ts.FunctionDeclaration | undefined {
    return this.functions.get(name);
  }

  /**
   * The string value of `expr`, or undefined when it is not statically known.
   * Every node that contributed to a successful evaluation is added to `used`.
   */
  evaluate(expr: ts.Expression, used?: Set<ts.Node>, scope?: Scope): string | undefined {
    const v = this.valueOf(expr, scope, used);
    return typeof v === "string" ? v : undefined;
  }

  /** Whether `expr` is truthy, when that is statically known. */
  truth(expr: ts.Expression, scope?: Scope, used?: Set<ts.Node>): boolean | undefined {
    const v = this.valueOf(expr, scope, used);
    return v === undefined ? undefined : Boolean(v);
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

  /** Where the value of `b` is written: through decided `?:` arms and calls to the `return` reached. */
  locate(b: Binding): ts.Expression {
    for (let i = 0; i < MAX_DEPTH; i++) {
      const e = unwrap(b.expr);
      let next: Binding | undefined;
      if (ts.isConditionalExpression(e)) next = this.arm(e, b.scope);
      else if (ts.isCallExpression(e)) next = this.callExpression(e, b.scope);
      if (!next) return e;
      b = next;
    }
    return b.expr;
  }

  /** The object literal `expr` denotes (through names, property access, `this`, `?:` and calls), if any. */
  object(expr: ts.Expression, used?: Set<ts.Node>, scope?: Scope): ObjectRef | undefined {
    const e = unwrap(expr);
    return this.guard(e, scope, () => {
      let result: ObjectRef | undefined;
      if (ts.isObjectLiteralExpression(e)) result = { node: e, scope };
      else if (e.kind === ts.SyntaxKind.ThisKeyword) result = selfOf(scope);
      else {
        const b = this.bindingOf(e, scope, used);
        result = b ? this.object(b.expr, used, b.scope) : undefined;
      }
      if (result && used) used.add(e);
      return result;
    });
  }

  /** Property `name` of an object literal (last definition wins, spreads followed). */
  property(obj: ObjectRef | ts.ObjectLiteralExpression, name: string, used?: Set<ts.Node>): Member | undefined {
    const ref: ObjectRef = "kind" in obj ? { node: obj } : obj;
    const props = ref.node.properties;
    for (let i = props.length - 1; i >= 0; i--) {
      const p = props[i];
      if (ts.isSpreadAssignment(p)) {
        const inner = this.object(p.expression, used, ref.scope);
        if (!inner) return { kind: "unknown", node: p };
        const found = this.property(inner, name, used);
        if (found) return found;
        continue;
      }
      if ((ts.isShorthandPropertyAssignment(p) ? p.name.text : propertyNameText(p.name)) !== name) continue;
      if (ts.isPropertyAssignment(p))
        return { kind: "value", binding: { expr: p.initializer, scope: ref.scope }, node: p, self: ref };
      if (ts.isShorthandPropertyAssignment(p))
        return { kind: "value", binding: { expr: p.name, scope: ref.scope }, node: p, self: ref };
      if (ts.isMethodDeclaration(p)) return { kind: "method", fn: { fn: p, scope: ref.scope, self: ref }, node: p };
      if (ts.isGetAccessorDeclaration(p)) return { kind: "getter", fn: { fn: p, scope: ref.scope, self: ref }, node: p };
    }
    return undefined;
  }

  /** The expression a member's value comes from: its initializer, or what its getter returns. */
  read(m: Member, used?: Set<ts.Node>): Binding | undefined {
    if (m.kind === "value") return m.binding;
    return m.kind === "getter" ? this.call(m.fn, [], used) : undefined;
  }

  /** The function `expr` denotes: a function expression, a function's name, or an object's method. */
  callable(expr: ts.Expression, scope?: Scope, used?: Set<ts.Node>, self?: ObjectRef): FunctionRef | undefined {
    const e = unwrap(expr);
    if (ts.isArrowFunction(e)) return { fn: e, scope };
    if (ts.isFunctionExpression(e)) return { fn: e, scope, self };
    if (ts.isIdentifier(e)) {
      const r = this.resolve(e.text, scope);
      if (r && "fn" in r) return { fn: r.fn };
      return r && "binding" in r ? this.callable(r.binding.expr, r.binding.scope, used) : undefined;
    }
    if (ts.isPropertyAccessExpression(e)) {
      const obj = this.object(e.expression, used, scope);
      const m = obj && this.property(obj, e.name.text, used);
      if (m?.kind === "method") return m.fn;
      if (m?.kind === "value") return this.callable(m.binding.expr, m.binding.scope, used, obj);
    }
    return undefined;
  }

  /** Runs a function statically: the `return` expression it reaches with these arguments. */
  call(f: FunctionRef, args: Binding[], used?: Set<ts.Node>): Binding | undefined {
    const fn = f.fn;
    if (!fn.body || this.calls >= MAX_CALLS) return undefined;
    const scope: Scope = { vars: new Map(), parent: f.scope, self: f.self, thisBound: !ts.isArrowFunction(fn) };
    for (const [i, param] of fn.parameters.entries()) {
      if (!ts.isIdentifier(param.name) || param.dotDotDotToken) {
        for (const name of boundNames(param.name)) scope.vars.set(name, undefined);
        continue;
      }
      const arg = args[i];
      const given = arg && !(ts.isIdentifier(arg.expr) && arg.expr.text === "undefined");
      const init = param.initializer ? { expr: param.initializer, scope } : undefined;
      scope.vars.set(param.name.text, given ? arg : init);
    }
    if (!ts.isBlock(fn.body)) return { expr: fn.body, scope };
    this.calls++;
    try {
      const flow = runStatements(this, fn.body.statements, scope, used);
      return flow.kind === "return" ? flow.binding : undefined;
    } finally {
      this.calls--;
    }
  }

  /** The value of a call expression's result, as the expression its function returns. */
  callExpression(e: ts.CallExpression, scope?: Scope, used?: Set<ts.Node>): Binding | undefined {
    if (e.arguments.some(ts.isSpreadElement)) return undefined;
    const f = this.callable(e.expression, scope, used);
    return f ? this.call(f, e.arguments.map((a) => ({ expr: a, scope })), used) : undefined;
  }

  /** The statically known value of `expr` (string, number or boolean). */
  valueOf(expr: ts.Expression, scope?: Scope, used?: Set<ts.Node>): Value | undefined {
    const e = unwrap(expr);
    const v = this.guard(e, scope, () => this.compute(e, scope, used));
    if (v !== undefined && used) {
      used.add(e);
      if (e !== expr) used.add(expr);
    }
    return v;
  }

  /** Evaluates `f` unless `node` is already being evaluated in `scope` (a cycle) or the nesting is too deep. */
  private guard<T>(node: ts.Node, scope: Scope | undefined, f: () => T | undefined): T | undefined {
    let scopes = this.active.get(node);
    if (scopes?.has(scope) || this.depth >= MAX_DEPTH) return undefined;
    if (!scopes) this.active.set(node, (scopes = new Set()));
    scopes.add(scope);
    this.depth++;
    try {
      return f();
    } finally {
      this.depth--;
      scopes.delete(scope);
    }
  }

  /** What a name denotes: the nearest local, then a top-level constant or function, then an assumption. */
  private resolve(name: string, scope?: Scope): Resolved | undefined {
    for (let s = scope; s; s = s.parent)
      if (s.vars.has(name)) {
        const b = s.vars.get(name);
        return b ? { binding: b } : { local: true };
      }
    const prod = this.opts.production;
    if (prod?.force.includes(name)) return { value: "production" };
    const init = this.decls.get(name);
    if (init) return { binding: { expr: init } };
    const fn = this.functions.get(name);
    if (fn) return { fn };
    if (prod && ENV_NAME_SET.has(name)) return { value: "production" };
    if (prod && name === "envVersion") return { value: "release" }; // const { envVersion } = wx.getAccountInfoSync().miniProgram
    return undefined;
  }

  /** The expression a name, a property access or a call stands for. */
  private bindingOf(e: ts.Expression, scope: Scope | undefined, used?: Set<ts.Node>): Binding | undefined {
    if (ts.isIdentifier(e)) {
      const r = this.resolve(e.text, scope);
      return r && "binding" in r ? r.binding : undefined;
    }
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
      const key = ts.isPropertyAccessExpression(e) ? e.name.text : this.valueOf(e.argumentExpression, scope, used);
      if (key === undefined) return undefined;
      const obj = this.object(e.expression, used, scope);
      const m = obj && this.property(obj, String(key), used);
      // `HOSTS[ENV]`: the other environments' entries are not what production reads.
      if (m && ts.isElementAccessExpression(e) && (key === "production" || key === "release"))
        if (obj.node.properties.some((p) => p === m.node)) this.decide(e, obj.node.properties, [m.node]);
      return m ? this.read(m, used) : undefined;
    }
    if (ts.isConditionalExpression(e)) return this.arm(e, scope, used);
    if (ts.isCallExpression(e)) return this.callExpression(e, scope, used);
    return undefined;
  }

  /** The arm of `c ? a : b` its condition selects. */
  private arm(e: ts.ConditionalExpression, scope?: Scope, used?: Set<ts.Node>): Binding | undefined {
    const c = this.truth(e.condition, scope, used);
    if (c === undefined) return undefined;
    const taken = c ? e.whenTrue : e.whenFalse;
    this.decide(e, [e.whenTrue, e.whenFalse], [taken]);
    return { expr: taken, scope };
  }

  /** Facts of the production build that no file states: the WeChat envVersion and NODE_ENV. */
  private probe(e: ts.PropertyAccessExpression, scope?: Scope): Value | undefined {
    if (!this.opts.production) return undefined;
    const name = e.name.text;
    if (name === "envVersion") return "release";
    const obj = e.expression;
    if (name === "NODE_ENV" && ts.isPropertyAccessExpression(obj) && obj.name.text === "env") return "production";
    // `config.ENV` of an imported config: the ENV rule judges the config file itself.
    if (ENV_NAME_SET.has(name) && ts.isIdentifier(obj) && obj.text !== "process" && !this.object(obj, undefined, scope))
      return "production";
    return undefined;
  }

  private compute(e: ts.Expression, scope: Scope | undefined, used?: Set<ts.Node>): Value | undefined {
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isNumericLiteral(e)) return Number(e.text);
    if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
    if (ts.isTemplateExpression(e)) {
      let out = e.head.text;
      for (const span of e.templateSpans) {
        const v = this.valueOf(span.expression, scope, used);
        if (v === undefined) return undefined;
        out += String(v) + span.literal.text;
      }
      return out;
    }
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) {
      const v = this.valueOf(e.operand, scope, used);
      return v === undefined ? undefined : !v;
    }
    if (ts.isBinaryExpression(e)) return this.binary(e, scope, used);
    if (ts.isIdentifier(e)) {
      const r = this.resolve(e.text, scope);
      if (r && "value" in r) return r.value;
      return r && "binding" in r ? this.valueOf(r.binding.expr, r.binding.scope, used) : undefined;
    }
    if (ts.isPropertyAccessExpression(e)) {
      const p = this.probe(e, scope);
      if (p !== undefined) return p;
    }
    const b = this.bindingOf(e, scope, used);
    return b ? this.valueOf(b.expr, b.scope, used) : undefined;
  }

  private binary(e: ts.BinaryExpression, scope: Scope | undefined, used?: Set<ts.Node>): Value | undefined {
    const op = e.operatorToken.kind;
    const l = this.valueOf(e.left, scope, used);
    if (l === undefined) return undefined;
    if (op === ts.SyntaxKind.QuestionQuestionToken) return l;
    if (op === ts.SyntaxKind.BarBarToken) return l ? l : this.valueOf(e.right, scope, used);
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) return l ? this.valueOf(e.right, scope, used) : l;
    const r = this.valueOf(e.right, scope, used);
    if (r === undefined) return undefined;
    switch (op) {
      case ts.SyntaxKind.PlusToken:
        if (typeof l === "number" && typeof r === "number") return l + r;
        return typeof l === "string" || typeof r === "string" ? String(l) + String(r) : undefined;
      case ts.SyntaxKind.EqualsEqualsEqualsToken:
      case ts.SyntaxKind.EqualsEqualsToken:
        return l === r;
      case ts.SyntaxKind.ExclamationEqualsEqualsToken:
      case ts.SyntaxKind.ExclamationEqualsToken:
        return l !== r;
      default:
        return undefined;
    }
  }
}

/** Parses `source` as JavaScript and evaluates the top-level constant `name` (test/debug helper). */
export function evaluateStringConstant(source: string, name: string): string | undefined {
  const ev = new ConstantEvaluator(parseScript("input.js", source));
  const init = ev.declaration(name);
  return init ? ev.evaluate(init) : undefined;
}
