// Network calls whose URL must be in one of the mini program's 合法域名 lists: wx.request,
// wx.uploadFile, wx.downloadFile (and the same calls through uni-app's `uni.` and Taro's `Taro.`).
import * as ts from "typescript";
import { propertyNameText, unwrap } from "./parse";

export interface RequestApi {
  /** As written, e.g. "wx.uploadFile". */
  call: string;
  /** The 合法域名 list its host must be in: "request", "uploadFile" or "downloadFile". */
  list: string;
}

const NAMESPACES = new Set(["wx", "uni", "Taro"]);
const LISTS = new Set(["request", "uploadFile", "downloadFile"]);

/** The API a call expression invokes, when it is one of the checked network calls. */
export function requestApi(call: ts.CallExpression): RequestApi | undefined {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return undefined;
  const ns = callee.expression.text;
  const name = callee.name.text;
  return NAMESPACES.has(ns) && LISTS.has(name) ? { call: `${ns}.${name}`, list: name } : undefined;
}

/**
 * The expressions a call's `url` option may take its value from: the option itself and, through
 * `?:`, `||` and `??`, each alternative.
 */
export function requestUrlArms(call: ts.CallExpression): ts.Expression[] {
  const options = call.arguments[0] && unwrap(call.arguments[0]);
  if (!options || !ts.isObjectLiteralExpression(options)) return [];
  const prop = options.properties.find((p) => ts.isPropertyAssignment(p) && propertyNameText(p.name) === "url");
  if (!prop || !ts.isPropertyAssignment(prop)) return [];
  const arms: ts.Expression[] = [];
  const add = (e: ts.Expression): void => {
    arms.push(e);
    const u = unwrap(e);
    if (u !== e) arms.push(u);
    if (ts.isConditionalExpression(u)) {
      add(u.whenTrue);
      add(u.whenFalse);
    } else if (
      ts.isBinaryExpression(u) &&
      (u.operatorToken.kind === ts.SyntaxKind.BarBarToken || u.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)
    ) {
      add(u.left);
      add(u.right);
    }
  };
  add(prop.initializer);
  return arms;
}
