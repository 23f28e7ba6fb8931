// Reliability under load (issue #14), on one test host with a data volume, each case under the
// same bounded load generator (POST /api/user/visit, 4 at a time, keep-alive off):
//   changes     every kind of change `pulumi up` makes: nginx site (reload), new release (graceful
//               gunicorn reload), env file and unit (gunicorn restart behind systemd's socket).
//               Failed requests and the longest gap; the goal is 0 failed.
//   recoveries  a gunicorn worker, the gunicorn master, nginx SIGKILLed; the host rebooted: seconds
//               until the server is whole again (the service back, the smoke request passing) and
//               the requests that failed meanwhile. Nothing but systemd brings them back.
//   disk full   the data volume filled to the last block: what a visit, an upload and a read answer,
//               what the doctor says, and after the space comes back: visits answered, no visit
//               lost or invented, the SQLite database intact, no half-written upload.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { httpsRequest } from "../checks/visit";
import { readAppDir } from "../infra/app-source";
import { readTesthost } from "../infra/testhost";
import { booted, downHost, hostCmd } from "./hosts";
import { LoadGenerator, LoadResult } from "./load";
import { REPO, TESTHOST, say } from "./repo";
import { BenchStack, benchConfig } from "./stack";
import { round } from "./stats";

export const REL_HOST = "bn-rel";
const VOLUME = "bn-rel-data";
const DOMAIN = "photogooo.com";
const DATA_DIR = "/var/lib/aistudio";

export interface ChangeResult { upSeconds: number; upCode: number; summary: Record<string, number>; load: LoadResult }
export interface Recovery {
  /** Seconds from the fault until the server was whole again; null: not within the bound. */
  seconds: number | null;
  requests: number;
  failed: number;
  longestGapMs: number;
  /** What "whole" meant for this case. */
  whole: string;
}
export interface DiskFull {
  whileFull: { visit: string; upload: string; health: string; doctor: string };
  load: LoadResult;
  /** Seconds from freeing the space until a visit was stored again. */
  recoverySeconds: number | null;
  after: { visitsBefore: number; visitsStored: number; visitsAfter: number; lost: number; integrity: string; partialUploads: number };
}
export interface ReliabilityResults {
  changes: Record<string, ChangeResult>;
  recovery: Record<string, Recovery>;
  diskFull?: DiskFull;
  /** Cases that could not be measured (the others still are). */
  errors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The reliability host's config: the bench stack on a data volume (SQLite in the data dir). */
function relConfig(o: { workers?: number; extraServerConfig?: string; appDir?: string } = {}): Record<string, unknown> {
  const base = benchConfig(REL_HOST, { extraServerConfig: o.extraServerConfig, appDir: o.appDir });
  return { ...base, app: { ...(base.app as object), workers: o.workers ?? 2 }, data: { volume: true } };
}

export async function reliabilityBench(
  newStack: (tag: string, config: Record<string, unknown>) => Promise<BenchStack>,
  secretEnv: Record<string, string>,
  work: string,
): Promise<ReliabilityResults> {
  say(`reliability: test host ${REL_HOST} with data volume ${VOLUME}`);
  booted.add(REL_HOST);
  try { execFileSync("bash", [TESTHOST, "down", REL_HOST], { stdio: "ignore" }); } catch { /* not there */ }
  try { execFileSync("bash", [TESTHOST, "volume", "rm", VOLUME], { stdio: "ignore" }); } catch { /* not there */ }
  execFileSync("bash", [TESTHOST, "up", REL_HOST, "--volume", VOLUME], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, AISTUDIO_VOLUME_SIZE: "1G" } });
  const ip = readTesthost(REL_HOST).host;
  const stack = await newStack("rel", relConfig());
  say("reliability: deploying");
  const first = await stack.up();
  if (first.code !== 0) throw new Error(`reliability: pulumi up failed:\n${(first.stdout + first.stderr).slice(-4000)}`);
  const ca = await hostCmd(REL_HOST, "cat /etc/aistudio/tls/fullchain.pem");
  const load = () => new LoadGenerator({ address: ip, domain: DOMAIN, ca, concurrency: 4, maxRequests: 50_000, maxSeconds: 300 }).start();
  const target = { domain: DOMAIN, connectTo: ip, ca, timeoutMs: 3000 };
  const visit = (session = "bench-smoke") => httpsRequest(target, "POST", "/api/user/visit", JSON.stringify({ sessionId: session, type: "launch" }));
  const smokeOk = async () => {
    try {
      const r = await visit();
      return r.status === 200 && JSON.parse(r.body).success === true;
    } catch {
      return false;
    }
  };

  const out: ReliabilityResults = { changes: {}, recovery: {}, errors: [] };
  /** Runs one case; a case that breaks is reported and the next one still runs. */
  const measure = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      out.errors.push(`${what}: ${(e as Error).message.slice(0, 1000)}`);
      say(`reliability: ${what} FAILED: ${(e as Error).message.slice(0, 500)}`);
    }
  };
  try {
    // --- changes -------------------------------------------------------------------------
    const app2 = path.join(work, "app-release-2");
    fs.mkdirSync(app2, { recursive: true });
    for (const f of readAppDir(path.join(REPO, "provision/sample-app"))) {
      fs.mkdirSync(path.dirname(path.join(app2, f.rel)), { recursive: true });
      fs.writeFileSync(path.join(app2, f.rel), f.content);
    }
    fs.appendFileSync(path.join(app2, "app.py"), "\n# bench: release 2\n");
    const extra = 'add_header X-Bench-Revision "b" always;';
    const cases: [string, string, () => Promise<void>][] = [
      ["nginxChange", "nginx site change (reload)", () => stack.reconfigure(relConfig({ extraServerConfig: extra }))],
      ["newRelease", "new app release (graceful gunicorn reload)", () => stack.reconfigure(relConfig({ extraServerConfig: extra, appDir: app2 }))],
      ["envRestart", "env file change (gunicorn restart, socket kept)", () => stack.setSecrets({ appEnv: JSON.stringify({ ...secretEnv, BENCH_REVISION: "2" }) })],
      ["unitChange", "unit change, workers 2 -> 3 (gunicorn restart, socket kept)", () => stack.reconfigure(relConfig({ extraServerConfig: extra, appDir: app2, workers: 3 }))],
    ];
    for (const [key, what, change] of cases) {
      await change();
      say(`reliability: ${what}: pulumi up under load`);
      const gen = load();
      await sleep(2000);
      const up = await stack.up();
      await sleep(2000);
      const l = await gen.stop();
      out.changes[key] = { upSeconds: round(up.seconds, 2), upCode: up.code, summary: up.changes, load: l };
      say(`reliability: ${what}: up ${up.code === 0 ? "ok" : "FAILED"} in ${up.seconds.toFixed(1)} s; ${l.requests} requests, ${l.failed} failed, longest gap ${l.longestGapMs} ms`);
    }
    const workers = 3;

    // --- recoveries ----------------------------------------------------------------------
    const mainPid = async (unit: string) => (await hostCmd(REL_HOST, `systemctl show -p MainPID --value ${unit}`)).trim();
    const workerCount = async () => Number((await hostCmd(REL_HOST, "pgrep -c -P \"$(systemctl show -p MainPID --value aistudio)\" || true")).trim() || 0);
    const recover = (key: string, what: string, whole: string, fault: () => Promise<unknown>, isWhole: () => Promise<boolean>, boundMs = 120_000) => measure(what, async () => {
      say(`reliability: ${what} under load`);
      const gen = load();
      await sleep(2000);
      const t0 = Date.now();
      await fault().catch(() => undefined); // a reboot drops the SSH session that asked for it
      let seconds: number | null = null;
      while (Date.now() - t0 < boundMs) {
        const okNow = await isWhole().catch(() => false);
        if (okNow && (await smokeOk())) {
          seconds = round((Date.now() - t0) / 1000, 2);
          break;
        }
        await sleep(200);
      }
      await sleep(2000);
      const l = await gen.stop();
      out.recovery[key] = { seconds, requests: l.requests, failed: l.failed, longestGapMs: l.longestGapMs, whole };
      say(`reliability: ${what}: ${seconds === null ? `NOT whole within ${boundMs / 1000} s` : `whole after ${seconds} s`}; ${l.requests} requests, ${l.failed} failed, longest gap ${l.longestGapMs} ms`);
    });
    await recover("workerKill", "a gunicorn worker SIGKILLed", `${workers} workers again, smoke passes`,
      () => hostCmd(REL_HOST, "kill -KILL $(pgrep -P \"$(systemctl show -p MainPID --value aistudio)\" | head -1)"),
      async () => (await workerCount()) === workers);
    const master = await mainPid("aistudio");
    await recover("masterKill", "the gunicorn master SIGKILLed", "aistudio active with a new master and all workers, smoke passes",
      () => hostCmd(REL_HOST, `kill -KILL ${master}`),
      async () => { const p = await mainPid("aistudio"); return p !== "0" && p !== master && (await workerCount()) === workers; });
    const nginx = await mainPid("nginx");
    await recover("nginxKill", "the nginx master SIGKILLed", "nginx active with a new master, smoke passes",
      () => hostCmd(REL_HOST, `kill -KILL ${nginx}`),
      async () => { const p = await mainPid("nginx"); return p !== "0" && p !== nginx; });
    // whole only in the new boot: right after `systemctl reboot` returns, the old one still answers
    const bootId = (await hostCmd(REL_HOST, "cat /proc/sys/kernel/random/boot_id")).trim();
    await recover("reboot", "the host rebooted (systemctl reboot)", "a new boot, nginx and aistudio.socket active, smoke passes",
      () => hostCmd(REL_HOST, "systemctl reboot", 15_000),
      async () => {
        const now = (await hostCmd(REL_HOST, "cat /proc/sys/kernel/random/boot_id; systemctl is-active nginx aistudio.socket >/dev/null && echo up", 5_000)).trim().split("\n");
        return now[0] !== bootId && now[1] === "up";
      }, 180_000);

    // --- disk full -----------------------------------------------------------------------
    await measure("disk full", async () => { out.diskFull = await diskFull(stack, visit); });
  } finally {
    await downHost(REL_HOST);
    try { execFileSync("bash", [TESTHOST, "volume", "rm", VOLUME], { stdio: "ignore" }); } catch { /* gone */ }
  }
  return out;

  async function diskFull(s: BenchStack, post: typeof visit): Promise<DiskFull> {
    const stats = async () => JSON.parse((await httpsRequest(target, "GET", "/api/visits/stats")).body).count as number;
    const brief = (r: { status: number; body: string }) => `HTTP ${r.status} ${r.body.replace(/\s+/g, " ").slice(0, 90)}`;
    const visitsBefore = await stats();
    say("reliability: disk full: filling the data volume to the last block, under load");
    const gen = load();
    await sleep(2000);
    // as root (past ext4's reserved blocks): most of it at once, then block by block until ENOSPC
    await hostCmd(REL_HOST, `free=$(( $(stat -f -c %a ${DATA_DIR}) * $(stat -f -c %S ${DATA_DIR}) ))
fallocate -l $(( free > 8388608 ? free - 8388608 : 0 )) ${DATA_DIR}/bench-filler 2>/dev/null || true
dd if=/dev/zero of=${DATA_DIR}/bench-filler-2 bs=64k 2>/dev/null || true
dd if=/dev/zero of=${DATA_DIR}/bench-filler-3 bs=1k 2>/dev/null || true
sync; df -h ${DATA_DIR} | tail -1`);
    await sleep(1500);
    const v = await post("bench-full");
    const u = await httpsRequest(target, "POST", "/api/upload?name=full.jpg", "x".repeat(256 * 1024));
    const h = await httpsRequest(target, "GET", "/api/health");
    let doctor = "";
    try {
      execFileSync("node", [path.join(REPO, "bin/aistudio.js"), "doctor", "--stack", s.name, "--config-file", s.configFile, "--json", "--lang", "en"], { cwd: REPO, env: s.env(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      doctor = "doctor passed (no failure)";
    } catch (e) {
      const text = String((e as { stdout?: string }).stdout ?? "");
      try {
        const j = JSON.parse(text) as { results: { id: string; status: string; found?: string }[]; firstFailure: string | null };
        const fails = j.results.filter((r) => r.status === "fail");
        const first = fails.find((r) => r.id === j.firstFailure);
        doctor = `names ${j.firstFailure ?? "nothing"}${first?.found ? ` (${first.found})` : ""}; failing: ${fails.map((r) => `${r.id}: ${(r.found ?? "").replace(/\s+/g, " ").slice(0, 60)}`).join("; ")}`;
      } catch {
        doctor = `doctor output not JSON: ${text.slice(0, 200)}`;
      }
    }
    say(`reliability: disk full: visit ${brief(v)}; upload ${brief(u)}; health ${brief(h)}; doctor: ${doctor}`);
    const t0 = Date.now();
    await hostCmd(REL_HOST, `rm -f ${DATA_DIR}/bench-filler ${DATA_DIR}/bench-filler-2 ${DATA_DIR}/bench-filler-3; sync`);
    let recoverySeconds: number | null = null;
    while (Date.now() - t0 < 60_000) {
      if (await smokeOk()) { recoverySeconds = round((Date.now() - t0) / 1000, 2); break; }
      await sleep(200);
    }
    await sleep(2000);
    const l = await gen.stop();
    const visitsAfter = await stats();
    // every visit answered success:true is stored: the load's, the smoke checks' (counted by the server) and none invented
    const integrity = (await hostCmd(REL_HOST, `python3 -c 'import sqlite3; print(sqlite3.connect("file:${DATA_DIR}/aistudio.sqlite3?mode=ro", uri=True).execute("pragma integrity_check").fetchone()[0])'`)).trim();
    const partialUploads = Number((await hostCmd(REL_HOST, `find ${DATA_DIR}/media -name '.incoming-*' | wc -l`)).trim());
    const stored = visitsAfter - visitsBefore;
    say(`reliability: disk full: space back after ${recoverySeconds ?? "-"} s; load ${l.requests} requests, ${l.ok} ok, ${l.failed} failed; visits ${visitsBefore} -> ${visitsAfter}; integrity ${integrity}; partial uploads ${partialUploads}`);
    return {
      whileFull: { visit: brief(v), upload: brief(u), health: brief(h), doctor },
      load: l,
      recoverySeconds,
      // the load's successes are a lower bound of what was stored (the smoke checks add theirs)
      after: { visitsBefore, visitsStored: stored, visitsAfter, lost: Math.max(0, l.ok - stored), integrity, partialUploads },
    };
  }
}
