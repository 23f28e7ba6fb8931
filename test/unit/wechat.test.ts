// Guards checks/wechat.ts and the doctor's "wechat-domains" check against a LOCAL fake of the
// WeChat API (node:http on 127.0.0.1, a free port): /cgi-bin/token and /wxa/getwxadevinfo, which
// answers every list of 服务器域名 (request, upload, download, socket…). The default HTTP client is
// used against it; api.weixin.qq.com is never contacted.
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { CHECKS, DoctorTarget, ERROR_MAP, ROOT_CAUSE_ORDER, firstFailure, orderFor, CheckResult } from "../../checks/doctor/index";
import { doctorTarget } from "../../stacks/doctor-target";
import { parseConfig, type Raw } from "../../infra/config";
import { HOST_KEY, alicloudCreateRaw, localRaw } from "./fixtures";
import { wechatDomainLists } from "../../infra/outputs";
import { HttpClient, WECHAT_API, WechatApiError, domainListOf, requestDomainsOf, wechatServerDomains } from "../../checks/wechat";

const SECRET = "0123456789abcdef0123456789abcdef"; // 32 hex characters, like a real AppSecret
const TOKEN = `ACCESS_TOKEN_${randomBytes(24).toString("hex")}`;

/** Every list of 服务器域名 as getwxadevinfo answers it, each list holding `d`. */
const lists = (d: string[]) => ({ requestdomain: d, wsrequestdomain: [], uploaddomain: d, downloaddomain: d, udpdomain: [], tcpdomain: [] });

/** appid → what getwxadevinfo answers once the token is granted. */
const APPS: Record<string, unknown> = {
  wxlisted0000000001: { errcode: 0, errmsg: "ok", ...lists(["https://photogooo.com"]), requestdomain: ["https://photogooo.com", "https://api.photogooo.com"] },
  wxmissing000000002: { errcode: 0, errmsg: "ok", ...lists(["https://other.example.com"]) },
  wxportonly00000003: { errcode: 0, errmsg: "ok", ...lists(["https://photogooo.com"]), requestdomain: ["https://photogooo.com:443"] },
  wxnested0000000004: {
    errcode: 0,
    errmsg: "ok",
    effective_domain: { requestdomain: ["https://effective.example.com"] },
    published_domain: { requestdomain: ["https://PhotoGooo.com/"], wsrequestdomain: ["wss://photogooo.com"] },
  },
  wxnolist0000000005: { errcode: 0, errmsg: "ok", something: "else" },
  wxdevfails00000006: { errcode: 48001, errmsg: `api unauthorized, access_token ${TOKEN} rid: 1` },
  wxiplimited000007: {}, // the token request is refused: 40164
  // a photo mini program whose request list is right, but uploads and downloads were never added
  wxnoupload0000008: { errcode: 0, errmsg: "ok", ...lists(["https://photogooo.com"]), uploaddomain: [], downloaddomain: ["https://cdn.example.com"] },
  wxrequestonly0009: { errcode: 0, errmsg: "ok", requestdomain: ["https://photogooo.com"] },
};

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

let server: http.Server;
let base: string;
const seen: Seen[] = [];

function fakeWechat(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const u = new URL(req.url ?? "/", "http://fake");
    const query = Object.fromEntries(u.searchParams);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    seen.push({ method: req.method ?? "", path: u.pathname, query, body });
    const send = (j: unknown) => {
      res.writeHead(200, { "Content-Type": "application/json; encoding=utf-8" });
      res.end(JSON.stringify(j));
    };
    if (u.pathname === "/cgi-bin/token" && req.method === "GET") {
      if (query.grant_type !== "client_credential") return send({ errcode: 40002, errmsg: "invalid grant_type" });
      if (!(query.appid in APPS)) return send({ errcode: 40013, errmsg: `invalid appid rid: 6650${query.appid}` });
      if (query.appid === "wxiplimited000007") {
        return send({ errcode: 40164, errmsg: "invalid ip 203.0.113.9 ipv6 ::ffff:203.0.113.9, not in whitelist rid: 1" });
      }
      // like a careless server, echo the wrong secret: the client must redact it
      if (query.secret !== SECRET) return send({ errcode: 40125, errmsg: `invalid appsecret ${query.secret} rid: 2` });
      return send({ access_token: TOKEN, expires_in: 7200 });
    }
    if (u.pathname === "/wxa/getwxadevinfo" && req.method === "POST") {
      if (query.access_token !== TOKEN) return send({ errcode: 40001, errmsg: `invalid credential, access_token is invalid or not latest ${query.access_token}` });
      if ((body as { action?: string } | undefined)?.action !== "getserverdomain") return send({ errcode: 44002, errmsg: "empty post data" });
      return send(APPS[lastTokenApp() ?? ""] ?? { errcode: 40001, errmsg: "no token granted" });
    }
    res.writeHead(404, { "Content-Type": "text/html" });
    res.end("<html>not found</html>");
  });
}

/** The app of the most recent successful token request: getwxadevinfo answers for it. */
function lastTokenApp(): string | undefined {
  const tok = [...seen].reverse().find((s) => s.path === "/cgi-bin/token" && s.query.secret === SECRET && s.query.appid in APPS);
  return tok?.query.appid;
}

beforeAll(async () => {
  server = http.createServer(fakeWechat);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
});

/** The thrown error, with its message (the test fails if nothing is thrown). */
async function thrown(p: Promise<unknown>): Promise<WechatApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, "expected the call to throw").toBeInstanceOf(WechatApiError);
  return e as WechatApiError;
}

function expectNoSecrets(text: string, ...extra: string[]): void {
  for (const s of [SECRET, TOKEN, encodeURIComponent(SECRET), ...extra]) expect(text).not.toContain(s);
}

describe("wechatServerDomains against a local fake WeChat API (default node HTTP client)", () => {
  it("gets a token, then POSTs getserverdomain and returns the request, upload and download lists", async () => {
    const got = await wechatServerDomains({ appId: "wxlisted0000000001", appSecret: SECRET, baseUrl: base });
    expect(got).toEqual({ request: ["https://photogooo.com", "https://api.photogooo.com"], upload: ["https://photogooo.com"], download: ["https://photogooo.com"] });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(["GET /cgi-bin/token", "POST /wxa/getwxadevinfo"]);
    expect(seen[0].query).toEqual({ grant_type: "client_credential", appid: "wxlisted0000000001", secret: SECRET });
    expect(seen[1].query).toEqual({ access_token: TOKEN });
    expect(seen[1].body).toEqual({ action: "getserverdomain" });
  });

  it("returns the list even when the domain is not in it (the doctor decides)", async () => {
    expect((await wechatServerDomains({ appId: "wxmissing000000002", appSecret: SECRET, baseUrl: base })).request).toEqual(["https://other.example.com"]);
  });

  it("reads requestdomain under effective_domain / published_domain too, normalised", async () => {
    const got = await wechatServerDomains({ appId: "wxnested0000000004", appSecret: SECRET, baseUrl: `${base}/` });
    expect(got).toEqual({ request: ["https://effective.example.com", "https://photogooo.com"] });
  });

  const tokenErrors: { name: string; appId: string; secret: string; code: number; text: RegExp[] }[] = [
    { name: "40013 invalid appid", appId: "wxunknown00000000", secret: SECRET, code: 40013, text: [/AppID 无效/, /AppID is invalid/, /aistudio:wechat\.appId/] },
    { name: "40125 invalid secret", appId: "wxlisted0000000001", secret: "ffffffffffffffffffffffffffffffff", code: 40125, text: [/AppSecret 无效/, /AppSecret is invalid/, /--secret aistudio:wechatAppSecret/] },
    { name: "40164 IP not in whitelist", appId: "wxiplimited000007", secret: SECRET, code: 40164, text: [/IP 白名单|IP白名单/, /not in the AppSecret's IP whitelist/, /203\.0\.113\.9/] },
  ];
  for (const c of tokenErrors) {
    it(`token error ${c.name} → a bilingual message with the fix, secret redacted`, async () => {
      const e = await thrown(wechatServerDomains({ appId: c.appId, appSecret: c.secret, baseUrl: base }));
      expect(e.errcode).toBe(c.code);
      for (const re of c.text) expect(e.message).toMatch(re);
      expect(e.message).toMatch(/处理 \/ fix:/);
      expect(e.fix.zh).toMatch(/开发管理/);
      expectNoSecrets(e.message, c.secret);
      expectNoSecrets(JSON.stringify({ reason: e.reason, fix: e.fix }), c.secret);
      expect(seen.map((s) => s.path)).toEqual(["/cgi-bin/token"]);
    });
  }

  it("an error from getwxadevinfo that echoes the token does not leak it", async () => {
    const e = await thrown(wechatServerDomains({ appId: "wxdevfails00000006", appSecret: SECRET, baseUrl: base }));
    expect(e.errcode).toBe(48001);
    expect(e.message).toMatch(/getwxadevinfo.*48001/);
    expect(e.message).toContain("access_token ***");
    expectNoSecrets(e.message);
  });

  it("an answer without any requestdomain list is an error, not an empty list", async () => {
    const e = await thrown(wechatServerDomains({ appId: "wxnolist0000000005", appSecret: SECRET, baseUrl: base }));
    expect(e.message).toMatch(/no requestdomain list/);
    expect(e.message).toMatch(/something/);
  });

  it("a non-JSON answer (wrong baseUrl) is a clear error", async () => {
    const e = await thrown(wechatServerDomains({ appId: "wxlisted0000000001", appSecret: SECRET, baseUrl: `${base}/nothing-here` }));
    expect(e.message).toMatch(/HTTP 404, not JSON/);
    expectNoSecrets(e.message);
  });

  it("a connection failure names no secret", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const e = await thrown(wechatServerDomains({ appId: "wxlisted0000000001", appSecret: SECRET, baseUrl: `http://127.0.0.1:${port}` }));
    expect(e.message).toMatch(/cannot reach the WeChat API \(token\)/);
    expectNoSecrets(e.message);
  });
});

describe("wechatServerDomains with an injected HttpClient (no network at all)", () => {
  it("defaults to https://api.weixin.qq.com without contacting it", async () => {
    const urls: string[] = [];
    const fake: HttpClient = async (method, url, body) => {
      urls.push(`${method} ${url} ${JSON.stringify(body ?? null)}`);
      return url.includes("/cgi-bin/token") ? { status: 200, json: { access_token: TOKEN, expires_in: 7200 } } : { status: 200, json: { errcode: 0, requestdomain: ["https://photogooo.com"] } };
    };
    expect(await wechatServerDomains({ appId: "wx1", appSecret: SECRET, http: fake })).toEqual({ request: ["https://photogooo.com"] });
    expect(WECHAT_API).toBe("https://api.weixin.qq.com");
    expect(urls).toEqual([
      `GET https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=${SECRET} null`,
      `POST https://api.weixin.qq.com/wxa/getwxadevinfo?access_token=${TOKEN} {"action":"getserverdomain"}`,
    ]);
  });

  it("redacts the secret and the token from a client error that quotes the URL", async () => {
    const leaky: HttpClient = async (_m, url) => {
      if (url.includes("/cgi-bin/token")) return { status: 200, json: { access_token: TOKEN } };
      throw new Error(`socket hang up while fetching ${url}`);
    };
    const e = await thrown(wechatServerDomains({ appId: "wx1", appSecret: SECRET, http: leaky }));
    expect(e.message).toMatch(/socket hang up while fetching .*access_token=\*\*\*/);
    expectNoSecrets(e.message);
  });

  it("requestDomainsOf: top level, effective_domain, published_domain; undefined without a list", () => {
    expect(requestDomainsOf({ requestdomain: ["https://a.com"] })).toEqual(["https://a.com"]);
    expect(requestDomainsOf({ effective_domain: { requestdomain: ["https://b.com"] } })).toEqual(["https://b.com"]);
    expect(requestDomainsOf({ published_domain: { requestdomain: ["https://c.com"] }, requestdomain: ["https://c.com/"] })).toEqual(["https://c.com"]);
    expect(requestDomainsOf({ requestdomain: [] })).toEqual([]);
    expect(requestDomainsOf({ requestdomain: "https://a.com" })).toBeUndefined();
    expect(requestDomainsOf({ requestdomain: [1, 2] })).toBeUndefined();
    expect(requestDomainsOf(undefined)).toBeUndefined();
  });

  it("domainListOf reads any list the same way (uploaddomain under published_domain, normalised)", () => {
    expect(domainListOf({ uploaddomain: ["https://A.com/"], published_domain: { uploaddomain: ["https://b.com"] } }, "uploaddomain")).toEqual(["https://a.com", "https://b.com"]);
    expect(domainListOf({ requestdomain: ["https://a.com"] }, "downloaddomain")).toBeUndefined();
  });
});

describe('the doctor check "wechat-domains"', () => {
  const check = CHECKS.find((c) => c.id === "wechat-domains")!;
  const target = (wechatApp?: DoctorTarget["wechatApp"]): DoctorTarget => ({ domain: "photogooo.com", wechat: true, minCertDays: 20, wechatApp });
  const run = async (tg: DoctorTarget): Promise<CheckResult> => ({ id: check.id, title: check.title, ms: 0, ...(await check.run(tg, {})) });

  it("sits right after the domain check, in the root-cause order and first for 600002", () => {
    expect(check).toBeDefined();
    const ids = CHECKS.map((c) => c.id);
    expect(ids.indexOf("wechat-domains")).toBe(ids.indexOf("domain") + 1);
    expect(ROOT_CAUSE_ORDER.indexOf("wechat-domains")).toBe(ROOT_CAUSE_ORDER.indexOf("domain") + 1);
    expect(ERROR_MAP.find((e) => e.match.test("600002"))!.checks[0]).toBe("wechat-domains");
    expect(orderFor("request:fail url not in domain list")[0]).toBe("wechat-domains");
  });

  it("skips without AppID/AppSecret", async () => {
    const r = await run(target());
    expect(r.status).toBe("skip");
    expect(r.found).toBe("no AppID/AppSecret configured");
  });

  const ALL = "request合法域名: https://photogooo.com; uploadFile合法域名: https://photogooo.com; downloadFile合法域名: https://photogooo.com";

  it("ok when https://<domain> is in every list", async () => {
    const r = await run(target({ appId: "wxlisted0000000001", appSecret: SECRET, baseUrl: base }));
    expect(r.status).toBe("ok");
    expect(r.expected).toBe(ALL);
    expect(r.found).toBe("request合法域名: https://photogooo.com, https://api.photogooo.com; uploadFile合法域名: https://photogooo.com; downloadFile合法域名: https://photogooo.com");
  });

  it("fails with the console path and the domain to add when it is not in request合法域名", async () => {
    const r = await run(target({ appId: "wxmissing000000002", appSecret: SECRET, baseUrl: base }));
    expect(r.status).toBe("fail");
    expect(r.expected).toBe(ALL);
    expect(r.found).toBe("request合法域名: https://other.example.com; uploadFile合法域名: https://other.example.com; downloadFile合法域名: https://other.example.com");
    expect(r.fix!.zh).toContain("微信公众平台 → 开发 → 开发管理 → 开发设置 → 服务器域名 → request合法域名，添加 https://photogooo.com");
    expect(r.fix!.en).toContain("→ request合法域名: add https://photogooo.com");
    expect(r.cause!.en).toMatch(/600002/);
    expect(firstFailure([r])?.id).toBe("wechat-domains");
  });

  it("a photo mini program with the request list right but no upload/download domains: fails naming each list and its console path", async () => {
    const r = await run(target({ appId: "wxnoupload0000008", appSecret: SECRET, baseUrl: base }));
    expect(r.status).toBe("fail");
    expect(r.found).toBe("request合法域名: https://photogooo.com; uploadFile合法域名: (empty); downloadFile合法域名: https://cdn.example.com");
    expect(r.cause!.en).toBe(
      "https://photogooo.com is not in uploadFile合法域名: wx.uploadFile fails with url not in domain list (600002); " +
      "https://photogooo.com is not in downloadFile合法域名: wx.downloadFile fails with url not in domain list (600002)");
    expect(r.cause!.zh).toContain("不在以下 uploadFile 合法域名列表中");
    expect(r.fix!.en).toBe(
      "mp.weixin.qq.com → 开发 → 开发管理 → 开发设置 → 服务器域名 → uploadFile合法域名: add https://photogooo.com (https, no port, no path); " +
      "mp.weixin.qq.com → 开发 → 开发管理 → 开发设置 → 服务器域名 → downloadFile合法域名: add https://photogooo.com (https, no port, no path)");
    expect(r.fix!.zh).not.toContain("request合法域名");
  });

  it("compares with the stack's lists (the outputs) when the target carries them", async () => {
    const tg = { ...target({ appId: "wxnoupload0000008", appSecret: SECRET, baseUrl: base }), wechatDomains: { request: ["https://photogooo.com"], upload: [], download: ["https://cdn.example.com"] } };
    const r = await run(tg);
    expect(r).toMatchObject({ status: "ok", expected: "request合法域名: https://photogooo.com; uploadFile合法域名: (empty); downloadFile合法域名: https://cdn.example.com" });
  });

  it("an answer with the request list only: a warning naming the lists it could not check, not a failure", async () => {
    const r = await run(target({ appId: "wxrequestonly0009", appSecret: SECRET, baseUrl: base }));
    expect(r.status).toBe("warn");
    expect(r.found).toBe("request合法域名: https://photogooo.com; uploadFile合法域名: (not in the answer); downloadFile合法域名: (not in the answer)");
    expect(r.cause!.en).toBe("the WeChat API's answer has no uploaddomain, downloaddomain: those lists were not checked");
    expect(r.fix!.en).toContain("check uploadFile合法域名, downloadFile合法域名 by hand");
  });

  it("a listed domain with a port does not count (WeChat compares the exact origin)", async () => {
    const r = await run(target({ appId: "wxportonly00000003", appSecret: SECRET, baseUrl: base }));
    expect(r.status).toBe("fail");
    expect(r.found).toMatch(/^request合法域名: https:\/\/photogooo\.com:443; /);
    expect(r.cause!.en).toMatch(/^https:\/\/photogooo\.com is not in request合法域名/);
  });

  it("an API refusal is a warning with the cause and fix, never a failure, and leaks nothing", async () => {
    const r = await run(target({ appId: "wxlisted0000000001", appSecret: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", baseUrl: base }));
    expect(r.status).toBe("warn");
    expect(r.cause!.en).toMatch(/AppSecret is invalid/);
    expect(r.fix!.zh).toMatch(/wechatAppSecret/);
    expect(firstFailure([r])).toBeUndefined();
    expectNoSecrets(JSON.stringify(r), "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
  });
});

describe("stacks/doctor-target doctorTarget", () => {
  /** A stack view as readStack gives it: a parsed config and the stack's outputs. */
  const viewOf = (raw: Raw, stack: string, outputs: Record<string, unknown> = {}) => ({ config: parseConfig(raw, stack), outputs });

  it("sets wechatApp only when both wechat.appId and aistudio:wechatAppSecret exist", () => {
    const view = (appId?: string, appSecret?: string) =>
      viewOf(alicloudCreateRaw({ wechat: { checks: true, minCertDays: 20, ...(appId ? { appId } : {}) }, ...(appSecret ? { wechatAppSecret: appSecret } : {}) }), "prod", { publicIp: "203.0.113.5" });
    expect(doctorTarget(view("wx1", SECRET)).wechatApp).toEqual({ appId: "wx1", appSecret: SECRET });
    expect(doctorTarget(view("wx1")).wechatApp).toBeUndefined();
    expect(doctorTarget(view(undefined, SECRET)).wechatApp).toBeUndefined();
  });

  it("the lists the doctor compares are the stack's outputs (infra/outputs.ts): request, uploadFile and downloadFile合法域名", () => {
    const all = ["https://api.photogooo.com"];
    expect(wechatDomainLists("api.photogooo.com")).toEqual({ request: all, upload: all, download: all });
    expect(doctorTarget(viewOf(localRaw({ domain: "api.photogooo.com" }), "local")).wechatDomains).toEqual(wechatDomainLists("api.photogooo.com"));
  });

  it("targets the stack's public IP over SSH; local stacks connect to it directly and trust the server's own certificate", () => {
    const local = doctorTarget(viewOf(localRaw({ server: { host: "198.18.0.11", hostKey: HOST_KEY }, tls: { mode: "self-signed" } }), "local"));
    expect(local.connectTo).toBe("198.18.0.11");
    expect(local.ca).toBe("server-cert");
    expect(local.ssh).toMatchObject({ host: "198.18.0.11", hostKey: HOST_KEY });
    const cloud = doctorTarget(viewOf(alicloudCreateRaw(), "prod", { publicIp: "203.0.113.5" }));
    expect(cloud.connectTo).toBeUndefined();
    expect(cloud.ca).toBeUndefined();
    expect(cloud.serverIp).toBe("203.0.113.5");
  });
});
