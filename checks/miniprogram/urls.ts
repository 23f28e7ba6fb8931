// URL diagnosis over already-evaluated string values: splitting a URL, what is wrong with its
// host, scheme, port and path, and finding URLs inside longer strings.
import * as net from "node:net";
import type { Bilingual } from "../../core/text";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "0.0.0.0", "::1"]);

export interface UrlParts {
  scheme: string;
  host: string; // lower-cased, IPv6 without brackets
  port?: string;
  rest: string; // path + query + fragment
  userinfo: boolean;
}

/** Scheme, host, port and the rest of an absolute URL; undefined without `scheme://`. */
export function splitUrl(s: string): UrlParts | undefined {
  const i = s.indexOf("://");
  if (i <= 0) return undefined;
  const scheme = s.slice(0, i).toLowerCase();
  const after = s.slice(i + 3);
  let end = after.length;
  for (const c of ["/", "?", "#"]) {
    const j = after.indexOf(c);
    if (j >= 0 && j < end) end = j;
  }
  let authority = after.slice(0, end);
  const rest = after.slice(end);
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0;
  if (userinfo) authority = authority.slice(at + 1);
  let host = authority;
  let port: string | undefined;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    host = close > 0 ? authority.slice(1, close) : authority.slice(1);
    const tail = close > 0 ? authority.slice(close + 1) : "";
    if (tail.startsWith(":")) port = tail.slice(1);
  } else {
    const colon = authority.lastIndexOf(":");
    if (colon >= 0) {
      host = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
  }
  return { scheme, host: host.toLowerCase(), port, rest, userinfo };
}

export function isLocalHost(host: string): boolean {
  return LOCAL_HOSTS.has(host) || host.endsWith(".localhost") || (net.isIPv4(host) && host.startsWith("127."));
}

/** One problem with a URL, in both languages. */
export interface Issue extends Bilingual {
  code: string; // without prefix, e.g. "port"
}

function tldHint(host: string, domain: string): Bilingual {
  if (domain.startsWith(host + ".")) return { en: ` (did you mean '${domain}'?)`, zh: `（应为 '${domain}'？）` };
  return { en: "", zh: "" };
}

/** Host-level problems shared by config values and hard-coded URLs. */
export function hostIssues(u: UrlParts, domain: string): Issue[] {
  const issues: Issue[] = [];
  if (u.scheme === "http")
    issues.push({
      code: "http",
      en: "uses http:// — phones only send requests to https:// domains",
      zh: "使用了 http:// —— 手机上只能向 https:// 域名发起请求",
    });
  else if (u.scheme !== "https")
    issues.push({
      code: "scheme",
      en: `uses the scheme '${u.scheme}://' instead of https://`,
      zh: `使用了 '${u.scheme}://' 协议而不是 https://`,
    });
  if (isLocalHost(u.host))
    issues.push({
      code: "localhost",
      en: `points at ${u.host}, which a phone cannot reach — use https://${domain}`,
      zh: `指向 ${u.host}，手机无法访问 —— 请使用 https://${domain}`,
    });
  else if (net.isIP(u.host))
    issues.push({
      code: "ip",
      en: `uses the IP address ${u.host} — WeChat does not accept IP addresses as request domains; use https://${domain}`,
      zh: `使用了 IP 地址 ${u.host} —— 微信不允许用 IP 作为 request 合法域名，请使用 https://${domain}`,
    });
  else if (u.host !== "" && !u.host.includes(".")) {
    const hint = tldHint(u.host, domain);
    issues.push({
      code: "missing-tld",
      en: `host '${u.host}' is missing its top-level domain${hint.en}`,
      zh: `主机名 '${u.host}' 缺少顶级域名${hint.zh}`,
    });
  } else if (u.host !== domain)
    issues.push({
      code: "wrong-host",
      en: `host '${u.host}' is not the configured domain '${domain}'`,
      zh: `主机名 '${u.host}' 不是配置的域名 '${domain}'`,
    });
  if (u.port !== undefined)
    issues.push({
      code: "port",
      en: `has an explicit port ':${u.port}' — the request 合法域名 is registered without a port; remove it`,
      zh: `带有端口 ':${u.port}' —— request 合法域名登记时不带端口，请去掉端口`,
    });
  return issues;
}

/** Everything wrong with a production config value, most important first. */
export function configValueIssues(value: string, expectedPath: string, domain: string): Issue[] {
  const expected = `https://${domain}${expectedPath}`;
  if (value === expected) return [];
  const issues: Issue[] = [];
  if (value !== value.trim())
    issues.push({ code: "whitespace", en: "has leading/trailing whitespace", zh: "首尾有空白字符" });
  const u = splitUrl(value.trim());
  if (!u) {
    issues.push({
      code: "invalid",
      en: "is not an absolute https:// URL",
      zh: "不是完整的 https:// 地址",
    });
    return issues;
  }
  issues.push(...hostIssues(u, domain));
  if (u.userinfo) issues.push({ code: "mismatch", en: "contains user credentials", zh: "包含用户名/密码" });
  if (u.rest !== expectedPath) {
    if (u.rest === expectedPath + "/")
      issues.push({
        code: "trailing-slash",
        en: `has a trailing slash — joined paths become '${expected}//...'`,
        zh: `末尾多了 '/' —— 拼接后会变成 '${expected}//...'`,
      });
    else
      issues.push({
        code: "wrong-path",
        en: `has the path '${u.rest}', expected '${expectedPath}'`,
        zh: `路径为 '${u.rest}'，应为 '${expectedPath}'`,
      });
  }
  if (issues.length === 0) issues.push({ code: "mismatch", en: "differs from the expected value", zh: "与期望值不一致" });
  return issues;
}

/** Several issues as one message, most important first. */
export function joinIssues(issues: Issue[]): Bilingual {
  return { zh: issues.map((x) => x.zh).join("；"), en: issues.map((x) => x.en).join("; ") };
}

/** What a hard-coded URL should probably have been, when the intent is obvious. */
export function suggestUrl(u: UrlParts, domain: string): string | undefined {
  const nearMiss =
    u.host === domain || domain.startsWith(u.host + ".") || net.isIP(u.host) !== 0 || isLocalHost(u.host);
  return nearMiss ? `https://${domain}${u.rest}` : undefined;
}

const URL_END_CHARS = new Set([" ", "\t", "\n", "\r", "'", '"', "`", "<", ">", "\\"]);

/** Every http:// or https:// URL inside `text`, with the index it starts at. */
export function findUrls(text: string): Array<{ index: number; url: string }> {
  const out: Array<{ index: number; url: string }> = [];
  const lower = text.toLowerCase();
  let i = 0;
  for (;;) {
    const a = lower.indexOf("http://", i);
    const b = lower.indexOf("https://", i);
    const start = a < 0 ? b : b < 0 ? a : Math.min(a, b);
    if (start < 0) return out;
    let end = start;
    while (end < text.length && !URL_END_CHARS.has(text[end])) end++;
    out.push({ index: start, url: text.slice(start, end) });
    i = end;
  }
}
