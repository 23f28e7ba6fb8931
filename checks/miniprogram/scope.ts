// The evaluator's vocabulary: values, the scopes of function calls, and references to the
// object literals and functions it reads.
import * as ts from "typescript";

export type Value = string | number | boolean;

/** The names local to one function call (parameters, local constants) and what `this` is there. */
export interface Scope {
  /** A name bound to undefined is local but has no known value (it hides a top-level one). */
  vars: Map<string, Binding | undefined>;
  parent?: Scope;
  self?: ObjectRef;
  /** A non-arrow function's own scope: `this` does not reach past it. */
  thisBound?: boolean;
}
/** An expression and the scope its names are looked up in (top level when undefined). */
export interface Binding {
  expr: ts.Expression;
  scope?: Scope;
}
export interface ObjectRef {
  node: ts.ObjectLiteralExpression;
  scope?: Scope;
}
export type FunctionNode =
  | ts.FunctionDeclaration
  | ts.FunctionExpression
  | ts.ArrowFunction
  | ts.MethodDeclaration
  | ts.GetAccessorDeclaration;
export interface FunctionRef {
  fn: FunctionNode;
  scope?: Scope;
  self?: ObjectRef;
}
/** A property as an object literal defines it; "unknown" when a spread that cannot be read may define it. */
export type Member =
  | { kind: "value"; binding: Binding; node: ts.Node; self?: ObjectRef }
  | { kind: "getter" | "method"; fn: FunctionRef; node: ts.Node }
  | { kind: "unknown"; node: ts.Node };

export interface EvalOptions {
  /**
   * Read the code as the production build runs it: the names in `force` (the config's ENV) are
   * 'production'; so is an ENV-like name bound nowhere in the file (`const { ENV } = require(...)`,
   * `config.ENV`); `envVersion` (`*.envVersion`, or destructured) is 'release'; and
   * `process.env.NODE_ENV` is 'production'.
   */
  production?: { force: readonly string[] };
}

/** What `this` is in `scope`: the object whose method or getter is running. */
export function selfOf(scope?: Scope): ObjectRef | undefined {
  for (let s = scope; s; s = s.parent) if (s.self || s.thisBound) return s.self;
  return undefined;
}

/** The names a parameter or declaration binds (destructuring included). */
export function boundNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((el) => (ts.isOmittedExpression(el) ? [] : boundNames(el.name)));
}

