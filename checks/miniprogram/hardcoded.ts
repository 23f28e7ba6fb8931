// The hard-coded URL rule: no script requests a host other than the domain (or the allowlist).
import * as ts from "typescript";
import { t, type Bilingual } from "../../core/text";
import { ConstantEvaluator } from "./evaluate";
import { deadBranches, devCode } from "./branches";
import { lineOf, unwrap } from "./parse";
import { requestApi, requestUrlArms, type RequestApi } from "./requests";
import type { Finding } from "./types";
import { findUrls, hostIssues, isLocalHost, joinIssues, splitUrl, suggestUrl } from "./urls";

interface Part {
  text?: string; // undefined: a hole (not statically known)
  node: ts.Node;
  literal: boolean; // text comes verbatim from a literal in this expression
}

export interface ScanOptions {
  /** Nodes the config rules already judged. */
  skip: Set<ts.Node>;
  /** Non-production env entries of the config file. */
  devRoots: ts.Node[];
  /** Names the config file selects its environment with (read as 'production'). */
  envNames: string[];
  /** ENV is statically 'production': code for other environments is not reported at all. */
  quietDev: boolean;
}

/**
 * Hard-coded http(s) URLs in one script, judged after evaluating concatenations and templates.
 * Code the production build does not run (branches.ts) is skipped when ENV is production;
 * otherwise localhost is fine there and anything else only a warning.
 */
export function scanFile(
  sf: ts.SourceFile,
  rel: string,
  domain: string,
  allowed: Set<string>,
  opts: ScanOptions,
): Finding[] {
  const ev = new ConstantEvaluator(sf, { production: { force: opts.envNames } });
  const findings: Finding[] = [];
  const inDev = devCode(sf, ev, [...opts.devRoots, ...deadBranches(sf, ev)]);
  /** The URL expressions of wx.request / wx.uploadFile / wx.downloadFile calls, with the API. */
  const callUrls = new Map<ts.Node, RequestApi>();

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

  const report = (url: string, node: ts.Node, line: number, openEnded: boolean, api?: RequestApi): void => {
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
    const what = joinIssues(issues);
    const devNote = dev ? t("（位于非 production 配置中）", " (inside a non-production config object)") : t("", "");
    const text = api
      ? requestMessage(api, `${url}${more}`, u.host, what, primary.code === "wrong-host")
      : hardcodedMessage(`${url}${more}`, what, primary.code === "wrong-host");
    findings.push({
      level: dev ? "warning" : "error",
      file: rel,
      line,
      code: api ? `wx-${api.list.toLowerCase()}-${primary.code}` : `hardcoded-url-${primary.code}`,
      message: t(text.zh + devNote.zh, text.en + devNote.en),
      expected: suggestion === undefined ? undefined : suggestion + more,
      found: url + more,
    });
  };

  const processChain = (expr: ts.Expression, api?: RequestApi): ts.Node[] => {
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
        report(url, owner.part.node, line, followedByHole && index + url.length === segText.length, api);
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
    if (opts.skip.has(node) || (opts.quietDev && inDev(node))) return;
    if (ts.isCallExpression(node)) {
      const api = requestApi(node);
      if (api) for (const arm of requestUrlArms(node)) callUrls.set(arm, api);
    }
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateExpression(node) ||
      (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken)
    ) {
      // Import specifiers and property keys are not URLs anyone requests.
      if (ts.isStringLiteral(node) && node.parent && (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent)))
        return;
      for (const hole of processChain(node as ts.Expression, callUrls.get(node))) visit(hole);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return findings;
}

function hardcodedMessage(url: string, what: Bilingual, foreign: boolean): Bilingual {
  const advice = foreign
    ? t(
        "，也不在白名单中 —— 不在小程序合法域名里的请求在手机上会失败；请改用 config.js 中的地址",
        " and is not on the allowlist — phones reject requests to hosts that are not in the mini program's 合法域名; use the URLs from config.js",
      )
    : t(" —— 请改用 config.js 中的地址，不要硬编码", " — use the URLs from config.js instead of hard-coding them");
  return t(`硬编码的 URL ${url}：${what.zh}${advice.zh}`, `hard-coded URL ${url}: ${what.en}${advice.en}`);
}

function requestMessage(api: RequestApi, url: string, host: string, what: Bilingual, foreign: boolean): Bilingual {
  const list = `${api.list}合法域名`;
  const add = foreign ? t(`，或把 https://${host} 加入该列表`, ` or add https://${host} to that list`) : t("", "");
  return t(
    `${api.call} 使用了硬编码的 URL ${url}：${what.zh}；它的域名必须登记在 ${list} 中（仅 https，不带端口）—— 请改用 config.js 中的地址${add.zh}`,
    `${api.call} to the hard-coded URL ${url}: ${what.en}; its host would have to be in the ${list} list (https only, no port) — use the URLs from config.js${add.en}`,
  );
}
