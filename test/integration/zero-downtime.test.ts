// Restarts that queue instead of fail (issue #14): systemd holds the app's listening socket
// (aistudio.socket), so an environment change and a unit change restart gunicorn under a bounded
// load of the guide's POST /api/user/visit with 0 failed requests; a killed gunicorn master comes
// back without Pulumi. nginx makes a second attempt of a GET gunicorn dropped, never of a POST; a
// killed nginx master and a reboot bring the site back by themselves. One host for the file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireHosts } from "../support/capability";
import { bootHost, hostCmd, hostCmdResult, localConfig, TestStack } from "../support/hosts";
import { LoadGenerator, LoadResult } from "../../bench/load";
import { httpsRequest, visit } from "../../checks/visit";

/**
 * A stand-in for gunicorn on 127.0.0.1:8000 (python3's standard library only): for each method, the
 * first connection (and every odd one) is closed right after the request was read, without an answer
 * (a worker killed mid-request); the next is answered 200 JSON. The connections per method are
 * written to the file after each one.
 */
const DROP_FIRST_STUB = String.raw`import json, os, socket, sys
counts = {}
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(16)
while True:
    c, _ = srv.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method = lines[0].split(" ")[0] or "?"
    length = next((int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:")), 0)
    while len(body) < length:
        chunk = c.recv(65536)
        if not chunk:
            break
        body += chunk
    counts[method] = counts.get(method, 0) + 1
    with open(sys.argv[2] + ".tmp", "w") as f:
        json.dump(counts, f)
    os.replace(sys.argv[2] + ".tmp", sys.argv[2])
    if counts[method] % 2 == 1:
        c.close()
        continue
    out = json.dumps({"success": True, "connection": counts[method]}).encode()
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out))
    c.close()
`;
const STUB = "/root/drop-first-stub.py";
const STUB_COUNTS = "/run/drop-first-stub.json";
const STUB_PID = "/run/drop-first-stub.pid";

const canRun = requireHosts();
const HOST = "it-zero";
const DOMAIN = "photogooo.com";

describe.skipIf(!canRun)("zero failed requests: gunicorn restarts behind systemd's socket", () => {
  let ip: string;
  let ca: string;
  let stack: TestStack;
  const config = (workers: number) => localConfig(HOST, { app: { dir: "provision/sample-app", workers } });

  /** Runs `change` while the bounded load runs (4 at a time, keep-alive off, at most 60 s / 20,000 requests). */
  const underLoad = async (change: () => Promise<void>): Promise<LoadResult> => {
    const gen = new LoadGenerator({ address: ip, domain: DOMAIN, ca, concurrency: 4, maxRequests: 20_000, maxSeconds: 60 }).start();
    await new Promise((r) => setTimeout(r, 1500));
    await change();
    await new Promise((r) => setTimeout(r, 1500));
    const load = await gen.stop();
    console.log(`[zero-downtime] ${load.requests} requests, ${load.failed} failed, longest gap ${load.longestGapMs} ms, p99 ${load.p99Ms} ms`);
    return load;
  };

  beforeAll(async () => {
    ip = bootHost(HOST).host;
    stack = new TestStack("itzero", config(2));
    await stack.init();
    await stack.setSecrets({ appEnv: JSON.stringify({ SECRET_KEY: "it-zero-secret-1" }) });
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    ca = hostCmd(HOST, "cat /etc/aistudio/tls/fullchain.pem");
  });
  afterAll(() => stack?.cleanup());

  it("systemd holds 127.0.0.1:8000 and hands it to gunicorn", () => {
    expect(hostCmd(HOST, "systemctl is-active aistudio.socket aistudio").trim().split("\n")).toEqual(["active", "active"]);
    const listeners = hostCmd(HOST, "ss -Htlnp '( sport = :8000 )'");
    expect(listeners).toMatch(/127\.0\.0\.1:8000/);
    expect(listeners).toMatch(/systemd/);
    expect(listeners).toMatch(/python|gunicorn/);
  });

  it("an environment change restarts gunicorn with 0 failed requests", async () => {
    await stack.setSecrets({ appEnv: JSON.stringify({ SECRET_KEY: "it-zero-secret-2" }) });
    const before = hostCmd(HOST, "systemctl show -p MainPID --value aistudio").trim();
    const load = await underLoad(async () => {
      const r = await stack.up();
      expect(r.code, r.stdout + r.stderr).toBe(0);
    });
    // gunicorn was restarted (a new master), the socket was not
    expect(hostCmd(HOST, "systemctl show -p MainPID --value aistudio").trim()).not.toBe(before);
    expect(load.requests).toBeGreaterThan(20);
    expect(load.failed, load.failures.join("\n")).toBe(0);
  });

  it("a unit change (more workers) restarts gunicorn with 0 failed requests", async () => {
    await stack.reconfigure(config(3));
    const socketSince = hostCmd(HOST, "systemctl show -p ActiveEnterTimestampMonotonic --value aistudio.socket").trim();
    const load = await underLoad(async () => {
      const r = await stack.up();
      expect(r.code, r.stdout + r.stderr).toBe(0);
    });
    expect(hostCmd(HOST, "systemctl show -p ExecStart aistudio")).toMatch(/--workers 3/);
    expect(hostCmd(HOST, "systemctl show -p ActiveEnterTimestampMonotonic --value aistudio.socket").trim(), "the socket stayed up").toBe(socketSince);
    expect(load.failed, load.failures.join("\n")).toBe(0);
  });

  it("a killed gunicorn master comes back by itself (no Pulumi); requests queue meanwhile", async () => {
    const before = hostCmd(HOST, "systemctl show -p MainPID --value aistudio").trim();
    const load = await underLoad(async () => {
      hostCmd(HOST, "kill -KILL $(systemctl show -p MainPID --value aistudio)");
      for (let i = 0; i < 60 && hostCmd(HOST, "systemctl is-active aistudio || true").trim() !== "active"; i++) await new Promise((r) => setTimeout(r, 500));
    });
    expect(hostCmd(HOST, "systemctl is-active aistudio").trim()).toBe("active");
    expect(hostCmd(HOST, "systemctl show -p MainPID --value aistudio").trim()).not.toBe(before);
    // the requests the killed workers were serving may fail; nothing that arrived later does
    expect(load.failed, load.failures.join("\n")).toBeLessThanOrEqual(4);
    expect(load.ok).toBeGreaterThan(20);
  });

  it("a GET gunicorn dropped is made once more by nginx; a POST never (it gets the JSON 502)", async () => {
    const target = { domain: DOMAIN, connectTo: ip, ca };
    const counts = (): Record<string, number> => JSON.parse(hostCmd(HOST, `cat ${STUB_COUNTS} 2>/dev/null || echo '{}'`));
    try {
      hostCmd(HOST, `systemctl stop aistudio.socket aistudio
cat >${STUB} <<'PY'
${DROP_FIRST_STUB}PY
rm -f ${STUB_COUNTS}
setsid python3 ${STUB} 8000 ${STUB_COUNTS} </dev/null >/run/drop-first-stub.log 2>&1 &
echo $! >${STUB_PID}
for _ in $(seq 50); do ss -Htln '( sport = :8000 )' | grep -q 127.0.0.1:8000 && exit 0; sleep 0.1; done
cat /run/drop-first-stub.log; exit 1`);

      const get = await httpsRequest(target, "GET", "/api/retry-probe");
      expect(get.status, get.body).toBe(200);
      expect(JSON.parse(get.body)).toEqual({ success: true, connection: 2 });
      expect(counts(), "the GET: dropped once, made again").toEqual({ GET: 2 });

      const post = await httpsRequest(target, "POST", "/api/user/visit", JSON.stringify({ sessionId: "it-zero-retry", type: "launch" }));
      expect(post.status, post.body).toBe(502);
      expect(post.headers["content-type"]).toMatch(/^application\/json/);
      expect(JSON.parse(post.body)).toMatchObject({ success: false, error: "bad_gateway" });
      expect(counts(), "the POST: sent once, never again").toEqual({ GET: 2, POST: 1 });
      console.log(`[zero-downtime] retry: GET made twice (200), POST once (502 JSON); stub saw ${JSON.stringify(counts())}`);
    } finally {
      hostCmd(HOST, `[ -f ${STUB_PID} ] && kill "$(cat ${STUB_PID})" 2>/dev/null; rm -f ${STUB_PID}; sleep 0.2; systemctl start aistudio.socket aistudio`);
    }
    const back = await visit(target, "it-zero-after-retry");
    expect(back.ok, back.problems.join("\n")).toBe(true);
  });

  it("a killed nginx master comes back by itself (its restart drop-in); the smoke request passes again", async () => {
    const target = { domain: DOMAIN, connectTo: ip, ca, timeoutMs: 3_000 };
    const before = hostCmd(HOST, "systemctl show -p MainPID --value nginx").trim();
    expect(Number(before)).toBeGreaterThan(0);
    const t0 = Date.now();
    hostCmd(HOST, `kill -KILL ${before}`);
    let back = false;
    while (!back && Date.now() - t0 < 60_000) {
      await new Promise((r) => setTimeout(r, 500));
      const now = hostCmd(HOST, "systemctl show -p MainPID --value nginx").trim();
      if (now === "0" || now === before) continue;
      back = (await visit(target, "it-zero-nginx").catch(() => ({ ok: false }))).ok;
    }
    console.log(`[zero-downtime] nginx SIGKILL: a new master and the smoke request after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(back, "nginx did not come back with a new master within 60 s").toBe(true);
    expect(Number(hostCmd(HOST, "systemctl show -p NRestarts --value nginx").trim())).toBeGreaterThanOrEqual(1);
  });

  it("a reboot brings it back: the socket, nginx and the firewall start by themselves and the smoke request passes", async () => {
    const target = { domain: DOMAIN, connectTo: ip, ca, timeoutMs: 3_000 };
    const bootId = () => hostCmdResult(HOST, "cat /proc/sys/kernel/random/boot_id").out.trim();
    const before = bootId();
    expect(before).toMatch(/^[0-9a-f-]{36}$/);
    const t0 = Date.now();
    // the SSH session may be cut by the shutdown: its exit status says nothing
    hostCmdResult(HOST, "systemctl reboot");
    let back = false;
    while (!back && Date.now() - t0 < 90_000) {
      await new Promise((r) => setTimeout(r, 1000));
      // an answer from before the shutdown does not count: the new boot first, then the request
      const now = bootId();
      if (!/^[0-9a-f-]{36}$/.test(now) || now === before) continue;
      back = (await visit(target, "it-zero-reboot").catch(() => ({ ok: false }))).ok;
    }
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`[zero-downtime] reboot: the smoke request passed again after ${seconds} s`);
    expect(back, `the smoke request did not pass within 90 s of the reboot`).toBe(true);
    expect(hostCmd(HOST, "systemctl is-active aistudio.socket aistudio nginx").trim().split("\n")).toEqual(["active", "active", "active"]);
    expect(hostCmd(HOST, "systemctl is-enabled aistudio.socket aistudio nginx").trim().split("\n")).toEqual(["enabled", "enabled", "enabled"]);
    expect(hostCmd(HOST, "ufw status")).toMatch(/^Status: active/m);
  });
});
