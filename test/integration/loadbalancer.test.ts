// The load balancer of a fleet (issue #15) on a real Debian 12 host: the loadbalancer step (HAProxy)
// applied over SSH, two stand-in app servers on the LB host itself (python3 over TLS on
// 127.0.0.1:9441/9442, answering 200 on /api/health and their own name elsewhere), and the pool the
// rolling deploy drives (HaproxyPool) read and changed through HAProxy's runtime API:
// both members healthy at full weight; requests reach both; drain waits for the request in flight
// and then only b2 answers; a stopped server is reported unhealthy with HAProxy's reason; restore
// brings b1 back; a POST that reached a server is never made again (a GET is); reloads under load
// lose no request and keep the weights a rollout set; a second apply changes nothing, a hand edit
// shows in the probe.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as https from "node:https";
import { spawnSync } from "node:child_process";
import { requireHosts } from "../support/capability";
import { bootHost, hostCmd } from "../support/hosts";
import { TestPki } from "../support/certs";
import { readTesthost } from "../../infra/testhost";
import { Connection, connect, runScript, stats as sshStats } from "../../core/ssh";
import { HaproxyPool } from "../../core/lb/haproxy";
import { openPool } from "../../core/lb/open";
import { FULL_WEIGHT, drain, restore } from "../../core/lb/pool";
import { loadBalancerStep, LbServer } from "../../provision/loadbalancer";
import { applyScript, probeScript, splitProbe } from "../../infra/runner/script";

const canRun = requireHosts();
const HOST = "lb-1";
const DOMAIN = "photogooo.com";

/** The stand-in app server: GET /slow?s=N sleeps N s; /die closes the connection unanswered when DIE is set; /count tells what it served. */
const BACKEND_PY = String.raw`
import http.server, json, socket, ssl, sys, threading, time
name, port, cert, key, die = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "die"
counts, lock = {}, threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def answer(self, body):
        b = body.encode()
        self.send_response(200); self.send_header("Content-Type", "text/plain"); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n: self.rfile.read(n)
        path = self.path.split("?")[0]
        with lock: counts[self.command + " " + path] = counts.get(self.command + " " + path, 0) + 1
        if path == "/die" and die:
            self.connection.shutdown(socket.SHUT_RDWR); self.close_connection = True; return
        if path == "/slow": time.sleep(float(self.path.split("=")[1]))
        if path == "/api/health": return self.answer("ok")
        if path == "/count":
            with lock: return self.answer(json.dumps(counts))
        if path == "/headers": return self.answer(json.dumps({"xff": self.headers.get_all("X-Forwarded-For"), "xfp": self.headers.get("X-Forwarded-Proto"), "host": self.headers.get("Host")}))
        self.answer(name)
    do_GET = do_POST = handle_any
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
`;

describe.skipIf(!canRun)("load balancer (HAProxy) on a real host, driven through the pool", () => {
  let ip: string;
  let conn: Connection;
  let pool: HaproxyPool;
  let pki: TestPki;
  let caPem: string;
  const servers: LbServer[] = [{ name: "b1", address: "127.0.0.1", port: 9441 }, { name: "b2", address: "127.0.0.1", port: 9442 }];
  let leafCache: ReturnType<TestPki["leaf"]>;
  const step = (s: LbServer[] = servers) => loadBalancerStep({ domain: DOMAIN, certificate: leafCache.fullchain, privateKey: leafCache.key, servers: s, healthCheckPath: "/api/health" });

  const apply = async (s = step()) => {
    const ssh = await connect(conn, { dialBudgetMs: 20_000 });
    try {
      const r = await runScript(ssh, conn.user, applyScript(s));
      if (r.code !== 0) throw new Error(`loadbalancer step failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
      return splitProbe(r.stdout);
    } finally {
      ssh.dispose();
    }
  };

  const probe = async () => {
    const ssh = await connect(conn, { dialBudgetMs: 20_000 });
    try {
      return splitProbe((await runScript(ssh, conn.user, probeScript(step()))).stdout).probe;
    } finally {
      ssh.dispose();
    }
  };

  /** One request through the LB's :443 on a new connection: status and body, or the error. */
  const request = (path: string, o: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {}) =>
    new Promise<{ status: number; body: string; alpn?: string }>((resolve, reject) => {
      const req = https.request({ host: ip, port: 443, servername: DOMAIN, ca: caPem, path, method: o.method ?? "GET", agent: false, headers: { Host: DOMAIN, ...(o.method === "POST" ? { "Content-Type": "application/json", "Content-Length": "2" } : {}), ...o.headers }, timeout: o.timeoutMs ?? 10_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", reject);
      req.end(o.method === "POST" ? "{}" : undefined);
    });
  const backendCount = (port: number): Record<string, number> => JSON.parse(hostCmd(HOST, `curl -sk https://127.0.0.1:${port}/count`));
  const member = async (id: string) => (await pool.members()).find((m) => m.id === id)!;
  const until = async (what: string, ok: () => Promise<boolean>, ms = 15_000) => {
    const t0 = Date.now();
    while (!(await ok())) {
      if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return Date.now() - t0;
  };

  beforeAll(async () => {
    const rec = bootHost(HOST);
    ip = rec.host;
    conn = { host: ip, port: 22, user: "root", hostKey: readTesthost(HOST).hostKey, privateKey: fs.readFileSync(rec.privateKeyPath, "utf8") };
    pki = new TestPki();
    caPem = pki.rootPem;
    leafCache = pki.leaf(DOMAIN);
    // the stand-in servers, as transient units (systemctl stop/start them below); b1 drops /die
    hostCmd(HOST, `set -e
install -d /opt/lbtest
cat > /opt/lbtest/backend.py <<'PY'
${BACKEND_PY}
PY
cd /opt/lbtest
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=${DOMAIN} -keyout key.pem -out cert.pem 2>/dev/null
systemd-run --quiet --unit=lbtest-b1 python3 /opt/lbtest/backend.py b1 9441 /opt/lbtest/cert.pem /opt/lbtest/key.pem die
systemd-run --quiet --unit=lbtest-b2 python3 /opt/lbtest/backend.py b2 9442 /opt/lbtest/cert.pem /opt/lbtest/key.pem keep
for p in 9441 9442; do for _ in $(seq 1 40); do curl -skf https://127.0.0.1:$p/api/health >/dev/null && break; sleep 0.25; done; done
`);
    const t0 = Date.now();
    const r = await apply();
    console.log(`loadbalancer step, cold (haproxy + socat installed): ${((Date.now() - t0) / 1000).toFixed(1)}s\n${r.log.trim()}`);
    pool = new HaproxyPool({ connection: conn });
    await until("both servers up", async () => (await pool.members()).every((m) => m.health === "healthy"));
  });
  afterAll(async () => {
    await pool?.close();
    pki?.cleanup();
  });

  it("the pool shows both servers healthy at full weight, with HAProxy's check in the detail", async () => {
    const ms = await pool.members();
    expect(ms.map((m) => m.id)).toEqual(["b1", "b2"]);
    for (const m of ms) {
      expect(m.weight).toBe(FULL_WEIGHT);
      expect(m.health).toBe("healthy");
      expect(m.active).toBe(0);
      expect(m.detail).toMatch(/^UP; L7OK 200 in \d+ ms: Layer7 check passed$/);
    }
    // one SSH connection for the pool's life; a dropped one is dialled again, once
    const before = sshStats.connections;
    for (let i = 0; i < 5; i++) await pool.members();
    expect(sshStats.connections).toBe(before);
    (await (pool as unknown as { ssh: Promise<{ dispose(): void }> }).ssh).dispose();
    expect((await pool.members()).length).toBe(2);
    expect(sshStats.connections).toBe(before + 1);
    // openPool from a spec opens the same pool
    const p2 = openPool({ kind: "haproxy", connection: conn });
    try {
      expect((await p2.members()).map((m) => m.weight)).toEqual([100, 100]);
    } finally {
      await p2.close();
    }
  });

  it("requests through :443 reach both servers; 80 redirects; TLS below 1.2 is refused; the admin socket is root's", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await request("/")).body);
    expect([...seen].sort()).toEqual(["b1", "b2"]);
    const redirect = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "--max-time", "5", "-H", `Host: ${DOMAIN}`, `http://${ip}/api/x?y=1`], { encoding: "utf8" });
    expect(redirect.stdout).toBe(`301 https://${DOMAIN}/api/x?y=1`);
    // TLS 1.1 offered with every cipher the client has (SECLEVEL=0: OpenSSL 3 would refuse 1.1 itself)
    const tls = (v: string) => spawnSync("openssl", ["s_client", "-connect", `${ip}:443`, "-servername", DOMAIN, v, "-cipher", "DEFAULT@SECLEVEL=0"], { input: "", encoding: "utf8", timeout: 10_000 });
    expect(tls("-tls1_2").status).toBe(0);
    expect(tls("-tls1_1").status).not.toBe(0);
    const ca = `${pki.dir}/lb-root.pem`;
    fs.writeFileSync(ca, caPem);
    const h2 = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_version}", "--http2", "--cacert", ca, "--resolve", `${DOMAIN}:443:${ip}`, "--max-time", "5", `https://${DOMAIN}/`], { encoding: "utf8" });
    expect(h2.stdout, h2.stderr).toBe("2");
    // the servers see the client's real address, not one it claims, and the scheme
    const h = JSON.parse((await request("/headers", { headers: { "X-Forwarded-For": "6.6.6.6" } })).body);
    expect(h.xff).toEqual(["198.18.0.1"]);
    expect(h.xfp).toBe("https");
    expect(hostCmd(HOST, "stat -c '%a %U' /run/haproxy/admin.sock /etc/haproxy/aistudio.pem")).toBe("600 root\n600 root\n");
  });

  it("a request that reached a server is made again only when it is a GET: a dropped POST is a 502, never sent twice", async () => {
    const before1 = backendCount(9441), before2 = backendCount(9442);
    const gets = await Promise.all([0, 1, 2, 3].map(() => request("/die")));
    expect(gets.map((g) => g.status)).toEqual([200, 200, 200, 200]);
    expect(gets.every((g) => g.body === "b2")).toBe(true);
    const posts: number[] = [];
    for (let i = 0; i < 4; i++) posts.push((await request("/die", { method: "POST" })).status);
    const after1 = backendCount(9441), after2 = backendCount(9442);
    const d = (a: Record<string, number>, b: Record<string, number>, k: string) => (a[k] ?? 0) - (b[k] ?? 0);
    console.log(`GET /die: b1 dropped ${d(after1, before1, "GET /die")}, all 4 answered by b2; POST /die: ${posts.join(" ")}`);
    expect(d(after1, before1, "GET /die")).toBeGreaterThan(0);
    const failed = posts.filter((s) => s === 502).length;
    expect(failed).toBeGreaterThan(0);
    // each POST b1 dropped is a 502 and was not made again on b2
    expect(d(after1, before1, "POST /die")).toBe(failed);
    expect(d(after2, before2, "POST /die")).toBe(4 - failed);
  });

  it("drain takes b1 out: the request it holds finishes, drain returns when it is idle, then only b2 answers", async () => {
    // two slow requests: round robin gives one to each server
    const slow = [request("/slow?s=3"), request("/slow?s=3")];
    await until("b1 busy", async () => ((await member("b1")).active ?? 0) > 0, 5_000);
    const ms = await drain(pool, "b1", { timeoutMs: 20_000, pollMs: 200 });
    const m = await member("b1");
    console.log(`drain b1: ${ms} ms until its request in flight finished; b1 now ${m.detail} weight ${m.weight}`);
    expect(ms).toBeGreaterThan(1000);
    expect(m.weight).toBe(0);
    expect(m.active).toBe(0);
    expect(m.health).toBe("healthy");
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    for (let i = 0; i < 6; i++) expect((await request("/")).body).toBe("b2");
  });

  it("a stopped server is reported unhealthy with HAProxy's reason; restore brings b1 back", async () => {
    hostCmd(HOST, "systemctl stop lbtest-b2");
    const waited = await until("b2 unhealthy", async () => (await member("b2")).health === "unhealthy");
    const b2 = await member("b2");
    console.log(`b2 stopped: unhealthy after ${waited} ms: ${b2.detail}`);
    expect(b2.detail).toMatch(/^DOWN; L4CON in \d+ ms: Connection refused/);
    const back = await restore(pool, "b1", { timeoutMs: 20_000, pollMs: 200 });
    expect((await member("b1")).weight).toBe(FULL_WEIGHT);
    expect((await request("/")).body).toBe("b1");
    hostCmd(HOST, "systemctl start lbtest-b2 2>/dev/null || systemd-run --quiet --unit=lbtest-b2 python3 /opt/lbtest/backend.py b2 9442 /opt/lbtest/cert.pem /opt/lbtest/key.pem keep");
    const up = await until("b2 healthy again", async () => (await member("b2")).health === "healthy");
    console.log(`restore b1: healthy after ${back} ms; b2 restarted: healthy after ${up} ms`);
  });

  it("reloads under load (the step's, then Debian's own) lose no request; the step's keeps a weight the rollout set", async () => {
    await pool.setWeight("b1", 50);
    let done = 0;
    const failures: string[] = [];
    const t0 = Date.now();
    const worker = async () => {
      while (done < 200 && Date.now() - t0 < 60_000) {
        done++;
        try {
          // 50 ms each on the server: the 200 requests span both reloads
          const r = await request("/slow?s=0.05");
          if (r.status !== 200) failures.push(`HTTP ${r.status}`);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    await new Promise((r) => setTimeout(r, 300));
    // a config change applied by the step (the servers' order) is a reload of ours
    const r = await apply(step([...servers].reverse()));
    const atStep = done;
    expect(r.log).toContain("reloading haproxy");
    expect((await member("b1")).weight).toBe(50);
    hostCmd(HOST, "systemctl reload haproxy");
    const atDebian = done;
    await load;
    console.log(`reloads under load: ${done} requests, 4 at a time, ${((Date.now() - t0) / 1000).toFixed(1)}s (the step's reload done at request ${atStep}, Debian's at ${atDebian}), failed ${failures.length} ${failures.slice(0, 5).join("; ")}`);
    expect(atDebian).toBeLessThan(200);
    expect(failures).toEqual([]);
    expect(done).toBe(200);
    // Debian's reload starts from the config: the runtime weight is gone
    expect((await member("b1")).weight).toBe(FULL_WEIGHT);
  });

  it("the step's own reload keeps a weight set at runtime; a second apply changes nothing; a hand edit shows in the probe", async () => {
    await pool.setWeight("b1", 40);
    await apply(step());
    expect((await member("b1")).weight).toBe(40);
    await pool.setWeight("b1", FULL_WEIGHT);
    const a = await apply(step());
    const b = await apply(step());
    expect(b.log).not.toContain("reloading");
    expect(b.probe).toBe(a.probe);
    expect(b.probe).toMatch(/^unit\thaproxy\tenabled=enabled\tactive=active$/m);
    expect(b.probe).toContain(`haproxy-server\tb1\tline=127.0.0.1:9441 ssl verify none sni str(${DOMAIN}) check check-sni ${DOMAIN} weight 100`);
    expect(b.probe).toMatch(/^socket\t\/run\/haproxy\/admin.sock\tmode=600\towner=root:/m);
    expect(b.probe).toMatch(/^key\t\/etc\/haproxy\/aistudio.pem\tmode=600\towner=root:root\tmatches=yes$/m);
    hostCmd(HOST, "sed -i 's/127.0.0.1:9442/127.0.0.2:9442/' /etc/haproxy/haproxy.cfg");
    const c = await probe();
    expect(c).toContain("haproxy-server\tb2\tline=127.0.0.2:9442");
    expect(c.split("\n").find((l) => l.startsWith("file\t/etc/haproxy/haproxy.cfg"))).not.toBe(a.probe.split("\n").find((l) => l.startsWith("file\t/etc/haproxy/haproxy.cfg")));
    // the next apply puts it back
    expect((await apply()).probe).toBe(a.probe);
  });
});
