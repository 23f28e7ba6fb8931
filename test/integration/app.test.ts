// The real workload on a real host (issue #11): a backend laid out differently from the sample,
// deployed by config only; then the grown-up sample (database, admin with login, uploads) through
// nginx over HTTPS; and the guide's section 6 ("Unexpected token '<'") diagnosed by the doctor,
// each case named first with its evidence. One host, redeployed between phases.
import { execFile } from "node:child_process";
import * as https from "node:https";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireHosts, REPO } from "../support/capability";
import { bootHost, hostCmd, localConfig, TestStack } from "../support/hosts";

const canRun = requireHosts();
const DOMAIN = "photogooo.com";
const HOST = "it-app";
const PASSWORD = "it-admin-pass-6f1c9e";
const SECRET_KEY = "it-secret-key-0b7d2a55e1";
const pexec = promisify(execFile);

interface Answer { status: number; type: string; location?: string; setCookie: string[]; body: Buffer }

describe.skipIf(!canRun)("the real workload: app contract, admin, uploads, section 6", () => {
  let ip: string;
  let ca: string;
  let stack: TestStack;

  const request = (method: string, p: string, o: { body?: string | Buffer; type?: string; cookie?: string } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = https.request({
        host: ip, port: 443, servername: DOMAIN, method, path: p, ca, agent: false, timeout: 15_000,
        headers: {
          Host: DOMAIN,
          ...(o.type ? { "Content-Type": o.type } : {}),
          ...(o.cookie ? { Cookie: o.cookie } : {}),
          ...(o.body !== undefined ? { "Content-Length": Buffer.byteLength(o.body) } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers["content-type"] ?? ""),
          location: res.headers.location,
          setCookie: res.headers["set-cookie"] ?? [],
          body: Buffer.concat(chunks),
        }));
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(o.body);
    });
  const json = (a: Answer) => JSON.parse(a.body.toString("utf8"));
  const doctor = async (error?: string) => {
    const r = await pexec("node", [path.join(REPO, "bin/aistudio.js"), "doctor", "--stack", stack.name, "--config-file", stack.configFile, "--json", ...(error ? ["--error", error] : [])], { env: stack.env(), cwd: REPO, maxBuffer: 16 << 20 }).catch((e) => e);
    return { code: typeof r.code === "number" ? r.code : 0, report: JSON.parse(r.stdout), stderr: r.stderr as string };
  };
  const sampleConfig = (extra: Record<string, unknown> = {}) => localConfig(HOST, {
    app: { dir: "provision/sample-app", workers: 2, preStart: ["python3 migrate.py"] },
    smoke: {
      timeoutSeconds: 30,
      probes: [
        { path: "/admin/login", status: 200, type: "html" },
        { method: "POST", path: "/admin/api/miniprogram-config", status: 401, type: "json" },
      ],
    },
    ...extra,
  });
  const sampleEnv = (extra: Record<string, string> = {}) => JSON.stringify({ SECRET_KEY, ADMIN_PASSWORD: PASSWORD, ...extra });

  beforeAll(async () => {
    ip = bootHost(HOST).host;
    stack = new TestStack("itapp", localConfig(HOST, {
      app: {
        dir: "test/fixtures/backends/photostudio",
        wsgi: "photostudio.wsgi:app",
        packages: ["python3-yaml"],
        dataDir: "/srv/photostudio",
        admin: { loginPath: "/manage/login", apiPath: "/manage/api/ping" },
      },
      smoke: {
        timeoutSeconds: 30,
        probes: [
          { path: "/manage/login", status: 200, type: "html" },
          { path: "/manage/api/ping", status: 401, type: "json" },
        ],
      },
    }));
    await stack.init();
    await stack.setSecrets({ appEnv: JSON.stringify({ SECRET_KEY, ADMIN_PASSWORD: PASSWORD }) });
  });
  afterAll(() => stack?.cleanup());

  it("a backend laid out differently deploys with config only: its entry point, its Debian package, its data dir, its admin path", async () => {
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    ca = hostCmd(HOST, "cat /etc/aistudio/tls/fullchain.pem");
    expect(hostCmd(HOST, "dpkg-query -W -f='${Status}' python3-yaml")).toBe("install ok installed");
    expect(hostCmd(HOST, "test -e /srv/aistudio/current/app.py && echo shim || echo none").trim()).toBe("none");
    const v = await request("POST", "/api/user/visit", { type: "application/json", body: '{"sessionId":"it-app","type":"launch"}' });
    expect(v.status, v.body.toString()).toBe(200);
    expect(json(v).success).toBe(true);
    // the visit is in the backend's own database, in its data dir, owned by the app user
    expect(hostCmd(HOST, "stat -c '%U' /srv/photostudio/photostudio.db").trim()).toBe("aistudio");
    const login = await request("GET", "/manage/login");
    expect(login.status).toBe(200);
    expect(login.type).toMatch(/text\/html/);
    const ping = await request("GET", "/manage/api/ping");
    expect(ping.status).toBe(401);
    expect(ping.type).toMatch(/application\/json/);
  });

  it("an unknown Debian package in app.packages fails the deploy with apt's message and the key to fix", async () => {
    await stack.reconfigure(sampleConfig({ app: { dir: "provision/sample-app", packages: ["no-such-package-aistudio"] } }));
    const r = await stack.up();
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Unable to locate package no-such-package-aistudio/);
    expect(r.stdout + r.stderr).toMatch(/aistudio:app\.packages/);
  });

  it("the grown-up sample: visits in its database, admin login with a session cookie, 小程序配置 saved and read back, an upload served from /media/", async () => {
    await stack.reconfigure(sampleConfig());
    await stack.setSecrets({ appEnv: sampleEnv() });
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const before = json(await request("GET", "/api/visits/stats")).count as number;
    const v = await request("POST", "/api/user/visit", { type: "application/json", body: '{"sessionId":"test123","type":"launch"}' });
    expect(json(v)).toMatchObject({ success: true, sessionId: "test123" });
    expect(json(await request("GET", "/api/visits/stats")).count).toBe(before + 1);
    expect(hostCmd(HOST, "ls /var/lib/aistudio/").split(/\s+/)).toContain("aistudio.sqlite3");

    // the admin backend through nginx: a login form, a session cookie, the config page and its API
    const wrong = await request("POST", "/admin/login", { type: "application/x-www-form-urlencoded", body: "username=admin&password=nope" });
    expect(wrong.status).toBe(401);
    const login = await request("POST", "/admin/login", { type: "application/x-www-form-urlencoded", body: `username=admin&password=${PASSWORD}` });
    expect(login.status).toBe(303);
    const cookie = login.setCookie.map((c) => c.split(";")[0]).find((c) => c.startsWith("aistudio_session="));
    expect(cookie, login.setCookie.join("\n")).toBeTruthy();
    expect(login.setCookie.join(";")).toMatch(/HttpOnly/i);
    const page = await request("GET", "/admin/miniprogram-config", { cookie });
    expect(page.status).toBe(200);
    expect(page.body.toString()).toMatch(/小程序配置/);
    const saved = { ENV: "production", baseUrl: `https://${DOMAIN}`, note: `it-${Date.now()}` };
    const save = await request("POST", "/admin/api/miniprogram-config", { type: "application/json", cookie, body: JSON.stringify(saved) });
    expect(save.status, save.body.toString()).toBe(200);
    expect(json(save).success).toBe(true);
    const back = await request("GET", "/admin/api/miniprogram-config", { cookie });
    expect(JSON.stringify(json(back))).toContain(saved.note);
    // without the cookie: JSON 401, never the HTML login page
    const anon = await request("POST", "/admin/api/miniprogram-config", { type: "application/json", body: "{}" });
    expect(anon.status).toBe(401);
    expect(anon.type).toMatch(/application\/json/);

    // an upload lands in media and is served byte-equal from /media/
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const up = await request("POST", "/api/upload?name=photo.jpg", { type: "application/octet-stream", body: bytes });
    expect(up.status, up.body.toString()).toBe(200);
    const url = json(up).url as string;
    expect(url).toMatch(/^\/media\/uploads\//);
    const got = await request("GET", url);
    expect(got.status).toBe(200);
    expect(got.body.equals(bytes)).toBe(true);
  });

  it("nginx's welcome page is never served: /, /index.html and unknown paths are the app's, the server's bare IP gets nothing", async () => {
    for (const p of ["/", "/index.html", "/no/such/page"]) {
      const a = await request("GET", p);
      expect(a.body.toString(), p).not.toMatch(/Welcome to nginx/i);
      expect(a.body.toString(), p).not.toMatch(/<center>nginx<\/center>/);
    }
    expect((await request("GET", "/")).status).toBe(200);
    expect((await request("GET", "/no/such/page")).status).toBe(404);
    // plain HTTP to the IP (no Host we serve) must not show the default site either
    const bare = hostCmd(HOST, "curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1/ || true").trim();
    expect(bare).not.toBe("200");
  });

  it("section 6, healthy: the admin API answers JSON 401 without a session; the doctor passes", async () => {
    const d = await doctor("Unexpected token '<'");
    const admin = d.report.results.find((x: { id: string }) => x.id === "admin-json");
    expect(admin?.status, JSON.stringify(admin)).toBe("ok");
    expect(d.code, JSON.stringify(d.report.results.filter((x: { status: string }) => x.status === "fail"))).toBe(0);
  });

  const section6 = async (what: string, setup: () => Promise<void>, cause: RegExp, evidence: RegExp) => {
    await setup();
    const d = await doctor("Unexpected token '<'");
    const first = d.report.results.find((x: { id: string }) => x.id === d.report.firstFailure);
    expect(d.code, what).toBe(1);
    expect(d.report.firstFailure, `${what}: ${JSON.stringify(d.report.results.filter((x: { status: string }) => x.status !== "ok"))}`).toBe("admin-json");
    expect(d.report.results[0].id, "--error runs admin-json first").toBe("admin-json");
    expect(`${first.cause.en} ${first.cause.zh}`, what).toMatch(cause);
    const ev = (first.evidence ?? []).flatMap((e: { source: string; lines: string[] }) => [e.source, ...e.lines]).join("\n");
    expect(ev, `${what}: evidence`).toMatch(evidence);
    expect(ev).not.toContain(PASSWORD);
    expect(ev).not.toContain(SECRET_KEY);
  };

  it("section 6, expired login: the API redirects to the HTML login page → named first, cause login, evidence from the journal", async () => {
    await section6("redirect", async () => {
      await stack.setSecrets({ appEnv: sampleEnv({ AISTUDIO_AUTH_REDIRECT: "1" }) });
      // the smoke probe (JSON 401) must fail this deploy: the broken behaviour is exactly what it guards
      const r = await stack.up();
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/expected HTTP 401, found 302/);
    }, /login/i, /302/);
  });

  it("section 6, server error: an HTML 500 from the app → named first, cause server error, the traceback as evidence", async () => {
    await section6("500", async () => {
      await stack.reconfigure(sampleConfig({ smoke: { timeoutSeconds: 30 } }));
      await stack.setSecrets({ appEnv: sampleEnv({ AISTUDIO_SAMPLE_ADMIN_500: "1" }) });
      const r = await stack.up();
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }, /server error|服务器错误/i, /Traceback/);
  });

  it("section 6, nginx's own error page: the admin API is not routed to the app → named first, cause nginx, nginx's error log as evidence", async () => {
    await section6("nginx", async () => {
      await stack.reconfigure(sampleConfig({
        smoke: { timeoutSeconds: 30 },
        nginx: { extraServerConfig: "location = /admin/api/miniprogram-config { proxy_pass http://127.0.0.1:9; }" },
      }));
      await stack.setSecrets({ appEnv: sampleEnv() });
      const r = await stack.up();
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }, /nginx/i, /connect\(\) failed|upstream/);
  });
});
