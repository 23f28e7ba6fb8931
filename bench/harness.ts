// The benchmark: our `pulumi up` against the Ansible baseline and the physical floor, on fresh
// Debian 12 test hosts booted in this run. See bench/README.md for what each figure means.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readTesthost, testhostCacheDir, TesthostRecord } from "../infra/testhost";
import { PACKAGES } from "../provision/packages";
import { AnsibleProject, ansibleAvailable, PlaybookRun } from "./ansible";
import { runFloor } from "./floor";
import { bootHost, booted, counted, downAll, downHost, hostCmd, SshCounts } from "./hosts";
import { LoadGenerator, LoadResult } from "./load";
import { renderAnsibleFiles, Rendered } from "./render-ansible-files";
import { buildProgram, REPO, RESULTS, say, WORK } from "./repo";
import { exposure, portsFromPeer, secretHits, testssl, tlsVersions } from "./security";
import { BenchStack, benchConfig, PulumiRun } from "./stack";
import { unchanged } from "../stacks/scratch";
import { fmt, median, ratio, round, table } from "./stats";

export interface BenchOptions {
  /** Runs per figure (each on fresh hosts); the table shows medians. */
  runs: number;
  /** Fleet sizes: that many hosts provisioned at once. */
  fleet: number[];
  /** Load test during `pulumi up` (nginx change, new release, env restart). */
  load: boolean;
  /** testssl.sh against the test host (takes minutes). */
  testssl: boolean;
  /** Also time the one-file change re-run (default true). */
  oneFile?: boolean;
  /** Also time `pulumi up --refresh` and the drift check (ours and Ansible). */
  refreshAndDrift?: boolean;
  /** Where the JSON goes (default bench/results). */
  resultsDir?: string;
  /** Load generator bounds. */
  loadConcurrency?: number;
  loadMaxRequests?: number;
  loadMaxSeconds?: number;
}

export const QUICK: BenchOptions = { runs: 1, fleet: [1], load: false, testssl: false, refreshAndDrift: false, oneFile: false };
export const FULL: BenchOptions = { runs: 3, fleet: [1, 2, 4, 8], load: true, testssl: true, refreshAndDrift: true };

const DOMAIN = "photogooo.com";
const SECRET_ENV = { SECRET_KEY: `bench-secret-${process.pid}-9f8e7d6c5b4a3210`, DJANGO_DEBUG: "false" };
const CHANGE_A = 'add_header X-Bench-Revision "a" always;';

type Tool = "ours" | "ansible" | "floor";
interface Figure { runs: number[]; median: number }
interface SshFigure { connections: number; commands: number; runs: SshCounts[] }

export interface BenchResults {
  version: 1;
  startedAt: string;
  finishedAt?: string;
  machine: Record<string, string | number>;
  options: BenchOptions;
  /** Wall-clock seconds per scenario and tool (medians over runs). */
  seconds: Record<string, Partial<Record<Tool, Figure>> & { oursOverAnsible?: number | null; oursOverFloor?: number | null; note?: string }>;
  /** SSH connections and remote commands per host, per scenario and tool (medians). */
  ssh: Record<string, Partial<Record<Tool, SshFigure>>>;
  fleet: Record<string, Partial<Record<Tool, { seconds: number; perHostSeconds: number; ssh: SshCounts }>> & { oursOverAnsible?: number | null; oursOverFloor?: number | null }>;
  parity?: { same: string[]; different: string[] };
  load?: Record<string, { upSeconds: number; upCode: number; summary: Record<string, number>; load: LoadResult }>;
  security?: Record<string, unknown>;
  notes: string[];
  errors: string[];
}

function cmdVersion(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0].trim();
  } catch {
    return "missing";
  }
}

/** Installs what the bench needs when missing (Debian packages; root). */
export function ensurePrereqs(o: BenchOptions): void {
  execFileSync("bash", [path.join(REPO, "bench/prereqs.sh"), ...(o.testssl ? ["--testssl"] : [])], { stdio: ["ignore", "inherit", "inherit"] });
}

async function inPool<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

function must(what: string, r: { code: number }, out: string): void {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${out.slice(-6000)}`);
}

function pulumiOut(r: PulumiRun): string {
  return `${r.stdout}\n${r.stderr}`;
}

export async function runBench(o: BenchOptions): Promise<{ results: BenchResults; file: string; table: string }> {
  const started = new Date();
  const runId = started.toISOString().replace(/[:.]/g, "-");
  const work = path.join(WORK, `run-${runId}`);
  fs.mkdirSync(work, { recursive: true });
  const resultsDir = o.resultsDir ?? RESULTS;
  fs.mkdirSync(resultsDir, { recursive: true });

  say("checking prerequisites (ansible-playbook, testssl)");
  ensurePrereqs(o);
  if (!ansibleAvailable()) throw new Error("ansible-playbook is missing (apt-get install ansible-core)");
  say("compiling the program (tsc -p tsconfig.json) once, outside the timings");
  buildProgram();

  const R: BenchResults = {
    version: 1,
    startedAt: started.toISOString(),
    machine: {
      cpus: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      ansible: cmdVersion("ansible-playbook", ["--version"]),
      kernel: os.release(),
    },
    options: o,
    seconds: {},
    ssh: {},
    fleet: {},
    notes: [],
    errors: [],
  };
  const samples: Record<string, Partial<Record<Tool, number[]>>> = {};
  const sshSamples: Record<string, Partial<Record<Tool, SshCounts[]>>> = {};
  const add = (scenario: string, tool: Tool, seconds: number, ssh?: SshCounts) => {
    ((samples[scenario] ??= {})[tool] ??= []).push(round(seconds, 2));
    if (ssh) ((sshSamples[scenario] ??= {})[tool] ??= []).push(ssh);
    say(`  ${scenario} ${tool}: ${seconds.toFixed(1)} s${ssh ? `, ${ssh.connections} SSH connections, ${ssh.commands} remote commands` : ""}`);
  };
  const stacks: BenchStack[] = [];
  const projects: AnsibleProject[] = [];
  const extra = o.refreshAndDrift !== false;
  const hasDrift = extra && (() => {
    try {
      return Boolean(JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts?.drift);
    } catch {
      return false;
    }
  })();
  let seq = 0;
  const newStack = async (host: string, tag: string): Promise<BenchStack> => {
    const s = new BenchStack(`bn${process.pid}${tag}${seq++}`, benchConfig(host));
    stacks.push(s);
    await s.init();
    await s.setSecrets({ appEnv: JSON.stringify(SECRET_ENV) });
    return s;
  };
  const render = (name: string, opts: { extraServerConfig?: string; appDir?: string } = {}): Rendered =>
    renderAnsibleFiles(path.join(work, name), { ...opts, env: SECRET_ENV });

  const onSignal = () => {
    say("interrupted: removing the test hosts of this run");
    downAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    // --- warm the shared .deb archive, so no timed run downloads packages from the mirror ---------
    say("warming the shared apt archive on bn-warm (not timed)");
    await bootHost("bn-warm", { privateArchive: false });
    const warm = await hostCmd("bn-warm", `export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && apt-get install -y -q --download-only --no-install-recommends ${["python3-apt", ...PACKAGES].join(" ")} >/dev/null && echo warmed`);
    if (!warm.includes("warmed")) throw new Error(`warming the apt archive failed: ${warm.slice(-500)}`);
    await downHost("bn-warm");
    const filesA = render("files-base");
    const filesChange = render("files-change-a", { extraServerConfig: CHANGE_A });

    for (let run = 1; run <= o.runs; run++) {
      const hO = `bn-o${run}`, hA = `bn-a${run}`, hF = `bn-f${run}`;
      say(`run ${run}/${o.runs}: booting ${hF}, ${hO}, ${hA}`);
      const [recF, recO, recA] = await inPool([hF, hO, hA], 3, (h) => bootHost(h));

      // floor
      say(`run ${run}: floor (bare apt-get install + first start of nginx and gunicorn) on ${hF}`);
      const fl = await counted([recF], () => runFloor(hF));
      add("cold", "floor", fl.value, fl.ssh);

      // ours
      say(`run ${run}: ours: cold pulumi up on ${hO}`);
      const stack = await newStack(hO, "o");
      const cold = await counted([recO], () => stack.up());
      must("pulumi up (cold)", cold.value, pulumiOut(cold.value));
      add("cold", "ours", cold.value.seconds, cold.ssh);
      say(`run ${run}: ours: no-op pulumi up`);
      const noop = await counted([recO], () => stack.up());
      must("pulumi up (no-op)", noop.value, pulumiOut(noop.value));
      if (!unchanged(noop.value)) R.errors.push(`run ${run}: our no-op up changed something: ${JSON.stringify(noop.value.changes)}`);
      add("noop", "ours", noop.value.seconds, noop.ssh);
      if (extra) {
        say(`run ${run}: ours: no-op pulumi up --refresh (checks the server, like Ansible's second run)`);
        const noopR = await counted([recO], () => stack.up({ refresh: true }));
        must("pulumi up --refresh (no-op)", noopR.value, pulumiOut(noopR.value));
        add("noopRefresh", "ours", noopR.value.seconds, noopR.ssh);
      }
      if (o.oneFile !== false) {
        say(`run ${run}: ours: one-file change (nginx site)`);
        await stack.reconfigure(benchConfig(hO, { extraServerConfig: CHANGE_A }));
        const one = await counted([recO], () => stack.up());
        must("pulumi up (nginx site change)", one.value, pulumiOut(one.value));
        add("oneFile", "ours", one.value.seconds, one.ssh);
      }
      if (hasDrift) {
        say(`run ${run}: ours: drift check (aistudio drift, as npm run drift)`);
        const t0 = Date.now();
        const d = await counted([recO], async () => {
          try {
            // what `npm run drift` runs, minus its compile step (done once above)
            execFileSync("node", [path.join(REPO, "bin/aistudio.js"), "drift", "--stack", stack.name, "--config-file", stack.configFile], { cwd: REPO, env: stack.env(), stdio: ["ignore", "pipe", "pipe"] });
            return 0;
          } catch (e) {
            return (e as { status?: number }).status ?? 1;
          }
        });
        if (d.value === 0) add("drift", "ours", (Date.now() - t0) / 1000, d.ssh);
        else R.errors.push(`run ${run}: npm run drift exited ${d.value}`);
      }

      // Ansible
      say(`run ${run}: Ansible: cold playbook run on ${hA}`);
      const proj = new AnsibleProject(`r${run}`, [recA]);
      projects.push(proj);
      const ac = await counted([recA], () => proj.run(filesA.dir));
      must("ansible-playbook (cold)", ac.value, ac.value.output);
      add("cold", "ansible", ac.value.seconds, ac.ssh);
      say(`run ${run}: Ansible: second run (nothing changed)`);
      const an = await counted([recA], () => proj.run(filesA.dir));
      must("ansible-playbook (second run)", an.value, an.value.output);
      if (Object.values(an.value.recap).some((c) => c.changed)) R.errors.push(`run ${run}: Ansible's second run changed something: ${JSON.stringify(an.value.recap)}`);
      add("noop", "ansible", an.value.seconds, an.ssh);
      if (o.oneFile !== false) {
        say(`run ${run}: Ansible: one-file change (nginx site)`);
        const ao = await counted([recA], () => proj.run(filesChange.dir));
        must("ansible-playbook (nginx site change)", ao.value, ao.value.output);
        add("oneFile", "ansible", ao.value.seconds, ao.ssh);
      }
      if (hasDrift) {
        say(`run ${run}: Ansible: --check --diff (its drift check)`);
        const ad = await counted([recA], () => proj.run((o.oneFile !== false ? filesChange : filesA).dir, ["--check", "--diff"]));
        add("drift", "ansible", ad.value.seconds, ad.ssh);
      }

      if (run === 1) {
        await parity(R, hO, hA, o.oneFile !== false ? filesChange : filesA);
        if (o.load) R.load = await loadTests(stack, hO, work);
        R.security = await security(o, recO, hA, work, stack);
      }
      proj.closeMasters();
      say(`run ${run}: removing ${hF}, ${hO}, ${hA}`);
      for (const h of [hF, hO, hA]) await downHost(h);
    }
    if (!extra) R.notes.push("no-op with --refresh and drift check not measured (--quick)");
    if (o.oneFile === false) R.notes.push("one-file change not measured (--quick)");
    else if (!hasDrift) R.notes.push("drift check skipped: `npm run drift` does not exist yet (the drift issue has not landed)");

    // --- fleet -------------------------------------------------------------------------------
    for (const n of o.fleet) {
      if (n === 1) {
        // one host at once is the cold provision above
        R.fleet["1"] = {};
        for (const t of ["ours", "ansible", "floor"] as Tool[]) {
          const s = median(samples.cold?.[t] ?? []);
          const c = sshSamples.cold?.[t]?.[0] ?? { connections: NaN, commands: NaN };
          R.fleet["1"][t] = { seconds: s, perHostSeconds: s, ssh: c };
        }
        continue;
      }
      R.fleet[String(n)] = await fleet(n, filesA, newStack, projects);
    }
    for (const f of Object.values(R.fleet)) {
      f.oursOverAnsible = ratio(f.ours?.seconds, f.ansible?.seconds);
      f.oursOverFloor = ratio(f.ours?.seconds, f.floor?.seconds);
    }
    if (R.security) {
      say("security: secrets in output");
      const texts = [...stacks.flatMap((s) => s.transcript), ...projects.flatMap((p) => p.transcript)];
      R.security.secretsInOutput = secretHits(texts, secretsOf({ privateKeyPath: path.join(testhostCacheDir(), "id_ed25519") }));
      R.security.outputScanned = `${texts.length} texts: stdout and stderr of every pulumi command (load-test ups included) and every ansible-playbook run`;
    }
  } catch (e) {
    R.errors.push((e as Error).message.slice(0, 8000));
    say(`FAILED: ${(e as Error).message.slice(0, 4000)}`);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    for (const p of projects) p.cleanup();
    await downAll();
    for (const s of stacks) s.cleanup();
    // the rendered files include the env file with the (bench) secret
    fs.rmSync(work, { recursive: true, force: true });
  }

  for (const [scenario, byTool] of Object.entries(samples)) {
    const entry: BenchResults["seconds"][string] = {};
    for (const [t, xs] of Object.entries(byTool) as [Tool, number[]][]) entry[t] = { runs: xs, median: round(median(xs), 2) };
    entry.oursOverAnsible = ratio(entry.ours?.median, entry.ansible?.median);
    entry.oursOverFloor = ratio(entry.ours?.median, entry.floor?.median);
    R.seconds[scenario] = entry;
  }
  if (extra && !hasDrift) R.seconds.drift = { note: "skipped: `npm run drift` does not exist" };
  for (const [scenario, byTool] of Object.entries(sshSamples)) {
    R.ssh[scenario] = {};
    for (const [t, xs] of Object.entries(byTool) as [Tool, SshCounts[]][]) {
      R.ssh[scenario][t] = { connections: median(xs.map((x) => x.connections)), commands: median(xs.map((x) => x.commands)), runs: xs };
    }
  }
  R.notes.push(
    "cold: bare Debian 12 test host -> smoke test passes; apt-get update still asks Debian's mirror through the proxy (all three pay it), .deb files come from the warmed shared archive",
    "noop: ours = `pulumi up` with nothing changed (diffs against the state, opens no SSH connection); noopRefresh = `pulumi up --refresh` (re-probes every step over SSH, the closer match to Ansible's second run, which checks every task on the server)",
    "floor: apt-get update + the same apt-get install + first start of nginx and gunicorn by a bare script over one SSH session",
    "ssh: sshd's own log on the host (LogLevel VERBOSE): connections = 'Accepted publickey', remote commands = 'Starting session:' (exec or file transfer)",
    "fleet: ours = one stack per host (the program manages one server per stack), `pulumi up` of all stacks at once; Ansible = one playbook run over all hosts (forks = hosts); floor = the floor script on all hosts at once. Fleet sizes > 1 are one run each; size 1 is the cold median",
  );
  R.finishedAt = new Date().toISOString();
  const file = path.join(resultsDir, `${runId}.json`);
  fs.writeFileSync(file, JSON.stringify(R, null, 2) + "\n");
  const text = renderTable(R);
  return { results: R, file, table: text };
}

async function parity(R: BenchResults, hO: string, hA: string, files: Rendered): Promise<void> {
  say("parity: comparing what ours and Ansible left on the hosts");
  const script = `set +e
for f in ${Object.keys(files.files).map((p) => p.replace(/\/releases\/[0-9a-f]+\//, "/current/")).join(" ")}; do
  printf 'file %s %s %s\\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -L -c '%a %U:%G' "$f")"
done
for d in /srv/aistudio /srv/aistudio/static /var/lib/aistudio/media /etc/aistudio/tls; do printf 'dir %s %s\\n' "$d" "$(stat -c '%a %U:%G' "$d")"; done
printf 'key %s\\n' "$(stat -c '%a %U:%G' /etc/aistudio/tls/privkey.pem)"
echo "ufw $(ufw show added | tr '\\n' ';')"
echo "ufw-default $(ufw status verbose | grep Default)"
for u in aistudio nginx; do echo "unit $u $(systemctl is-enabled $u) $(systemctl is-active $u)"; done
echo "sites-enabled $(ls /etc/nginx/sites-enabled | tr '\\n' ' ')"
echo "listen-8000 $(ss -Htln 'sport = :8000' | awk '{print $4}')"
echo "packages $(dpkg-query -W -f='\${Package} ' ${["nginx", "certbot", "openssl", "ufw", "python3-venv", "gunicorn", "ca-certificates", "git"].join(" ")})"
echo "exposure $(systemd-analyze security aistudio.service --no-pager | tail -n1)"
`;
  const [a, b] = await Promise.all([hostCmd(hO, script), hostCmd(hA, script)]);
  const la = a.trim().split("\n"), lb = new Set(b.trim().split("\n"));
  R.parity = { same: la.filter((l) => lb.has(l)), different: la.filter((l) => !lb.has(l)).map((l) => `ours: ${l}`).concat(b.trim().split("\n").filter((l) => !la.includes(l)).map((l) => `ansible: ${l}`)) };
  say(`parity: ${R.parity.same.length} identical, ${R.parity.different.length} different`);
}

async function loadTests(stack: BenchStack, host: string, work: string): Promise<NonNullable<BenchResults["load"]>> {
  const rec = readTesthost(host);
  const ca = await hostCmd(host, "cat /etc/aistudio/tls/fullchain.pem");
  const out: NonNullable<BenchResults["load"]> = {};
  // a second release of the app: the same code with one more line
  const app2 = path.join(work, "app-release-2");
  fs.mkdirSync(app2, { recursive: true });
  for (const f of fs.readdirSync(path.join(REPO, "provision/sample-app"))) fs.copyFileSync(path.join(REPO, "provision/sample-app", f), path.join(app2, f));
  fs.appendFileSync(path.join(app2, "app.py"), "\n# bench: release 2\n");
  const cases: [string, string, () => Promise<void>][] = [
    ["nginxChange", "nginx site change (reload)", () => stack.reconfigure(benchConfig(host, { extraServerConfig: 'add_header X-Bench-Revision "b" always;' }))],
    ["newRelease", "new app release (graceful gunicorn reload)", () => stack.reconfigure(benchConfig(host, { extraServerConfig: 'add_header X-Bench-Revision "b" always;', appDir: app2 }))],
    ["envRestart", "env file change (gunicorn restart)", () => stack.setSecrets({ appEnv: JSON.stringify({ ...SECRET_ENV, BENCH_REVISION: "2" }) })],
  ];
  for (const [key, what, change] of cases) {
    await change();
    say(`load: ${what}: pulumi up while POST /api/user/visit runs (${4} at a time, bounded)`);
    const gen = new LoadGenerator({ address: rec.host, domain: DOMAIN, ca, concurrency: 4, maxRequests: 50_000, maxSeconds: 300 }).start();
    await new Promise((r) => setTimeout(r, 2000));
    const up = await stack.up();
    await new Promise((r) => setTimeout(r, 2000));
    const load = await gen.stop();
    out[key] = { upSeconds: round(up.seconds, 2), upCode: up.code, summary: up.changes, load };
    say(`load: ${what}: up ${up.code === 0 ? "ok" : "FAILED"} in ${up.seconds.toFixed(1)} s; ${load.requests} requests, ${load.failed} failed, longest gap ${load.longestGapMs} ms`);
  }
  return out;
}

async function security(o: BenchOptions, recO: TesthostRecord, peer: string, work: string, stack: BenchStack): Promise<Record<string, unknown>> {
  const sec: Record<string, unknown> = {};
  say("security: systemd-analyze security aistudio");
  sec.exposure = await exposure(recO.name);
  say("security: TLS versions");
  sec.tlsVersions = await tlsVersions(recO.host, DOMAIN);
  say(`security: ports of ${recO.name} seen from a second test host (${peer})`);
  sec.portsFromPeer = await portsFromPeer(peer, recO.host);
  if (o.testssl) {
    say("security: testssl.sh (a few minutes)");
    sec.testssl = await testssl(recO.host, DOMAIN, work);
  } else {
    sec.testssl = { skipped: true };
  }
  say("security: secrets in the state");
  sec.secretsInState = secretHits([stack.stateText()], secretsOf(recO));
  return sec;
}

function secretsOf(h: { privateKeyPath: string }): Record<string, string> {
  return { appEnvSecretKey: SECRET_ENV.SECRET_KEY, sshPrivateKey: fs.readFileSync(h.privateKeyPath, "utf8") };
}

async function fleet(n: number, files: Rendered, newStack: (h: string, tag: string) => Promise<BenchStack>, projects: AnsibleProject[]) {
  const res: BenchResults["fleet"][string] = {};
  const names = (p: string) => Array.from({ length: n }, (_, i) => `bn-${p}${n}x${i + 1}`);
  // ours: one stack per host, all `pulumi up`s at once
  {
    const hs = names("o");
    say(`fleet ${n}: booting ${hs.join(", ")}`);
    const recs = await inPool(hs, 4, (h) => bootHost(h));
    const ss: BenchStack[] = [];
    for (const h of hs) ss.push(await newStack(h, "f"));
    say(`fleet ${n}: ours: ${n} pulumi up at once`);
    const t0 = Date.now();
    const c = await counted(recs, () => Promise.all(ss.map((s) => s.up())));
    const secs = (Date.now() - t0) / 1000;
    c.value.forEach((r, i) => must(`fleet ${n}: pulumi up on ${hs[i]}`, r, pulumiOut(r)));
    res.ours = { seconds: round(secs, 2), perHostSeconds: round(secs / n, 2), ssh: c.ssh };
    say(`fleet ${n}: ours ${secs.toFixed(1)} s`);
    for (const s of ss) s.cleanup();
    for (const h of hs) await downHost(h);
  }
  // Ansible: one playbook over all hosts
  {
    const hs = names("a");
    say(`fleet ${n}: booting ${hs.join(", ")}`);
    const recs = await inPool(hs, 4, (h) => bootHost(h));
    const proj = new AnsibleProject(`fleet${n}`, recs);
    projects.push(proj);
    say(`fleet ${n}: Ansible: one playbook run over ${n} hosts`);
    try {
      const c = await counted(recs, () => proj.run(files.dir));
      must(`fleet ${n}: ansible-playbook`, c.value, c.value.output);
      res.ansible = { seconds: round(c.value.seconds, 2), perHostSeconds: round(c.value.seconds / n, 2), ssh: c.ssh };
      say(`fleet ${n}: Ansible ${c.value.seconds.toFixed(1)} s`);
    } finally {
      proj.cleanup();
    }
    for (const h of hs) await downHost(h);
  }
  // floor: the bare script on all hosts at once
  {
    const hs = names("f");
    say(`fleet ${n}: booting ${hs.join(", ")}`);
    const recs = await inPool(hs, 4, (h) => bootHost(h));
    say(`fleet ${n}: floor on ${n} hosts at once`);
    const t0 = Date.now();
    const c = await counted(recs, () => Promise.all(hs.map((h) => runFloor(h))));
    const secs = (Date.now() - t0) / 1000;
    res.floor = { seconds: round(secs, 2), perHostSeconds: round(secs / n, 2), ssh: c.ssh };
    say(`fleet ${n}: floor ${secs.toFixed(1)} s`);
    for (const h of hs) await downHost(h);
  }
  return res;
}

/** The printed table (also reproducible from a results JSON: renderTable(JSON.parse(...))). */
export function renderTable(R: BenchResults): string {
  const rows: string[][] = [];
  const label: Record<string, string> = {
    cold: "cold provision (bare Debian 12 -> smoke test passes)",
    noop: "no-op re-run (ours: pulumi up / Ansible: 2nd run)",
    noopRefresh: "no-op re-run, ours with --refresh (re-probes the server)",
    oneFile: "one-file change (nginx site) re-run",
    drift: "drift check (npm run drift / ansible --check)",
  };
  for (const k of ["cold", "noop", "noopRefresh", "oneFile", "drift"]) {
    const e = R.seconds[k];
    if (!e) continue;
    if (e.note && !e.ours) {
      rows.push([label[k], e.note, "", "", "", ""]);
      continue;
    }
    rows.push([label[k], fmt(e.ours?.median), fmt(e.ansible?.median), fmt(e.floor?.median), fmt(e.oursOverAnsible, 2), fmt(e.oursOverFloor, 2)]);
  }
  for (const [n, f] of Object.entries(R.fleet).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    rows.push([`fleet: ${n} host${n === "1" ? "" : "s"} at once (wall clock)`, fmt(f.ours?.seconds), fmt(f.ansible?.seconds), fmt(f.floor?.seconds), fmt(f.oursOverAnsible, 2), fmt(f.oursOverFloor, 2)]);
  }
  const out = [`seconds (median of ${R.options.runs} run${R.options.runs === 1 ? "" : "s"}; fleet > 1: one run)`, table(["scenario", "ours", "Ansible", "floor", "ours/Ansible", "ours/floor"], rows)];

  const srows: string[][] = [];
  for (const k of ["cold", "noop", "noopRefresh", "oneFile", "drift"]) {
    const e = R.ssh[k];
    if (!e) continue;
    srows.push([k, fmt(e.ours?.connections, 0), fmt(e.ours?.commands, 0), fmt(e.ansible?.connections, 0), fmt(e.ansible?.commands, 0), fmt(e.floor?.connections, 0), fmt(e.floor?.commands, 0)]);
  }
  for (const [n, f] of Object.entries(R.fleet)) {
    if (n === "1") continue;
    srows.push([`fleet ${n} (all hosts)`, fmt(f.ours?.ssh.connections, 0), fmt(f.ours?.ssh.commands, 0), fmt(f.ansible?.ssh.connections, 0), fmt(f.ansible?.ssh.commands, 0), fmt(f.floor?.ssh.connections, 0), fmt(f.floor?.ssh.commands, 0)]);
  }
  out.push("", "SSH per host (sshd log; median): connections / remote commands", table(["scenario", "ours conn", "ours cmds", "Ansible conn", "Ansible cmds", "floor conn", "floor cmds"], srows));

  if (R.load) {
    const lrows = Object.entries(R.load).map(([k, v]) => [k, v.upCode === 0 ? fmt(v.upSeconds) : `FAILED (${v.upCode})`, String(v.load.requests), String(v.load.failed), String(v.load.longestGapMs), fmt(v.load.requestsPerSecond), String(v.load.p99Ms)]);
    out.push("", "reliability under load: pulumi up while POST /api/user/visit runs (4 concurrent, keep-alive off)", table(["change", "up s", "requests", "failed", "longest gap ms", "req/s", "p99 ms"], lrows));
  }
  if (R.security) {
    const s = R.security as Record<string, any>;
    const tssl = s.testssl?.skipped ? "skipped (--quick)" : s.testssl?.ran ? `${s.testssl.highOrCritical.length} HIGH/CRITICAL besides trust${s.testssl.highOrCritical.length ? ": " + s.testssl.highOrCritical.map((f: any) => `${f.id} (${f.severity})`).join(", ") : ""}; issuer-related (self-signed, expected): ${s.testssl.trustOnly.map((f: any) => f.id).join(", ") || "none"}` : `did not run: ${s.testssl?.error}`;
    out.push(
      "",
      "security",
      `  systemd-analyze security aistudio: ${s.exposure?.score} ${s.exposure?.level}`,
      `  TLS versions accepted: ${Object.entries(s.tlsVersions ?? {}).map(([v, ok]) => `${v} ${ok ? "yes" : "no"}`).join(", ")}`,
      `  testssl.sh: ${tssl}`,
      `  ports from a second test host: ${Object.entries(s.portsFromPeer ?? {}).map(([p, st]) => `${p} ${st}`).join(", ")}`,
      `  secrets in output: ${JSON.stringify(s.secretsInOutput)}; in state (plaintext): ${JSON.stringify(s.secretsInState)}`,
    );
  }
  if (R.parity) out.push("", `parity ours vs Ansible (files, modes, rules, units): ${R.parity.same.length} identical, ${R.parity.different.length} different${R.parity.different.length ? "\n  " + R.parity.different.join("\n  ") : ""}`);
  if (R.notes.length) out.push("", "notes", ...R.notes.map((n) => `  - ${n}`));
  if (R.errors.length) out.push("", "ERRORS", ...R.errors.map((n) => `  - ${n.split("\n").slice(0, 30).join("\n    ")}`));
  return out.join("\n");
}
