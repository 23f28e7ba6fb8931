// The doctor's checks without a host: each check fed a target and a context by hand (server facts
// as the SSH script would have reported them). Ordering, root cause and printing: doctor-report.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { APP_PORT, FULLCHAIN } from "../../core/constants";
import type { Connection } from "../../core/ssh";
import { CHECKS, CheckResult, DoctorContext, DoctorTarget, ROOT_CAUSE_ORDER, ServerFacts, firstFailure, parseServerFacts } from "../../checks/doctor/index";
import { serverScript } from "../../checks/doctor/server-facts";
import { FROM_STATE } from "../../checks/doctor/security-group";
import { diagnosticsScript } from "../../checks/diagnostics";
import { serializeProbe } from "../../core/probe";

const FIXTURES = path.join(__dirname, "..", "fixtures", "miniprogram");
const SSH: Connection = { host: "203.0.113.5", port: 22, user: "root", hostKey: "unused", privateKey: "unused: no check connects" };
const base: DoctorTarget = { domain: "photogooo.com", wechat: true, minCertDays: 20 };

const byId = (id: string) => {
  const c = CHECKS.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};

/** Runs one check as runDoctor would, minus the clock. */
async function run(id: string, tg: Partial<DoctorTarget> = {}, ctx: DoctorContext = {}): Promise<CheckResult> {
  const c = byId(id);
  return { id, title: c.title, ms: 0, ...(await c.run({ ...base, ...tg }, ctx)) };
}

/** A healthy server as the facts script reports it. */
const healthy = (): ServerFacts => ({
  nginx: "active",
  aistudio: "active",
  socket: "active",
  appListen: `127.0.0.1:${APP_PORT}`,
  gunicorn: `127.0.0.1:${APP_PORT}`,
  ufw: "Status: active\n\nTo                         Action      From\n--                         ------      ----\n22/tcp                     ALLOW IN    203.0.113.7\n443/tcp                    ALLOW IN    Anywhere\n80/tcp                     ALLOW IN    Anywhere",
});

describe("the check list", () => {
  it("has the sixteen checks in the guide's order, the data checks after the services, then the OS's, each titled in both languages", () => {
    expect(CHECKS.map((c) => c.id)).toEqual([
      "domain", "wechat-domains", "dns", "tcp443", "tls-cert", "tls-versions", "http-redirect", "api-json", "admin-json", "server-services",
      "load-balancer", "data-volume", "database", "backup", "ufw443", "security-group", "miniprogram",
      "security-updates", "reboot-required", "clock", "fail2ban",
    ]);
    for (const c of CHECKS) {
      expect(c.title.zh, c.id).toMatch(/[\u4e00-\u9fff]/);
      expect(c.title.en, c.id).toMatch(/^[\x20-\x7e→]+$/);
    }
  });

  it("the root-cause order names every check exactly once", () => {
    expect([...ROOT_CAUSE_ORDER].sort()).toEqual(CHECKS.map((c) => c.id).sort());
  });

  it("server-services and api-json name the app's port from core/constants", () => {
    expect(byId("server-services").title.en).toBe(`server: nginx and aistudio active, 127.0.0.1:${APP_PORT} listening`);
    expect(byId("api-json").title.en).toBe("API POST /api/user/visit answers JSON success:true");
  });
});

describe('check "domain"', () => {
  it.each(["photogooo.com", "api.photogooo.com", "PhotoGooo.COM"])("accepts %s", async (d) => {
    const r = await run("domain", { domain: d });
    expect(r.status).toBe("ok");
    expect(r.found).toBe(`https://${d}`);
  });

  it.each([
    ["a scheme", "https://photogooo.com"],
    ["a port", "photogooo.com:443"],
    ["an IPv4 address", "47.96.1.2"],
    ["an IPv6 address", "::1"],
    ["localhost", "localhost"],
    ["no top-level domain", "photogooo"],
    ["a numeric top-level domain", "photogooo.123"],
  ])("refuses %s (%s) with the cause and the fix", async (_why, d) => {
    const r = await run("domain", { domain: d });
    expect(r.status).toBe("fail");
    expect(r.expected).toBe("https://<domain> without port, a domain name");
    expect(r.found).toBe(`https://${d}`);
    expect(r.cause!.en).toMatch(/no port .* no IP or localhost, and a top-level domain/);
    expect(r.fix!.zh).toContain("https://photogooo.com");
  });
});

describe('check "security-group"', () => {
  const sg = (securityGroupRules?: DoctorTarget["securityGroupRules"]) => run("security-group", { securityGroupRules });

  it("skips a stack without a security group (local test host)", async () => {
    expect(await sg(undefined)).toMatchObject({ status: "skip", found: "no security group in this stack (local test host)" });
  });

  it.each([
    ["443 alone, defaults for the rest", [{ portRange: "443/443" }]],
    ["explicit ingress accept from anywhere", [{ portRange: "443/443", type: "ingress", policy: "accept", cidrIp: "0.0.0.0/0" }]],
    ["a range containing 443", [{ portRange: "400/500" }]],
    ["every port (-1/-1)", [{ portRange: "-1/-1" }]],
    ["443 among other rules", [{ portRange: "22/22", cidrIp: "203.0.113.7/32" }, { portRange: "443/443" }]],
  ])("ok: %s — from the state, so it says so (live readings: doctor-sg.test.ts)", async (_why, rules) => {
    expect(await sg(rules)).toMatchObject({ status: "ok", found: `443/tcp from 0.0.0.0/0 (${FROM_STATE})` });
  });

  it.each([
    ["no rules at all", [], "no rules"],
    ["443 only from one network", [{ portRange: "443/443", cidrIp: "10.0.0.0/8" }], "443/443 10.0.0.0/8"],
    ["443 dropped", [{ portRange: "443/443", policy: "drop" }], "443/443 "],
    ["443 egress only", [{ portRange: "443/443", type: "egress" }], "443/443 "],
    ["a range that stops before 443", [{ portRange: "80/442" }], "80/442 "],
    ["a range that starts after 443", [{ portRange: "444/8080" }], "444/8080 "],
    ["other ports", [{ portRange: "80/80", cidrIp: "0.0.0.0/0" }, { portRange: "22/22" }], "80/80 0.0.0.0/0, 22/22 "],
  ])("fails: %s", async (_why, rules, found) => {
    const r = await sg(rules);
    expect(r.status).toBe("fail");
    expect(r.expected).toBe("ingress 443/tcp from 0.0.0.0/0");
    expect(r.found).toBe(`${found} (${FROM_STATE})`);
    expect(r.cause!.en).toContain("net::ERR_CONNECTION_CLOSED");
    expect(r.fix!.en).toContain("add 443/tcp from 0.0.0.0/0");
  });
});

describe("server facts (the SSH script and its parser)", () => {
  it("reads each fact from one field of its probe record; other records are not facts; lines that are not records are kept", () => {
    const out = serializeProbe([
      { kind: "unit", subject: "nginx", fields: { enabled: "enabled", active: "active" } },
      { kind: "unit", subject: "aistudio", fields: { enabled: "enabled", active: "failed" } },
      { kind: "listen", subject: `:${APP_PORT}`, fields: { addresses: `127.0.0.1:${APP_PORT}` } },
      { kind: "process", subject: "gunicorn", fields: { listen: "" } },
      { kind: "ufw", subject: "status", fields: { text: "Status: active\n\n443/tcp ALLOW IN Anywhere" } },
      { kind: "cert", subject: FULLCHAIN, fields: { pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" } },
      { kind: "unit", subject: "other", fields: { active: "active" } },
    ]);
    expect(parseServerFacts(`noise\n${out}\nnginx=inactive`)).toEqual({
      nginx: "active",
      aistudio: "failed",
      appListen: `127.0.0.1:${APP_PORT}`,
      gunicorn: "",
      ufw: "Status: active\n\n443/tcp ALLOW IN Anywhere",
      cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
      unparsed: "noise\nnginx=inactive",
    });
  });

  it("the socket's state is a fact: aistudio.socket's unit record", () => {
    expect(serverScript(false)).toContain("\nprobe_unit aistudio.socket\n");
    const out = serializeProbe([{ kind: "unit", subject: "aistudio.socket", fields: { enabled: "enabled", active: "active" } }, { kind: "unit", subject: "aistudio", fields: { enabled: "enabled", active: "inactive" } }]);
    expect(parseServerFacts(out)).toEqual({ socket: "active", aistudio: "inactive" });
  });

  it("a fact whose record is missing is absent", () => {
    expect(parseServerFacts("unit\tnginx\tenabled=enabled\tactive=active")).toEqual({ nginx: "active" });
  });

  it("the script asks for the app's port, and for the certificate only when the doctor is to trust it", () => {
    expect(serverScript(false)).toContain(`\nprobe_listen ${APP_PORT}\n`);
    expect(serverScript(false)).not.toContain(FULLCHAIN);
    expect(serverScript(true)).toContain(`cat ${FULLCHAIN}`);
  });

  it("a configured app.port: the script and the parser use it, and so do server-services and the diagnostics", async () => {
    expect(serverScript(false, 8123)).toContain("\nprobe_listen 8123\n");
    expect(serverScript(false, 8123)).not.toContain(`probe_listen ${APP_PORT}`);
    const out = serializeProbe([{ kind: "listen", subject: ":8123", fields: { addresses: "127.0.0.1:8123" } }]);
    expect(parseServerFacts(out, 8123)).toEqual({ appListen: "127.0.0.1:8123" });
    expect(parseServerFacts(out)).toEqual({});
    const facts = { ...healthy(), appListen: "127.0.0.1:8123" };
    expect((await run("server-services", { ssh: SSH, appPort: 8123 }, { server: facts })).status).toBe("ok");
    expect(await run("server-services", { ssh: SSH }, { server: facts })).toMatchObject({ status: "fail", found: `127.0.0.1:${APP_PORT} not listening (gunicorn listens on: 127.0.0.1:${APP_PORT})` });
    expect(diagnosticsScript(8123)).toContain("grep -E ':(8123|443|80)\\b'");
    expect(diagnosticsScript()).toContain(`grep -E ':(${APP_PORT}|443|80)\\b'`);
  });
});

describe('check "server-services" from server facts', () => {
  const services = (server: ServerFacts, withSsh = true) => run("server-services", { ssh: withSsh ? SSH : undefined }, { server });
  const expected = `nginx active, aistudio active, 127.0.0.1:${APP_PORT} listening`;

  it("skips without SSH access, whatever the facts say", async () => {
    expect(await services({ nginx: "failed" }, false)).toMatchObject({ status: "skip", found: "no SSH access configured" });
  });

  it("fails with the SSH error when there are no facts", async () => {
    const r = await services({ error: "connect ECONNREFUSED 203.0.113.5:22" });
    expect(r).toMatchObject({ status: "fail", expected: "an SSH session", found: "connect ECONNREFUSED 203.0.113.5:22" });
    expect(r.fix!.en).toContain("port 22");
  });

  it("ok when nginx and aistudio are active and gunicorn listens on 127.0.0.1:<port>", async () => {
    expect(await services(healthy())).toMatchObject({ status: "ok", found: `nginx active, aistudio active, listening 127.0.0.1:${APP_PORT}` });
  });

  it("nginx stopped: the cause is nginx, even when aistudio is down too", async () => {
    const r = await services({ ...healthy(), nginx: "inactive", aistudio: "failed" });
    expect(r).toMatchObject({ status: "fail", expected, found: "nginx inactive" });
    expect(r.cause).toEqual({ zh: "nginx 未运行", en: "nginx is not running" });
    // nginx's usual reach (cause.ts EXPLAINS): everything on 443
    expect(r.explains).toBeUndefined();
  });

  it("aistudio stopped: it explains the APIs behind nginx only, not 443 or TLS", async () => {
    const r = await services({ ...healthy(), aistudio: "failed" });
    expect(r).toMatchObject({ status: "fail", expected, found: "aistudio failed" });
    expect(r.fix!.en).toContain("journalctl -u aistudio");
    expect(r.explains).toEqual(["admin-json", "api-json"]);
    expect((await services({ ...healthy(), appListen: "" })).explains).toEqual(["admin-json", "api-json"]);
  });

  it("aistudio stopped but its socket active: starts with the next request, a warning and not a failure", async () => {
    const r = await services({ ...healthy(), aistudio: "inactive" });
    expect(r).toMatchObject({ status: "warn", found: `aistudio inactive, aistudio.socket active, listening 127.0.0.1:${APP_PORT}` });
    expect(r.cause!.en).toMatch(/starts on demand with the next request/);
    expect(r.cause!.zh).toMatch(/下一个请求会启动它/);
    expect(r.fix!.en).toContain("systemctl start aistudio");
    // the socket on the wrong address still fails: nginx would get nothing
    expect((await services({ ...healthy(), aistudio: "inactive", appListen: "" })).status).toBe("fail");
  });

  it("aistudio and its socket both stopped: a failure whose fix starts the socket too", async () => {
    for (const aistudio of ["inactive", "failed"]) {
      const r = await services({ ...healthy(), aistudio, socket: "inactive", appListen: "" });
      expect(r).toMatchObject({ status: "fail", expected, found: `aistudio ${aistudio}, aistudio.socket inactive` });
      expect(r.cause!.en).toContain("aistudio.socket");
      expect(r.cause!.zh).toContain("aistudio.socket");
      expect(r.fix!.en).toContain("systemctl start aistudio.socket aistudio");
      expect(r.fix!.zh).toContain("systemctl start aistudio.socket aistudio");
      expect(r.explains).toEqual(["admin-json", "api-json"]);
    }
  });

  it("gunicorn on another port or address: says where it listens instead", async () => {
    const r = await services({ ...healthy(), appListen: "", gunicorn: `127.0.0.1:${APP_PORT + 1}` });
    expect(r).toMatchObject({ status: "fail", found: `127.0.0.1:${APP_PORT} not listening (gunicorn listens on: 127.0.0.1:${APP_PORT + 1})` });
    expect(r.cause!.en).toContain("nginx answers 502");
    const wide = await services({ ...healthy(), appListen: `0.0.0.0:${APP_PORT}`, gunicorn: "" });
    expect(wide.found).toBe(`127.0.0.1:${APP_PORT} not listening (gunicorn listens on: nothing)`);
  });

  it("a port that merely starts with the app's port does not count", async () => {
    expect((await services({ ...healthy(), appListen: `127.0.0.1:${APP_PORT}1` })).status).toBe("fail");
  });
});

describe('check "ufw443" from server facts', () => {
  const ufw = (server: ServerFacts, withSsh = true) => run("ufw443", { ssh: withSsh ? SSH : undefined }, { server });

  it("skips without SSH access or without an SSH session", async () => {
    expect(await ufw(healthy(), false)).toMatchObject({ status: "skip", found: "no SSH access configured" });
    expect(await ufw({ error: "timeout" })).toMatchObject({ status: "skip", found: "no SSH session" });
  });

  it("ok when ufw is active and allows 443/tcp", async () => {
    expect(await ufw(healthy())).toMatchObject({ status: "ok", found: "443/tcp ALLOW IN" });
  });

  it("an inactive ufw is a warning, not a failure", async () => {
    const r = await ufw({ ...healthy(), ufw: "Status: inactive" });
    expect(r).toMatchObject({ status: "warn", expected: "ufw active, 443/tcp ALLOW", found: "ufw inactive" });
    expect(firstFailure([r])).toBeUndefined();
  });

  it("fails without a 443/tcp ALLOW rule and lists the rules it found", async () => {
    const r = await ufw({ ufw: "Status: active\n22/tcp                     ALLOW IN    Anywhere\n443/tcp                    DENY IN     Anywhere" });
    expect(r.status).toBe("fail");
    expect(r.expected).toBe("443/tcp ALLOW IN");
    expect(r.found).toBe("22/tcp                     ALLOW IN    Anywhere; 443/tcp                    DENY IN     Anywhere");
    expect(r.fix!.en).toContain("ufw allow 443/tcp");
    expect((await ufw({ ufw: "Status: active" })).found).toBe("no rules");
  });
});

describe("checks that need nothing from the network here", () => {
  it.each(["tls-cert", "tls-versions", "api-json"])("%s is skipped once TCP 443 was found unreachable", async (id) => {
    expect(await run(id, {}, { no443: "203.0.113.5:443 unreachable" })).toMatchObject({ status: "skip", found: "needs TCP 443 (203.0.113.5:443 unreachable)" });
  });

  it("wechat-domains is skipped without AppID/AppSecret", async () => {
    expect(await run("wechat-domains")).toMatchObject({ status: "skip", found: "no AppID/AppSecret configured" });
  });

  describe("dns", () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });
    const hosts = (text: string) => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-hosts-"));
      const f = path.join(dir, "hosts");
      fs.writeFileSync(f, text);
      return f;
    };

    it("a test stack connects directly: skipped, and the address is the test host", async () => {
      const ctx: DoctorContext = {};
      expect(await run("dns", { connectTo: "10.0.0.9" }, ctx)).toMatchObject({ status: "skip", found: "test stack: connecting to 10.0.0.9 directly, DNS not used" });
      expect(ctx.address).toBe("10.0.0.9");
    });

    it("a hosts-file entry that matches the server: ok, and the others connect there", async () => {
      const ctx: DoctorContext = {};
      const hostsFile = hosts("# comment photogooo.com\n10.0.0.8 other.example\n10.0.0.5 www photogooo.com # mine\n");
      expect(await run("dns", { hostsFile, serverIp: "10.0.0.5" }, ctx)).toMatchObject({ status: "ok", found: "10.0.0.5", expected: "10.0.0.5" });
      expect(ctx.address).toBe("10.0.0.5");
    });

    it("a hosts-file entry pointing elsewhere: fails, naming both addresses", async () => {
      const ctx: DoctorContext = {};
      const r = await run("dns", { hostsFile: hosts("10.0.0.8 photogooo.com\n"), serverIp: "10.0.0.5" }, ctx);
      expect(r).toMatchObject({ status: "fail", expected: "10.0.0.5", found: "10.0.0.8" });
      expect(r.fix!.en).toBe("point the A record of photogooo.com at 10.0.0.5 and check hosts files");
      expect(ctx.address).toBe("10.0.0.8");
    });
  });

  describe("miniprogram (the fixtures of the lint tests)", () => {
    it("skips without a directory", async () => {
      expect(await run("miniprogram")).toMatchObject({ status: "skip", found: "no mini program directory given (--miniprogram DIR)" });
    });

    it("ok for a clean config.js", async () => {
      expect(await run("miniprogram", { miniprogramDir: path.join(FIXTURES, "clean") })).toMatchObject({ status: "ok", found: "config.js OK" });
    });

    it("fails on a URL with a port, naming file, line and code, the first finding as the cause", async () => {
      const r = await run("miniprogram", { miniprogramDir: path.join(FIXTURES, "broken-port") });
      expect(r.status).toBe("fail");
      expect(r.found).toMatch(/^config\.js:\d+ url-port/);
      expect(r.cause!.en).toMatch(/port/i);
      expect(r.cause!.zh).toMatch(/端口/);
    });

    it("urlCheck off is a warning", async () => {
      const r = await run("miniprogram", { miniprogramDir: path.join(FIXTURES, "urlcheck-off") });
      expect(r.status).toBe("warn");
      expect(r.found).toMatch(/urlcheck/i);
      expect(r.fix!.en).toBe("turn urlCheck on before testing on phones");
    });
  });
});
