// Rollout figures for a fleet behind the load balancer (issue #15): for each size N, a fleet of N
// test hosts (br-fN, br-fN-2 … br-fN-N) behind HAProxy on br-fN-lb, with the shared PostgreSQL
// (br-db, scripts/dbhost.sh) and uploads store (br-s3, scripts/objectstore.sh) booted once for all
// sizes. Per size: our cold deploy (timed), then, each under the same bounded load through the
// load balancer (POST /api/user/visit, 4 at a time, keep-alive off), a new app release
//   - ours, rolling: `pulumi up` with servers.maxUnavailable 1 (the default);
//   - ours, most at once: maxUnavailable N-1, the most the config allows (a rollout keeps one serving);
//   - Ansible, serial: 1: bench/ansible/rolling.yml, each server drained in HAProxy (weight 0 over the
//     admin socket, delegated to the LB host), deployed, checked and put back (weight 100);
//   - Ansible, all at once: the same playbook with serial 100% and no drain (every server deploys and
//     reloads at once, the load balancer keeps sending to all).
// N = 1 is one server and no load balancer (servers.count 1 cannot have one): the same shared
// database, store and TLS, the load straight to the server; ours is a plain `pulumi up`, Ansible the
// same playbook without its load-balancer tasks.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import type { TesthostRecord } from "../infra/testhost";
import { TestPki } from "../test/support/certs";
import { AnsibleProject } from "./ansible";
import { booted as benchHosts, bootHost, downHost } from "./hosts";
import { LoadGenerator, LoadResult } from "./load";
import { renderAnsibleFiles } from "./render-ansible-files";
import { REPO, TESTHOST, say, sleep } from "./repo";
import type { BenchStack, PulumiRun } from "./stack";
import { round } from "./stats";

const pexec = promisify(execFile);
const DOMAIN = "photogooo.com";
const DB = "br-db";
const S3 = "br-s3";

export interface RolloutOptions {
  sizes: number[];
  loadMaxRequests?: number;
  loadMaxSeconds?: number;
  /** Also the Ansible baseline (default true). */
  ansible?: boolean;
}

/** One deploy of a release under load. */
export interface RolloutFigure {
  /** Wall clock of the deploy (pulumi up / ansible-playbook), seconds. */
  seconds: number;
  /** Its exit code (0: succeeded). */
  code: number;
  requests: number;
  failed: number;
  longestGapMs: number;
  failures: string[];
}

export interface RolloutSize {
  servers: number;
  /** Our cold deploy of the fleet (bare hosts to every server in rotation and the site smoke-tested). */
  cold: { seconds: number; code: number };
  rolling?: RolloutFigure;
  /** Ours at maxUnavailable = N-1 (absent where N-1 is 1, the rolling figure itself, or N = 1). */
  mostAtOnce?: RolloutFigure & { maxUnavailable: number };
  ansibleSerial1?: RolloutFigure;
  ansibleAllAtOnce?: RolloutFigure;
}

export interface RolloutResults {
  sizes: Record<string, RolloutSize>;
  notes: string[];
  errors: string[];
}

export type NewStack = (tag: string, config: Record<string, unknown>) => Promise<BenchStack>;

/** The test host names of a fleet of n (the first, then -2 … -n; the LB host when n > 1). */
export function fleetNames(n: number): { servers: string[]; lb?: string } {
  const first = `br-f${n}`;
  return { servers: [first, ...Array.from({ length: n - 1 }, (_, i) => `${first}-${i + 2}`)], ...(n > 1 ? { lb: `${first}-lb` } : {}) };
}

export async function rolloutBench(o: RolloutOptions, newStack: NewStack, env: Record<string, string>, work: string): Promise<RolloutResults> {
  const out: RolloutResults = { sizes: {}, notes: [], errors: [] };
  const dir = path.join(work, "rollout");
  fs.mkdirSync(dir, { recursive: true });
  const pki = new TestPki();
  const leaf = pki.leaf(DOMAIN);
  let rel = 0;
  /** The sample app as a new release: a copy with a changed comment (as bench/reliability.ts does). */
  const release = (): string => {
    const d = path.join(dir, `release-${++rel}`);
    fs.cpSync(path.join(REPO, "provision/sample-app"), d, { recursive: true, filter: (p) => !/__pycache__|\.pyc$/.test(p) });
    fs.appendFileSync(path.join(d, "app.py"), `\n# rollout bench release ${rel}\n`);
    return d;
  };
  const mine: string[] = [];
  try {
    say(`rollout: booting the shared database ${DB} and uploads store ${S3}`);
    for (const h of [DB, S3]) await pexec("bash", [TESTHOST, "down", h]).catch(() => undefined);
    mine.push(DB, S3);
    benchHosts.add(DB).add(S3); // removed on Ctrl-C with the rest (downAll)
    const [db] = await Promise.all([
      pexec("bash", [path.join(REPO, "scripts/dbhost.sh"), "up", DB], { maxBuffer: 16 << 20 }).then((r) => JSON.parse(r.stdout) as { url: string }),
      pexec("bash", [path.join(REPO, "scripts/objectstore.sh"), "up", S3], { maxBuffer: 16 << 20 }),
    ]);
    for (const n of o.sizes) {
      try {
        out.sizes[String(n)] = await oneSize(n, db.url);
      } catch (e) {
        out.errors.push(`rollout ${n}: ${(e as Error).message.slice(0, 2000)}`);
      }
    }
  } finally {
    for (const h of mine) if (benchHosts.has(h)) await downHost(h);
    pki.cleanup();
  }
  if (o.sizes.includes(1)) out.notes.push("rollout N=1: one server without a load balancer (servers.count 1 has none); the load goes straight to it, Ansible runs without its drain tasks");
  out.notes.push("rollout 'ours most at once' is maxUnavailable = N-1 (the config refuses N: a rollout keeps one serving); for N=2 that is the rolling figure; 'Ansible all at once' is rolling.yml with serial 100% and no drain");
  return out;

  async function oneSize(n: number, dbUrl: string): Promise<RolloutSize> {
    const names = fleetNames(n);
    const all = [...names.servers, ...(names.lb ? [names.lb] : [])];
    say(`rollout ${n}: booting ${all.join(", ")}`);
    mine.push(...all);
    const recs = await Promise.all(all.map((h) => bootHost(h)));
    const servers = recs.slice(0, n);
    const lb: TesthostRecord | undefined = names.lb ? recs[n] : undefined;
    const target = (lb ?? servers[0]).host;
    const config = (appDir: string, maxUnavailable = 1): Record<string, unknown> => ({
      target: "local",
      testhost: names.servers[0],
      domain: DOMAIN,
      wechat: { checks: false },
      smoke: { timeoutSeconds: 60 },
      app: { dir: appDir, workers: 2, preStart: ["python3 migrate.py"] },
      tls: { mode: "provided", certificate: leaf.fullchain, caBundle: pki.rootPem },
      database: { mode: "external" },
      uploads: { store: "s3", objectstore: S3 },
      ...(n > 1 ? { servers: { count: n, ...(maxUnavailable > 1 ? { maxUnavailable } : {}) } } : {}),
    });
    const stack = await newStack(`ro${n}`, config(release()));
    await stack.setSecrets({ tlsPrivateKey: leaf.key, databaseUrl: dbUrl });
    const up = async (what: string): Promise<PulumiRun> => {
      const r = await stack.up();
      if (r.code !== 0) out.errors.push(`rollout ${n}: ${what}: pulumi up exited ${r.code}: ${(r.stderr || r.stdout).slice(-1500)}`);
      return r;
    };
    say(`rollout ${n}: ours: cold deploy of ${n} server${n > 1 ? "s behind the load balancer" : ""}`);
    const c = await up("cold deploy");
    const size: RolloutSize = { servers: n, cold: { seconds: round(c.seconds, 1), code: c.code } };
    say(`rollout ${n}: cold ${c.seconds.toFixed(1)} s (exit ${c.code})`);
    if (c.code !== 0) return size;

    const underLoad = async (what: string, deploy: () => Promise<{ seconds: number; code: number }>): Promise<RolloutFigure> => {
      const gen = new LoadGenerator({ address: target, domain: DOMAIN, ca: pki.rootPem, concurrency: 4, maxRequests: o.loadMaxRequests ?? 30_000, maxSeconds: o.loadMaxSeconds ?? 300 }).start();
      await sleep(1000);
      const d = await deploy();
      await sleep(1000);
      const l: LoadResult = await gen.stop();
      say(`rollout ${n}: ${what}: ${d.seconds.toFixed(1)} s (exit ${d.code}); ${l.requests} requests, ${l.failed} failed, longest gap ${l.longestGapMs} ms${l.failures.length ? `; e.g. ${l.failures[0]}` : ""}`);
      if (l.failed) out.errors.push(`rollout ${n}: ${what}: ${l.failed} of ${l.requests} requests failed (goal 0): ${l.failures.slice(0, 3).join(" | ")}`);
      return { seconds: round(d.seconds, 1), code: d.code, requests: l.requests, failed: l.failed, longestGapMs: l.longestGapMs, failures: l.failures };
    };
    const ours = async (what: string, maxUnavailable: number) => {
      await stack.reconfigure(config(release(), maxUnavailable));
      return underLoad(what, async () => { const r = await up(what); return { seconds: r.seconds, code: r.code }; });
    };
    size.rolling = await ours("ours rolling (maxUnavailable 1)", 1);
    if (n > 2) size.mostAtOnce = { ...(await ours(`ours maxUnavailable ${n - 1}`, n - 1)), maxUnavailable: n - 1 };

    if (o.ansible !== false) {
      const proj = new AnsibleProject(`ro${n}`, servers, { lb });
      try {
        const ansible = (what: string, serial: string, drain: boolean) => {
          const files = renderAnsibleFiles(path.join(dir, `ansible-${n}-${rel + 1}`), { appDir: release(), env });
          return underLoad(what, async () => {
            const r = await proj.run(files.dir, ["-e", JSON.stringify({ rollout_serial: serial, rollout_drain: drain })], "rolling.yml");
            if (r.code !== 0) out.errors.push(`rollout ${n}: ${what}: ansible-playbook exited ${r.code}: ${r.output.slice(-1500)}`);
            return r;
          });
        };
        size.ansibleSerial1 = await ansible("Ansible serial: 1 (drain, deploy, check, restore)", "1", true);
        size.ansibleAllAtOnce = await ansible("Ansible all at once (serial 100%, no drain)", "100%", false);
      } finally {
        proj.cleanup();
      }
    }
    say(`rollout ${n}: removing ${all.join(", ")}`);
    for (const h of all) await downHost(h);
    return size;
  }
}

/** The rollout table's rows: N, cold, ours rolling, ours most at once, Ansible serial: 1, Ansible all at once. */
export function rolloutRows(r: RolloutResults): string[][] {
  const f = (x?: RolloutFigure) => (!x ? "-" : `${x.code === 0 ? x.seconds.toFixed(1) : `FAILED (${x.code})`} / ${x.failed} of ${x.requests}, gap ${(x.longestGapMs / 1000).toFixed(1)}`);
  return Object.entries(r.sizes)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([n, s]) => [
      n,
      s.cold.code === 0 ? s.cold.seconds.toFixed(1) : `FAILED (${s.cold.code})`,
      f(s.rolling),
      s.mostAtOnce ? `${f(s.mostAtOnce)} (at ${s.mostAtOnce.maxUnavailable})` : Number(n) === 2 ? "= rolling" : "-",
      f(s.ansibleSerial1),
      f(s.ansibleAllAtOnce),
    ]);
}

export const ROLLOUT_HEADER = ["N", "cold deploy s", "ours rolling", "ours most at once", "Ansible serial: 1", "Ansible all at once"];

/** Parses --rollout-sizes: "1,2,4" → [1, 2, 4] (1..8, no repeats). */
export function parseSizes(v: string): number[] {
  const xs = v.split(",").map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1 || x > 8)) throw new Error(`--rollout-sizes: sizes 1..8, comma-separated: ${v}`);
  if (new Set(xs).size !== xs.length) throw new Error(`--rollout-sizes: a size twice: ${v}`);
  return xs;
}
