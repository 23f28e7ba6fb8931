// What people paste into `--error`, from the mini program, the dev tools, a browser or the admin
// page, in Chinese or English → what it means and the checks that explain it, which run first (and
// whose failures are named first, cause.ts). The first row that matches wins: specific messages come
// before the generic ones (`request:fail` last), so "request:fail … net::ERR_CONNECTION_RESET" is
// a reset, not a generic request:fail. --help and the README list the labels.
import { Bilingual, Lang, pick, t } from "../../core/text";
import { CHECKS } from "./checks";

export interface ErrorEntry {
  /** The message as people paste it (its forms, "/"-separated); --help and the README list it. */
  label: string;
  match: RegExp;
  /** What it means, in one line. */
  meaning: Bilingual;
  /** The checks that explain it, most likely first. */
  checks: string[];
}

/** The whole connection, outside in: for WeChat's generic network errors. */
const CONNECTION = ["dns", "tcp443", "tls-cert", "tls-versions", "server-services", "security-group", "ufw443"];

export const ERROR_MAP: ErrorEntry[] = [
  {
    label: "net::ERR_CONNECTION_CLOSED",
    match: /ERR_CONNECTION_CLOSED|CONNECTION_CLOSED|意外终止了连接/i,
    meaning: t("连接被关闭：443 没有放行（安全组、ufw），或 nginx 没有在 443 上提供 TLS", "the connection was closed: 443 is not open (security group, ufw) or nginx serves no TLS on it"),
    checks: ["tcp443", "security-group", "ufw443", "server-services", "tls-cert", "tls-versions"],
  },
  {
    label: "net::ERR_CONNECTION_RESET / Connection was reset / 连接已重置",
    match: /ERR_CONNECTION_RESET|ECONNRESET|connection (was )?reset|连接(已|被)重置/i,
    meaning: t("握手时连接被重置：443 上没有 TLS、TLS 版本不被接受；在中国大陆，未备案（ICP）的域名会被网络重置（这一点这里无法检查）",
      "the connection was reset during the handshake: no TLS on 443, a TLS version refused; in mainland China a domain without ICP filing is reset by the network (not checkable here)"),
    checks: ["tcp443", "tls-versions", "tls-cert", "server-services", "ufw443", "security-group"],
  },
  {
    label: "net::ERR_CONNECTION_REFUSED",
    match: /ERR_CONNECTION_REFUSED|ECONNREFUSED|connection refused|拒绝了.*连接/i,
    meaning: t("443 上没有程序监听（nginx 停了），或防火墙拒绝", "nothing listens on 443 (nginx stopped), or a firewall rejects it"),
    checks: ["server-services", "tcp443", "ufw443", "security-group"],
  },
  {
    label: "net::ERR_CONNECTION_TIMED_OUT",
    match: /ERR_CONNECTION_TIMED_OUT|ETIMEDOUT|connection timed out|响应时间过长/i,
    meaning: t("发往 443 的包被丢弃：安全组或 ufw 没有放行，或域名解析到了别的服务器", "packets to 443 are dropped: the security group or ufw does not allow them, or DNS points at another server"),
    checks: ["security-group", "ufw443", "tcp443", "dns", "server-services"],
  },
  {
    label: "net::ERR_NAME_NOT_RESOLVED",
    match: /ERR_NAME_NOT_RESOLVED|ENOTFOUND|EAI_AGAIN|找不到.*IP 地址/i,
    meaning: t("域名无法解析：没有 A 记录，或 config.js 里的域名写错了", "the name does not resolve: no A record, or a typo in config.js"),
    checks: ["dns", "domain", "miniprogram"],
  },
  {
    label: "net::ERR_CERT_AUTHORITY_INVALID",
    match: /ERR_CERT_AUTHORITY_INVALID|SELF_SIGNED|self[- ]signed|unable to verify|UNABLE_TO_GET_ISSUER/i,
    meaning: t("证书不受信任：自签名，或服务器没有发送中间证书", "the certificate is not trusted: self-signed, or the server does not send the intermediate"),
    checks: ["tls-cert", "dns"],
  },
  {
    label: "net::ERR_CERT_DATE_INVALID",
    match: /ERR_CERT_DATE_INVALID|CERT_HAS_EXPIRED|certificate has expired|证书.*过期/i,
    meaning: t("证书已过期（或尚未生效）：续期没有生效", "the certificate has expired (or is not valid yet): renewal did not happen"),
    checks: ["tls-cert", "dns"],
  },
  {
    label: "net::ERR_CERT_COMMON_NAME_INVALID",
    match: /ERR_CERT_COMMON_NAME_INVALID|ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate|altnames/i,
    meaning: t("证书与请求的域名不符：证书签给了别的名字，或请求用了别的域名/IP", "the certificate is for another name: issued for another name, or the request uses another name or an IP"),
    checks: ["tls-cert", "dns", "domain", "miniprogram"],
  },
  {
    label: "net::ERR_SSL_PROTOCOL_ERROR",
    match: /ERR_SSL_PROTOCOL_ERROR|ERR_SSL_VERSION_OR_CIPHER_MISMATCH|wrong version number/i,
    meaning: t("TLS 协议错误：443 上不是 TLS，或双方没有共同的 TLS 版本", "a TLS protocol error: 443 does not speak TLS, or there is no TLS version in common"),
    checks: ["tls-versions", "tls-cert", "tcp443", "server-services"],
  },
  {
    label: "request:fail ssl hand shake error",
    match: /ssl ?hand ?shake|handshake (error|fail)|SSL ?握手/i,
    meaning: t("微信（安卓）TLS 握手失败：证书链不完整、证书不受信任或 TLS 版本", "WeChat (Android) failed the TLS handshake: an incomplete chain, an untrusted certificate or the TLS version"),
    checks: ["tls-cert", "tls-versions", "dns"],
  },
  {
    label: "request:fail timeout",
    match: /(request|uploadFile|downloadFile):fail\s*timeout|请求超时/i,
    meaning: t("请求超时：连不上 443，或应用应答太慢", "the request timed out: 443 cannot be reached, or the app answers too slowly"),
    checks: ["tcp443", "security-group", "ufw443", "api-json", "admin-json", "server-services", "dns"],
  },
  {
    label: "url not in domain list / 不在以下 request 合法域名列表中 / errno 600002",
    match: /\b600002\b|not in domain list|url not in|不在以下.*合法域名列表/i,
    meaning: t("域名不在微信公众平台的 request / uploadFile / downloadFile 合法域名列表中（或 URL 带了端口）", "the domain is not in the console's request / uploadFile / downloadFile list (or the URL carries a port)"),
    checks: ["wechat-domains", "domain", "miniprogram", "dns"],
  },
  {
    label: "errno 600001",
    match: /\b600001\b/,
    meaning: t("微信的通用网络错误：后面的 errMsg 写着真正的原因（net::ERR_…，粘贴它更准）；按整条连接检查", "WeChat's generic network error: the errMsg after it names the real one (net::ERR_…, paste that for a sharper order); the whole connection is checked"),
    checks: CONNECTION,
  },
  {
    label: "Bad hostname",
    match: /bad ?host ?name|invalid host ?name/i,
    meaning: t("URL 里的主机名无效：拼写错误、缺少顶级域名（photogooo 而不是 photogooo.com）、带端口或是 IP", "the URL's host name is not valid: a typo, a missing top-level domain (photogooo for photogooo.com), a port or an IP"),
    checks: ["miniprogram", "domain", "dns"],
  },
  {
    label: "HTTP 502 Bad Gateway",
    match: /\b502\b|Bad Gateway/i,
    meaning: t("nginx 连不上应用：aistudio 停了或监听在别的端口", "nginx cannot reach the app: aistudio is down or listens on another port"),
    checks: ["server-services", "api-json", "admin-json"],
  },
  {
    label: "HTTP 504 Gateway Time-out",
    match: /\b504\b|Gateway Time-?out/i,
    meaning: t("应用在 nginx 的 proxy_read_timeout 内没有应答：请求太慢或 worker 卡住", "the app did not answer within nginx's proxy_read_timeout: a slow request or a stuck worker"),
    checks: ["api-json", "admin-json", "server-services"],
  },
  {
    label: "HTTP 413 Request Entity Too Large",
    match: /\b413\b|Entity Too Large|Payload Too Large/i,
    meaning: t("请求体（上传的照片）超过 nginx 的 client_max_body_size：调大 nginx.clientMaxBodySize（默认 20m）后 pulumi up；没有检查会测量这个上限",
      "the request body (an uploaded photo) is larger than nginx's client_max_body_size: raise nginx.clientMaxBodySize (default 20m) and pulumi up; no check measures the limit"),
    checks: ["admin-json", "api-json", "server-services"],
  },
  {
    label: "Unexpected token '<'",
    match: /Unexpected token|is not valid JSON/i,
    meaning: t("页面把 HTML（登录页、错误页）当 JSON 解析", "the page parsed HTML (a login or error page) as JSON"),
    checks: ["admin-json", "api-json", "server-services"],
  },
  {
    label: "works in dev tools, not on the phone / 开发者工具正常，真机不行",
    match: /dev ?tools|开发者工具|真机|phone/i,
    meaning: t("开发者工具不校验合法域名和证书（urlCheck 关闭），真机校验", "the dev tools skip the domain and certificate checks (urlCheck off), phones do not"),
    checks: ["tls-cert", "tls-versions", "wechat-domains", "domain", "miniprogram"],
  },
  {
    label: "request:fail",
    match: /(request|uploadFile|downloadFile):fail/i,
    meaning: t("请求失败（没有更具体的原因）：从域名到接口逐项检查", "the request failed (nothing more specific): checked from the domain to the API"),
    checks: ["domain", "dns", "tcp443", "tls-cert", "tls-versions", "api-json"],
  },
];

/** The row that explains the message; undefined for a message the table does not know. */
export function recognise(error?: string): ErrorEntry | undefined {
  return error ? ERROR_MAP.find((e) => e.match.test(error)) : undefined;
}

/** Check ids in run order: the ones that explain the error first, then the rest in guide order. */
export function orderFor(error?: string): string[] {
  const ids = CHECKS.map((c) => c.id);
  const m = recognise(error);
  if (!m) return ids;
  return [...m.checks, ...ids.filter((i) => !m.checks.includes(i))];
}

/** What the doctor says about the message before the checks: recognised as what, or not at all. */
export function errorNote(error: string, lang: Lang): string {
  const say = (zh: string, en: string) => (lang === "both" ? `${zh} / ${en}` : lang === "zh" ? zh : en);
  const m = recognise(error);
  if (!m) return `${say("未识别的报错", "unrecognised error message")}: ${error}; ${say("按默认顺序运行全部检查", "all checks run in the default order")}`;
  return [
    `${say("报错", "error")}: ${error}`,
    `  ${say("识别为", "recognised as")}: ${m.label} — ${pick(m.meaning, lang, "    ")}`,
    `  ${say("先运行", "run first")}: ${m.checks.join(", ")}`,
  ].join("\n");
}
