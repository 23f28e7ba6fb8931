// A fleet for real (issue #15): three servers behind HAProxy on a load-balancer test host, standing in
// for the ALB through the same ServerPool, with the shared state a fleet needs (PostgreSQL on its
// own test host, uploads in the SeaweedFS object store). Under a bounded load of POST /api/user/visit
// through the load balancer, a new release, an nginx change and an environment change roll across
// the servers one at a time with 0 failed requests; a release that fails its smoke test on the
// first server stops the rollout with the other two on the old release and the site answering; a
// server that is down when the rollout reaches it is named, and the rest keep serving.
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, requireHosts } from "../support/capability";
import { bootDbhost, bootHost, bootObjectstore, hostCmd, hostDown, localConfig, TestStack, unchanged } from "../support/hosts";
import { TestPki } from "../support/certs";
import { LoadGenerator, LoadResult } from "../../bench/load";
import { httpsRequest } from "../../checks/visit";
import { HaproxyPool } from "../../core/lb/haproxy";
import { readTesthost } from "../../infra/testhost";
import { checkDrift } from "../../stacks/drift";
import { rebuild } from "../../stacks/rebuild";
import type { MemberState } from "../../core/lb/pool";

const canRun = requireHosts();
const FIRST = "fl-1";
const SERVERS = [FIRST, `${FIRST}-2`, `${FIRST}-3`];
const LB = `${FIRST}-lb`;
const DOMAIN = "photogooo.com";

const testhostSh = path.join(REPO, "scripts/testhost.sh");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!canRun)("a fleet of three servers behind a load balancer (HAProxy for ALB)", () => {
  const pki = new TestPki();
  const leaf = pki.leaf(DOMAIN);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-fleet-"));
  let stack: TestStack;
  let lbIp: string;
  let dbUrl: string;
  const ips: Record<string, string> = {};

  /** The sample app as a release of its own: a copy with `edit` applied to its app.py. */
  const release = (name: string, edit: (appPy: string) => string = (s) => s): string => {
    const dir = path.join(work, name);
    fs.cpSync(path.join(REPO, "provision/sample-app"), dir, { recursive: true, filter: (p) => !/__pycache__|\.pyc$/.test(p) });
    const f = path.join(dir, "app.py");
    fs.writeFileSync(f, edit(fs.readFileSync(f, "utf8")) + `\n# fleet test: ${name}\n`);
    return dir;
  };
  const config = (o: { appDir?: string; bodySize?: string; servers?: number } = {}) => localConfig(FIRST, {
    app: { dir: o.appDir ?? release("r1"), workers: 2, preStart: ["python3 migrate.py"] },
    tls: { mode: "provided", certificate: leaf.fullchain, caBundle: pki.rootPem },
    servers: { count: o.servers ?? 3 },
    database: { mode: "external" },
    uploads: { store: "s3", objectstore: "fl-s3" },
    ...(o.bodySize ? { nginx: { clientMaxBodySize: o.bodySize } } : {}),
  });

  const pool = () => new HaproxyPool({ connection: { ...readTesthost(LB), privateKey: fs.readFileSync(readTesthost(LB).privateKeyPath, "utf8") }, backend: "aistudio" });
  const members = async (): Promise<MemberState[]> => {
    const p = pool();
    try { return await p.members(); } finally { await p.close(); }
  };
  /** What a server answers directly (not through the load balancer): its release, from GET /api/health. */
  const releaseOn = async (server: string): Promise<string> => {
    const r = await httpsRequest({ domain: DOMAIN, connectTo: ips[server], ca: pki.rootPem, timeoutMs: 5000 }, "GET", "/api/health");
    return JSON.parse(r.body).release;
  };
  const underLoad = async (change: () => Promise<void>, maxSeconds = 150): Promise<LoadResult> => {
    const gen = new LoadGenerator({ address: lbIp, domain: DOMAIN, ca: pki.rootPem, concurrency: 4, maxRequests: 60_000, maxSeconds }).start();
    await sleep(1000);
    await change();
    await sleep(1000);
    const load = await gen.stop();
    console.log(`[fleet] ${load.requests} requests through the load balancer, ${load.failed} failed, longest gap ${load.longestGapMs} ms`);
    return load;
  };
  /** A request to one server directly, bytes in and out (an upload, a photo). */
  const bytes = (server: string, method: string, p: string, body?: Buffer): Promise<{ status: number; body: Buffer }> => new Promise((resolve, reject) => {
    const req = https.request({ host: ips[server], port: 443, servername: DOMAIN, method, path: p, ca: [pki.rootPem], agent: false, timeout: 10_000,
      headers: { Host: DOMAIN, "Content-Type": p.startsWith("/api/upload") ? "application/octet-stream" : "application/json", ...(body ? { "Content-Length": body.length } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${p} on ${server}: timed out`)));
    req.on("error", reject);
    req.end(body);
  });
  /** The order the rollout took servers out and put them back, from the rotation's progress lines (not their repeat under Diagnostics). */
  const rotations = (out: string): string[] => [...out.split(/\nDiagnostics:/)[0].matchAll(/\[rotation\] (\S+) (out of|back in) /g)].map((m) => `${m[2] === "out of" ? "-" : "+"}${m[1]}`);

  beforeAll(async () => {
    const hosts = await Promise.all([
      ...[...SERVERS, LB].map(async (h) => bootHost(h)),
      (async () => bootObjectstore("fl-s3"))(),
      (async () => bootDbhost("fl-db"))(),
    ]);
    for (const h of hosts.slice(0, SERVERS.length)) ips[(h as { name: string }).name] = (h as { host: string }).host;
    lbIp = (hosts[SERVERS.length] as { host: string }).host;
    dbUrl = (hosts[hosts.length - 1] as { url: string }).url;
    stack = new TestStack("itfleet", config());
    await stack.init();
    await stack.setSecrets({ tlsPrivateKey: leaf.key, databaseUrl: dbUrl, appEnv: JSON.stringify({ SECRET_KEY: "it-fleet-secret-1", ADMIN_PASSWORD: "it-fleet-admin-pw" }) });
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 900_000);
  afterAll(() => {
    stack?.cleanup();
    // six hosts: down now rather than at the end of the run, for the test files after this one
    for (const h of [...SERVERS, LB, "fl-s3", "fl-db"]) {
      try { hostDown(h); } catch { /* already down */ }
    }
    pki.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("serves the site through the load balancer with every server healthy in it, and a second up changes nothing", async () => {
    const m = await members();
    expect(m.map((x) => [x.id, x.weight, x.health])).toEqual(SERVERS.map((s) => [s, 100, "healthy"]));
    const r = await httpsRequest({ domain: DOMAIN, connectTo: lbIp, ca: pki.rootPem, timeoutMs: 5000 }, "POST", "/api/user/visit", JSON.stringify({ sessionId: "test123", type: "launch" }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).success).toBe(true);
    const again = await stack.up();
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(unchanged(again), again.stdout).toBe(true);
  });

  it("drift sees a server left out of the load balancer, and the next up puts it back", async () => {
    const p = pool();
    try { await p.setWeight(SERVERS[1], 0); } finally { await p.close(); }
    const d = await checkDrift(stack.spec());
    if (!d.ok) throw new Error(`drift failed: ${d.error}`);
    expect(d.items.map((i) => [i.resource, i.item, i.expected, i.found])).toEqual([["aistudio-2-restore", `rotation ${SERVERS[1]}`, "weight=100", "weight=0"]]);
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(rotations(r.stdout)).toEqual([`+${SERVERS[1]}`]);
    expect((await members()).map((x) => [x.id, x.weight, x.health])).toEqual(SERVERS.map((s) => [s, 100, "healthy"]));
  });

  it("keeps one database and one uploads store for all servers", async () => {
    // a photo uploaded through one server is served by each of the others
    const photo = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256));
    const up = await bytes(SERVERS[0], "POST", "/api/upload?name=fleet.jpg", photo);
    expect(up.status, up.body.toString()).toBe(200);
    const url = JSON.parse(up.body.toString()).url as string;
    for (const s of SERVERS.slice(1)) {
      const got = await bytes(s, "GET", url);
      expect(got.status, `${s}: ${url}`).toBe(200);
      expect(got.body.equals(photo), `${s} serves the same bytes`).toBe(true);
    }
    // visits made on different servers are rows of the one database
    const count = async (s: string) => JSON.parse((await bytes(s, "GET", "/api/visits/stats")).body.toString()).count as number;
    const before = await count(SERVERS[0]);
    for (const s of SERVERS.slice(1)) {
      const v = await bytes(s, "POST", "/api/user/visit", Buffer.from(JSON.stringify({ sessionId: `fleet-${s}`, type: "launch" })));
      expect(v.status, v.body.toString()).toBe(200);
    }
    expect(await count(SERVERS[2])).toBe(before + SERVERS.length - 1);
  });

  it("rolls a new release, an nginx change and an environment change one server at a time with 0 failed requests", async () => {
    const changes: [string, () => Promise<void>][] = [
      ["release", () => stack.reconfigure(config({ appDir: release("r2") }))],
      ["nginx", () => stack.reconfigure(config({ appDir: release("r2"), bodySize: "12m" }))],
      ["env", () => stack.setSecrets({ appEnv: JSON.stringify({ SECRET_KEY: "it-fleet-secret-2", ADMIN_PASSWORD: "it-fleet-admin-pw" }) })],
    ];
    for (const [what, change] of changes) {
      await change();
      let out = "";
      const load = await underLoad(async () => {
        const r = await stack.up();
        out = r.stdout + r.stderr;
        expect(r.code, `${what}: ${out}`).toBe(0);
      });
      // one at a time: each server out and back before the next goes out
      expect(rotations(out), what).toEqual(SERVERS.flatMap((s) => [`-${s}`, `+${s}`]));
      expect(load.requests, what).toBeGreaterThan(20);
      expect(load.failed, `${what}: ${load.failures.join("\n")}`).toBe(0);
    }
    const r2 = await releaseOn(SERVERS[0]);
    for (const s of SERVERS) expect(await releaseOn(s), s).toBe(r2);
  });

  it("stops at the first server whose new release fails its checks: the others stay on the old release and the site answers", async () => {
    const good = await releaseOn(SERVERS[0]);
    const broken = release("r3-broken", (s) => s.replace(/def visit\(/, "def visit(*_a, **_k):\n    raise RuntimeError('broken release')\n\n\ndef _visit_unused("));
    await stack.reconfigure(config({ appDir: broken, bodySize: "12m" }));
    let out = "";
    const load = await underLoad(async () => {
      const r = await stack.up();
      out = r.stdout + r.stderr;
      expect(r.code, "the rollout fails").not.toBe(0);
    });
    // the app step's own check (POST /api/user/visit on the server) fails it and names the server
    expect(out).toMatch(new RegExp(`step \\\\?"app\\\\?" failed on ${ips[SERVERS[0]].replace(/\./g, "\\.")}`));
    expect(out).toMatch(/RuntimeError: broken release/);
    expect(rotations(out)).toEqual([`-${SERVERS[0]}`]);
    for (const s of SERVERS.slice(1)) expect(await releaseOn(s), s).toBe(good);
    const m = await members();
    expect(m.find((x) => x.id === SERVERS[0])?.weight, "the broken server is out of rotation").toBe(0);
    // the requests that reached the broken server before its drain were served by the old release; none failed
    expect(load.failed, load.failures.join("\n")).toBe(0);
    // the fix rolls out, and the broken server is put back
    await stack.reconfigure(config({ appDir: release("r2"), bodySize: "12m" }));
    const fixed = await stack.up();
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect((await members()).map((x) => [x.id, x.weight, x.health])).toEqual(SERVERS.map((s) => [s, 100, "healthy"]));
  });

  it("names a server that is down when the rollout reaches it, and keeps serving from the others", async () => {
    const down = SERVERS[2];
    execFileSync("bash", [testhostSh, "poweroff", down], { stdio: "ignore" });
    try {
      for (let i = 0; i < 20 && (await members()).find((x) => x.id === down)?.health !== "unhealthy"; i++) await sleep(500);
      expect((await members()).find((x) => x.id === down)?.health, "the load balancer sees it down").toBe("unhealthy");
      await stack.setSecrets({ appEnv: JSON.stringify({ SECRET_KEY: "it-fleet-secret-3", ADMIN_PASSWORD: "it-fleet-admin-pw" }) });
      let out = "";
      const load = await underLoad(async () => {
        const r = await stack.up();
        out = r.stdout + r.stderr;
        expect(r.code, "the rollout fails").not.toBe(0);
      });
      expect(out).toMatch(new RegExp(`aistudio-3|${ips[down].replace(/\./g, "\\.")}`));
      expect(rotations(out).slice(0, 4)).toEqual([`-${SERVERS[0]}`, `+${SERVERS[0]}`, `-${SERVERS[1]}`, `+${SERVERS[1]}`]);
      expect(load.failed, load.failures.join("\n")).toBe(0);
    } finally {
      execFileSync("bash", [testhostSh, "boot", down], { stdio: "ignore" });
    }
    const healed = await stack.up();
    expect(healed.code, healed.stdout + healed.stderr).toBe(0);
    expect((await members()).map((x) => [x.id, x.weight, x.health])).toEqual(SERVERS.map((s) => [s, 100, "healthy"]));
  });

  it("rebuilds the servers one at a time with 0 failed requests: each out of the load balancer until its new server is healthy", async () => {
    const keysBefore = SERVERS.map((h) => readTesthost(h).hostKey);
    const said: string[] = [];
    let outcome: Awaited<ReturnType<typeof rebuild>> | undefined;
    const load = await underLoad(async () => {
      outcome = await rebuild(stack.spec(), { say: (l) => said.push(l) });
    }, 420);
    expect(outcome?.ok, `${outcome?.error}\n${said.join("\n")}`).toBe(true);
    expect(outcome?.replaced).toBe(SERVERS.join(", "));
    // new machines: each test host has a new host key
    SERVERS.forEach((h, i) => expect(readTesthost(h).hostKey, h).not.toBe(keysBefore[i]));
    // one at a time: each back before the next went out
    const order = said.filter((l) => /: out of |back in the load balancer/.test(l)).map((l) => l.replace(/^server (\d).*?: (out|rebuilt).*/, "$2 $1"));
    expect(order).toEqual(["out 1", "rebuilt 1", "out 2", "rebuilt 2", "out 3", "rebuilt 3"]);
    expect(load.failed, load.failures.join("\n")).toBe(0);
    expect((await members()).map((x) => [x.id, x.weight, x.health])).toEqual(SERVERS.map((s) => [s, 100, "healthy"]));
  });

  it("keeps every secret out of the output and the state: the database URL, the TLS key, the deploy key the pool uses", () => {
    const text = [...stack.transcript, stack.stateText()].join("\n");
    const dbPassword = new URL(dbUrl).password;
    const deployKey = fs.readFileSync(readTesthost(LB).privateKeyPath, "utf8").split("\n").filter((l) => l && !l.startsWith("-----"))[1];
    const keyBody = leaf.key.split("\n").filter((l) => l && !l.startsWith("-----"))[0];
    for (const secret of [dbPassword, keyBody, deployKey, "it-fleet-secret-1", "it-fleet-admin-pw"]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(text.includes(secret), `a secret leaked: ${secret.slice(0, 6)}…`).toBe(false);
    }
  });
});
