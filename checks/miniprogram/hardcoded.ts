// The hard-coded URL rule: no script requests a host other than the domain (or the allowlist).
import * as ts from "typescript";
import { t } from "../../core/text";
import { ConstantEvaluator } from "./evaluate";
import { lineOf, unwrap } from "./parse";
import type { Finding } from "./types";
import { findUrls, hostIssues, isLocalHost, joinIssues, splitUrl, suggestUrl } from "./urls";

interface Part {
  text?: string; // undefined: a hole (not statically known)
  node: ts.Node;
  literal: boolean; // text comes verbatim from a literal in this expression
}

/**
 * Hard-coded http(s) URLs in one script, judged after evaluating concatenations and templates.
 * `skip` holds nodes the config rules already judged; inside `devRanges` localhost is fine.
 */
export function scanFile(
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
    const advice = isForeign
      ? t(
          "，也不在白名单中 —— 不在小程序合法域名里的请求在手机上会失败；请改用 config.js 中的地址",
          " and is not on the allowlist — phones reject requests to hosts that are not in the mini program's 合法域名; use the URLs from config.js",
        )
      : t(" —— 请改用 config.js 中的地址，不要硬编码", " — use the URLs from config.js instead of hard-coding them");
    const what = joinIssues(issues);
    findings.push({
      level: dev ? "warning" : "error",
      file: rel,
      line,
      code: `hardcoded-url-${primary.code}`,
      message: t(
        `硬编码的 URL ${url}${more}：${what.zh}${advice.zh}` + (dev ? "（位于非 production 配置中）" : ""),
        `hard-coded URL ${url}${more}: ${what.en}${advice.en}` + (dev ? " (inside a non-production config object)" : ""),
      ),
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
