// Restarts that queue instead of fail (issue #14): systemd holds the app's listening socket
// (aistudio.socket), so an environment change and a unit change restart gunicorn under a bounded
// load of the guide's POST /api/user/visit with 0 failed requests; a killed gunicorn master comes
// back without Pulumi. One host for the file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireHosts } from "../support/capability";
import { bootHost, hostCmd, localConfig, TestStack } from "../support/hosts";
import { LoadGenerator, LoadResult } from "../../bench/load";

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
});
