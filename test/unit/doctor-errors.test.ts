// `--error`: what people paste (Chinese and English, from the mini program, the dev tools, a
// browser, the admin page) → the row of the table that explains it, the checks that run first, and
// the failing check named first (cause.ts), with the checks stubbed (no network, no SSH).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CHECKS, CheckResult, DoctorContext, DoctorTarget, ERROR_MAP, EXPLAINS, ROOT_CAUSE_ORDER, errorNote, firstFailure, orderFor, recognise, runDoctor } from "../../checks/doctor/index";

const base: DoctorTarget = { domain: "photogooo.com", wechat: true, minCertDays: 20 };
const ids = CHECKS.map((c) => c.id);

const CLOSED = "net::ERR_CONNECTION_CLOSED";
const RESET = "net::ERR_CONNECTION_RESET / Connection was reset / 连接已重置";
const REFUSED = "net::ERR_CONNECTION_REFUSED";
const TIMED_OUT = "net::ERR_CONNECTION_TIMED_OUT";
const NAME = "net::ERR_NAME_NOT_RESOLVED";
const AUTHORITY = "net::ERR_CERT_AUTHORITY_INVALID";
const DATE = "net::ERR_CERT_DATE_INVALID";
const COMMON_NAME = "net::ERR_CERT_COMMON_NAME_INVALID";
const PROTOCOL = "net::ERR_SSL_PROTOCOL_ERROR";
const HANDSHAKE = "request:fail ssl hand shake error";
const TIMEOUT = "request:fail timeout";
const DOMAINS = "url not in domain list / 不在以下 request 合法域名列表中 / errno 600002";
const NETWORK = "errno 600001";
const HOSTNAME = "Bad hostname";
const GATEWAY = "HTTP 502 Bad Gateway";
const GATEWAY_TIMEOUT = "HTTP 504 Gateway Time-out";
const TOO_LARGE = "HTTP 413 Request Entity Too Large";
const HTML = "Unexpected token '<'";
const DEVTOOLS = "works in dev tools, not on the phone / 开发者工具正常，真机不行";
const FAIL = "request:fail";

/** What people paste → the row it is recognised as → the check run and named first when it fails. */
const TABLE: [message: string, label: string, first: string][] = [
  ["request:fail -100:net::ERR_CONNECTION_CLOSED", CLOSED, "tcp443"],
  ["该网页无法正常运作 photogooo.com 意外终止了连接。", CLOSED, "tcp443"],
  ["request:fail errcode:-101 cronet_error_code:-101 error_msg:net::ERR_CONNECTION_RESET", RESET, "tcp443"],
  ["errno: 600001, errMsg: request:fail -101:net::ERR_CONNECTION_RESET", RESET, "tcp443"],
  ["The connection was reset.", RESET, "tcp443"],
  ["Connection was reset", RESET, "tcp443"],
  ["连接已重置。", RESET, "tcp443"],
  ["net::ERR_CONNECTION_REFUSED", REFUSED, "server-services"],
  ["photogooo.com 拒绝了我们的连接请求。", REFUSED, "server-services"],
  ["net::ERR_CONNECTION_TIMED_OUT", TIMED_OUT, "security-group"],
  ["photogooo.com 的响应时间过长。", TIMED_OUT, "security-group"],
  ["request:fail -105:net::ERR_NAME_NOT_RESOLVED", NAME, "dns"],
  ["getaddrinfo ENOTFOUND photogooo", NAME, "dns"],
  ["NET::ERR_CERT_AUTHORITY_INVALID", AUTHORITY, "tls-cert"],
  ["self-signed certificate", AUTHORITY, "tls-cert"],
  ["net::ERR_CERT_DATE_INVALID", DATE, "tls-cert"],
  ["您的连接不是私密连接 NET::ERR_CERT_DATE_INVALID 证书已过期", DATE, "tls-cert"],
  ["net::ERR_CERT_COMMON_NAME_INVALID", COMMON_NAME, "tls-cert"],
  ["net::ERR_SSL_PROTOCOL_ERROR", PROTOCOL, "tls-versions"],
  ["request:fail ssl hand shake error", HANDSHAKE, "tls-cert"],
  ["uploadFile:fail SSL handshake error", HANDSHAKE, "tls-cert"],
  ["request:fail timeout", TIMEOUT, "tcp443"],
  ["uploadFile:fail timeout", TIMEOUT, "tcp443"],
  ["request:fail url not in domain list", DOMAINS, "wechat-domains"],
  ["uploadFile:fail url not in domain list", DOMAINS, "wechat-domains"],
  ["https://photogooo.com 不在以下 request 合法域名列表中，请参考文档：https://developers.weixin.qq.com/miniprogram/dev/framework/ability/network.html", DOMAINS, "wechat-domains"],
  ["https://photogooo.com 不在以下 downloadFile 合法域名列表中", DOMAINS, "wechat-domains"],
  ["{ errno: 600002, errMsg: 'request:fail' }", DOMAINS, "wechat-domains"],
  ["errno: 600001", NETWORK, "dns"],
  ["request:fail Bad hostname", HOSTNAME, "miniprogram"],
  ["<html><head><title>502 Bad Gateway</title></head>", GATEWAY, "server-services"],
  ["statusCode: 504", GATEWAY_TIMEOUT, "api-json"],
  ["504 Gateway Time-out", GATEWAY_TIMEOUT, "api-json"],
  ["uploadFile: statusCode 413 Request Entity Too Large", TOO_LARGE, "admin-json"],
  ["SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON", HTML, "admin-json"],
  ["开发者工具正常，真机不行", DEVTOOLS, "tls-cert"],
  ["works in devtools, fails on the phone", DEVTOOLS, "tls-cert"],
  ["request:fail", FAIL, "domain"],
  ["request:fail -2:net::ERR_FAILED", FAIL, "domain"],
];

/** A failing result, as the runner would return it. */
const failed = (id: string, over: Partial<CheckResult> = {}): CheckResult => ({ id, status: "fail", title: { zh: id, en: id }, ms: 0, ...over });

describe("the --error table", () => {
  afterEach(() => vi.restoreAllMocks());

  /** Every check answers ok except the failing ones; the calls are recorded in order. */
  function stub(failing: string[]) {
    const calls: string[] = [];
    for (const c of CHECKS) {
      vi.spyOn(c, "run").mockImplementation(async (_tg, _ctx: DoctorContext) => {
        calls.push(c.id);
        return failing.includes(c.id) ? { status: "fail", found: `${c.id} broken` } : { status: "ok" };
      });
    }
    return calls;
  }

  it("covers every row, and every row's label is recognised as that row (no earlier row shadows it)", () => {
    expect(new Set(TABLE.map(([, label]) => label))).toEqual(new Set(ERROR_MAP.map((e) => e.label)));
    for (const e of ERROR_MAP) expect(recognise(e.label)?.label, e.label).toBe(e.label);
  });

  it.each(TABLE)("%s → %s, %s run and named first", async (message, label, first) => {
    const entry = recognise(message);
    expect(entry?.label).toBe(label);
    expect(orderFor(message)[0]).toBe(first);
    // the row's first check fails, and so does one that explains nothing of this message (the decoy)
    const decoy = ["wechat-domains", "http-redirect"].find((d) => !entry!.checks.includes(d))!;
    const calls = stub([first, decoy]);
    const results = await runDoctor(base, { error: message });
    expect(results[0].id).toBe(first);
    expect(calls.filter((c) => c !== "dns" || first === "dns")[0]).toBe(first);
    expect(firstFailure(results, message)?.id).toBe(first);
    // without the message the guide's root-cause order decides: the message is what changed it
    const plain = ROOT_CAUSE_ORDER.indexOf(decoy) < ROOT_CAUSE_ORDER.indexOf(first) ? decoy : first;
    expect(firstFailure(results)?.id).toBe(plain);
  });

  it("a message it does not know: said so, every check runs in the default order, the root-cause order names the cause", async () => {
    const message = "wx.chooseMedia:fail cancel";
    expect(recognise(message)).toBeUndefined();
    expect(orderFor(message)).toEqual(ids);
    expect(errorNote(message, "en")).toBe("unrecognised error message: wx.chooseMedia:fail cancel; all checks run in the default order");
    expect(errorNote(message, "zh")).toBe("未识别的报错: wx.chooseMedia:fail cancel; 按默认顺序运行全部检查");
    expect(errorNote(message, "both")).toBe("未识别的报错 / unrecognised error message: wx.chooseMedia:fail cancel; 按默认顺序运行全部检查 / all checks run in the default order");
    const calls = stub(["wechat-domains", "tls-cert"]);
    const results = await runDoctor(base, { error: message });
    expect(calls).toEqual(["dns", ...ids]);
    expect(results.map((r) => r.id)).toEqual(ids);
    expect(firstFailure(results, message)?.id).toBe("wechat-domains");
  });

  it("a recognised message: the row, its meaning and the checks run first, in zh, en or both", () => {
    expect(errorNote("net::ERR_CERT_DATE_INVALID", "en").split("\n")).toEqual([
      "error: net::ERR_CERT_DATE_INVALID",
      "  recognised as: net::ERR_CERT_DATE_INVALID — the certificate has expired (or is not valid yet): renewal did not happen",
      "  run first: tls-cert, dns",
    ]);
    expect(errorNote("连接已重置", "zh").split("\n")[1]).toMatch(/^ {2}识别为: net::ERR_CONNECTION_RESET .* — 握手时连接被重置/);
    expect(errorNote("502", "both").split("\n")).toEqual([
      "报错 / error: 502",
      "  识别为 / recognised as: HTTP 502 Bad Gateway — nginx 连不上应用：aistudio 停了或监听在别的端口",
      "    nginx cannot reach the app: aistudio is down or listens on another port",
      "  先运行 / run first: server-services, api-json, admin-json",
    ]);
  });

  it("the README's doctor section lists every row: each form of the message, and the checks run first", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## When the mini program fails: `aistudio doctor`"), readme.indexOf("## Mini program config lint"));
    for (const e of ERROR_MAP) {
      const forms = e.label.split(" / ").map((f) => `\`${f}\``).join(" / ");
      expect(section, e.label).toContain(`| ${forms} | ${e.meaning.en} | ${e.checks.join(", ")} |`);
    }
  });

  it("every row names checks that exist, each once, with a meaning in both languages", () => {
    for (const e of ERROR_MAP) {
      for (const c of e.checks) expect(ids, `${e.label}: ${c}`).toContain(c);
      expect(new Set(e.checks).size, e.label).toBe(e.checks.length);
      expect(e.meaning.zh, e.label).toMatch(/[\u4e00-\u9fff]/);
      expect(e.meaning.en, e.label).toMatch(/^[\x20-\x7e—…]+$/);
    }
  });
});

describe("the cause named for a message (firstFailure with --error)", () => {
  /** nginx stopped: 443 closed, so the TLS handshake (run first for a certificate message) and the APIs fail too. */
  const nginxStopped = [failed("admin-json"), failed("api-json"), failed("tls-cert"), failed("tcp443"), failed("server-services"), failed("wechat-domains")];

  it.each([
    "net::ERR_CONNECTION_CLOSED", "net::ERR_CONNECTION_RESET", "net::ERR_CONNECTION_REFUSED", "net::ERR_CERT_AUTHORITY_INVALID",
    "net::ERR_SSL_PROTOCOL_ERROR", "request:fail timeout", "Unexpected token '<'", "502 Bad Gateway", "errno 600001",
  ])("a stopped nginx is named whatever the message: %s", (message) => {
    expect(firstFailure(nginxStopped, message)?.id).toBe("server-services");
  });

  it("…but not for a message it cannot cause: a missing console domain is what 'url not in domain list' means", () => {
    expect(firstFailure(nginxStopped, "request:fail url not in domain list")?.id).toBe("wechat-domains");
    expect(firstFailure(nginxStopped)?.id).toBe("wechat-domains");
  });

  it("a stopped app (nginx up) explains the APIs only: a certificate message names the certificate", () => {
    const appDown = [failed("server-services", { explains: ["admin-json", "api-json"] }), failed("tls-cert"), failed("api-json"), failed("admin-json")];
    expect(firstFailure(appDown)?.id).toBe("server-services");
    expect(firstFailure(appDown, "net::ERR_CERT_DATE_INVALID")?.id).toBe("tls-cert");
    expect(firstFailure(appDown, "Unexpected token '<'")?.id).toBe("server-services");
    // with nginx's default reach, the same failure would have taken the certificate message too
    expect(firstFailure([failed("server-services"), failed("tls-cert")], "net::ERR_CERT_DATE_INVALID")?.id).toBe("server-services");
  });

  it("a certificate that is still valid explains nothing: a login page stays the admin API's verdict", () => {
    const expiring = failed("tls-cert", { explains: [] });
    expect(firstFailure([expiring, failed("admin-json")], "Unexpected token '<'")?.id).toBe("admin-json");
    expect(firstFailure([failed("tls-cert"), failed("admin-json")], "Unexpected token '<'")?.id).toBe("tls-cert");
    expect(firstFailure([expiring, failed("admin-json")])?.id).toBe("tls-cert");
  });

  it("a closed firewall explains 443 and what needs it, transitively, but not a DNS failure", () => {
    const r = [failed("tls-versions"), failed("tcp443"), failed("ufw443"), failed("dns", { explains: [] })];
    expect(firstFailure(r, "net::ERR_SSL_PROTOCOL_ERROR")?.id).toBe("ufw443");
    expect(firstFailure(r)?.id).toBe("dns");
  });

  it("when none of the failures explains the message, the root-cause order still names one", () => {
    expect(firstFailure([failed("miniprogram"), failed("http-redirect")], "net::ERR_CERT_DATE_INVALID")?.id).toBe("http-redirect");
    expect(firstFailure([failed("tls-cert", { status: "warn" })], "net::ERR_CERT_DATE_INVALID")).toBeUndefined();
  });

  it("every arrow of EXPLAINS points down the root-cause order, between checks that exist", () => {
    for (const [cause, symptoms] of Object.entries(EXPLAINS)) {
      expect(ids, cause).toContain(cause);
      for (const s of symptoms) {
        expect(ids, `${cause} → ${s}`).toContain(s);
        expect(ROOT_CAUSE_ORDER.indexOf(cause), `${cause} → ${s}`).toBeLessThan(ROOT_CAUSE_ORDER.indexOf(s));
      }
    }
  });
});
