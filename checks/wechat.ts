// Reads the mini program's server domain lists (服务器域名) from the WeChat API, so that the doctor
// can check the console settings the guide otherwise asks you to check by hand:
//   GET  {baseUrl}/cgi-bin/token?grant_type=client_credential&appid=…&secret=…  → access_token
//   POST {baseUrl}/wxa/getwxadevinfo?access_token=…  {"action":"getserverdomain"}
//        → requestdomain, uploaddomain, downloaddomain, wsrequestdomain (socket), …
// The AppSecret and the access token never leave this module in a message: every error text is
// passed through redact() before it is thrown.
import * as http from "node:http";
import * as https from "node:https";
import { redact as scrub } from "../core/ssh";
import { Bilingual, t } from "../core/text";

/** An injectable HTTP client: resolves with the status and the parsed JSON body (undefined if not JSON). */
export type HttpClient = (method: string, url: string, body?: unknown) => Promise<{ status: number; json: any }>;

export const WECHAT_API = "https://api.weixin.qq.com";

/** A WeChat API failure, in Chinese and English, with the fix. Its texts never contain the secret or the token. */
export class WechatApiError extends Error {
  constructor(
    public readonly reason: Bilingual,
    public readonly fix: Bilingual,
    public readonly errcode?: number,
  ) {
    super(`${reason.zh} / ${reason.en}\n  处理 / fix: ${fix.zh} / ${fix.en}`);
    this.name = "WechatApiError";
  }
}

/** Token errors the console can fix, by errcode. */
const TOKEN_ERRORS: Record<number, { cause: Bilingual; fix: Bilingual }> = {
  40013: {
    cause: t("AppID 无效（errcode 40013 invalid appid）", "the AppID is invalid (errcode 40013 invalid appid)"),
    fix: t(
      "在 微信公众平台 → 开发 → 开发管理 → 开发设置 中复制 AppID(小程序ID)，执行 `npm run pulumi -- config set --stack <stack> --path aistudio:wechat.appId wx…`",
      "copy the AppID from mp.weixin.qq.com → 开发 → 开发管理 → 开发设置 and run `npm run pulumi -- config set --stack <stack> --path aistudio:wechat.appId wx…`",
    ),
  },
  40125: {
    cause: t("AppSecret 无效（errcode 40125 invalid appsecret）", "the AppSecret is invalid (errcode 40125 invalid appsecret)"),
    fix: t(
      "在 开发 → 开发管理 → 开发设置 → AppSecret(小程序密钥) 重置并复制新密钥，执行 `npm run pulumi -- config set --stack <stack> --secret aistudio:wechatAppSecret`",
      "reset the AppSecret under 开发 → 开发管理 → 开发设置 → AppSecret and run `npm run pulumi -- config set --stack <stack> --secret aistudio:wechatAppSecret`",
    ),
  },
  40164: {
    cause: t("调用方 IP 不在 AppSecret 的 IP 白名单中（errcode 40164）", "the caller's IP address is not in the AppSecret's IP whitelist (errcode 40164)"),
    fix: t(
      "在 开发 → 开发管理 → 开发设置 → IP白名单 中加入运行 doctor 的机器的出口 IP（见上面 errmsg 中的 IP），或在白名单内的机器上运行",
      "add the public IP of the machine running the doctor (the IP in errmsg above) under 开发 → 开发管理 → 开发设置 → IP白名单, or run it from a whitelisted machine",
    ),
  },
};

/** Replaces the secret and the token (also URL-encoded, as they travel in query strings) with "***". */
export function redact(text: string, secrets: (string | undefined)[]): string {
  const all = secrets.filter((s): s is string => !!s);
  return scrub(text, [...all, ...all.map(encodeURIComponent)]);
}

/** node:http or node:https by the URL's scheme; JSON in, JSON out. */
export const defaultHttpClient: HttpClient = (method, url, body) =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === "http:" ? http : u.protocol === "https:" ? https : undefined;
    if (!mod) {
      reject(new Error(`unsupported URL scheme ${u.protocol}`));
      return;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = mod.request(
      u,
      {
        method,
        headers: {
          Accept: "application/json",
          "User-Agent": "aistudio-infra-doctor/1",
          ...(payload !== undefined ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {}),
        },
        timeout: 10_000,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out after 10000 ms")));
    req.on("error", reject);
    req.end(payload);
  });

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** The lists of 服务器域名 the doctor compares: the answer's field and the console's name for each. */
export const DOMAIN_LISTS = {
  request: { field: "requestdomain", console: "request合法域名", api: "wx.request" },
  upload: { field: "uploaddomain", console: "uploadFile合法域名", api: "wx.uploadFile" },
  download: { field: "downloaddomain", console: "downloadFile合法域名", api: "wx.downloadFile" },
} as const;
export type DomainList = keyof typeof DOMAIN_LISTS;
/** The lists as the API reports them; a list the answer does not carry at all is absent. */
export type ServerDomains = Partial<Record<DomainList, string[]>>;

/**
 * One list (`field`, e.g. "uploaddomain") of a getserverdomain answer: at the top level, and under
 * `effective_domain` / `published_domain` (the shapes of WeChat's other domain APIs), merged and
 * normalised. Undefined when the answer has no such list at all.
 */
export function domainListOf(json: unknown, field: string): string[] | undefined {
  if (!json || typeof json !== "object") return undefined;
  const o = json as Record<string, unknown>;
  const lists: string[][] = [];
  for (const where of [o, o.effective_domain, o.published_domain]) {
    const list = where && typeof where === "object" ? (where as Record<string, unknown>)[field] : undefined;
    if (isStringArray(list)) lists.push(list);
  }
  if (lists.length === 0) return undefined;
  return [...new Set(lists.flat().map((d) => d.trim().replace(/\/+$/, "").toLowerCase()))];
}

/** The request domains of a getserverdomain answer (see domainListOf). */
export const requestDomainsOf = (json: unknown): string[] | undefined => domainListOf(json, DOMAIN_LISTS.request.field);

/**
 * The mini program's domain lists as the WeChat API reports them, e.g. { request: ["https://photogooo.com"],
 * upload: […], download: […] }. Throws WechatApiError (bilingual, with the fix, secret and token
 * redacted) when the API refuses, or when the answer has no request list (not a getserverdomain answer).
 */
export async function wechatServerDomains(o: { appId: string; appSecret: string; http?: HttpClient; baseUrl?: string }): Promise<ServerDomains> {
  const client = o.http ?? defaultHttpClient;
  const base = (o.baseUrl ?? WECHAT_API).replace(/\/+$/, "");
  let token: string | undefined;
  const hide = (s: string) => redact(s, [o.appSecret, token]);
  const call = async (what: string, method: string, url: string, body?: unknown) => {
    try {
      return await client(method, url, body);
    } catch (e) {
      throw new WechatApiError(
        t(`无法连接微信接口（${what}）：${hide((e as Error).message)}`, `cannot reach the WeChat API (${what}): ${hide((e as Error).message)}`),
        t("检查本机能否访问 api.weixin.qq.com（代理、防火墙）", "check that this machine can reach api.weixin.qq.com (proxy, firewall)"),
      );
    }
  };
  const apiError = (what: string, r: { status: number; json: any }): WechatApiError => {
    const code = typeof r.json?.errcode === "number" ? r.json.errcode : undefined;
    const msg = hide(String(r.json?.errmsg ?? (r.json === undefined ? `HTTP ${r.status}, not JSON` : `HTTP ${r.status}`)));
    const known = what === "token" && code !== undefined ? TOKEN_ERRORS[code] : undefined;
    if (known) {
      return new WechatApiError(t(`${known.cause.zh}：${msg}`, `${known.cause.en}: ${msg}`), known.fix, code);
    }
    return new WechatApiError(
      t(`微信接口 ${what} 返回错误 errcode ${code ?? "?"}：${msg}`, `the WeChat API (${what}) answered errcode ${code ?? "?"}: ${msg}`),
      t("按 errcode 查阅微信官方文档「全局返回码」", "look the errcode up in WeChat's global error code list (全局返回码)"),
      code,
    );
  };

  const tokenUrl = `${base}/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(o.appId)}&secret=${encodeURIComponent(o.appSecret)}`;
  const tr = await call("token", "GET", tokenUrl);
  if (tr.status !== 200 || (tr.json?.errcode ?? 0) !== 0 || typeof tr.json?.access_token !== "string" || !tr.json.access_token) {
    throw apiError("token", tr);
  }
  token = tr.json.access_token as string;

  const dr = await call("getwxadevinfo", "POST", `${base}/wxa/getwxadevinfo?access_token=${encodeURIComponent(token)}`, { action: "getserverdomain" });
  if (dr.status !== 200 || (dr.json?.errcode ?? 0) !== 0) throw apiError("getwxadevinfo", dr);
  if (!requestDomainsOf(dr.json)) {
    throw new WechatApiError(
      t(`微信接口 getwxadevinfo 的应答中没有 requestdomain 列表（字段：${hide(Object.keys(dr.json ?? {}).join(", ") || "无")}）`,
        `the getwxadevinfo answer has no requestdomain list (fields: ${hide(Object.keys(dr.json ?? {}).join(", ") || "none")})`),
      t("在 微信公众平台 → 开发 → 开发管理 → 开发设置 → 服务器域名 中手动核对 request合法域名", "check request合法域名 by hand under 开发 → 开发管理 → 开发设置 → 服务器域名 in mp.weixin.qq.com"),
    );
  }
  const lists: ServerDomains = {};
  for (const k of Object.keys(DOMAIN_LISTS) as DomainList[]) {
    const list = domainListOf(dr.json, DOMAIN_LISTS[k].field);
    if (list) lists[k] = list;
  }
  return lists;
}
