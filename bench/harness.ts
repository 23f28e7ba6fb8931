// The benchmark: our `pulumi up` against the Ansible baseline and the physical floor, on fresh
// Debian 12 test hosts booted in this run. See bench/README.md for what each figure means.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { testhostCacheDir } from "../infra/testhost";
import { PACKAGES } from "../provision/packages";
import { AnsibleProject, ansibleAvailable } from "./ansible";
import { runFloor } from "./floor";
import { bootHost, counted, downAll, downHost, hostCmd, SshCounts } from "./hosts";
import type { LoadResult } from "./load";
import { renderAnsibleFiles, Rendered } from "./render-ansible-files";
import { buildProgram, ensureToolchain, REPO, RESULTS, say, WORK } from "./repo";
import { secretHits } from "./security";
import { BenchStack, benchConfig } from "./stack";
import { unchanged } from "../stacks/scratch";
import { median, ratio, round } from "./stats";
import { renderTable } from "./report";
import { dataBench, DataOptions, DataResults } from "./data";
import { Breakdown, medianPhases, oursPhases } from "./breakdown";
import { SECRET_ENV, fleet, inPool, must, parity, pulumiOut, secretsOf, security } from "./scenarios";
import { reliabilityBench, ReliabilityResults } from "./reliability";
import { rolloutBench, RolloutResults } from "./rollout";
import { LB_PACKAGES } from "../provision/loadbalancer";
export { renderTable };

export interface BenchOptions {
  /** Runs per figure (each on fresh hosts); the table shows medians. */
  runs: number;
  /** Fleet sizes: that many hosts provisioned at once. */
  fleet: number[];
  /** Reliability under load: every change kind, the recoveries, the disk filling up (bench/reliability.ts). */
  load: boolean;
  /** Only the reliability figures and the cold-provision breakdown of one run (npm run bench -- --reliability-only). */
  reliabilityOnly?: boolean;
  /** testssl.sh against the test host (takes minutes). */
  testssl: boolean;
  /** Also time the one-file change re-run (default true). */
  oneFile?: boolean;
  /** Also time `pulumi up --refresh` and the drift check (ours and Ansible). */
  refreshAndDrift?: boolean;
  /** Where the JSON goes (default bench/results). */
  resultsDir?: string;
  /** Only the data figures (npm run bench -- --data-only): no provisioning runs, no fleet. */
  dataOnly?: boolean;
  /** The data figures (backup, restore, rebuild with data); false: not measured. */
  data?: DataOptions | false;
  /** Rollout figures for fleets of these sizes behind the load balancer (bench/rollout.ts); false/absent: not measured. */
  rollout?: number[] | false;
  /** Only the rollout figures (npm run bench -- --rollout-only). */
  rolloutOnly?: boolean;
  /** Load generator bounds. */
  loadConcurrency?: number;
  loadMaxRequests?: number;
  loadMaxSeconds?: number;
}

export const QUICK: BenchOptions = { runs: 1, fleet: [1], load: false, testssl: false, refreshAndDrift: false, oneFile: false, data: false, rollout: false };
export const FULL: BenchOptions = { runs: 3, fleet: [1, 2, 4, 8], load: true, testssl: true, refreshAndDrift: true, data: { uploadsMiB: 1024, visits: 100_000 }, rollout: [1, 2, 4] };

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
  /** Results of earlier versions (load tests during changes only); now in `reliability`. */
  load?: Record<string, { upSeconds: number; upCode: number; summary: Record<string, number>; load: LoadResult }>;
  reliability?: ReliabilityResults;
  security?: Record<string, unknown>;
  data?: DataResults;
  /** Where a cold provision spends its time: ours per step, the floor per phase (medians). */
  breakdown?: Breakdown;
  rollout?: RolloutResults;
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
  ensureToolchain();
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
  const oursPhaseRuns: [string, number][][] = [];
  const floorPhaseRuns: [string, number][][] = [];
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
    const warm = await hostCmd("bn-warm", `export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && apt-get install -y -q --download-only --no-install-recommends ${["python3-apt", ...PACKAGES, ...LB_PACKAGES].join(" ")} >/dev/null && echo warmed`);
    if (!warm.includes("warmed")) throw new Error(`warming the apt archive failed: ${warm.slice(-500)}`);
    await downHost("bn-warm");
    const filesA = render("files-base");
    const filesChange = render("files-change-a", { extraServerConfig: CHANGE_A });

    for (let run = 1; run <= (o.dataOnly || o.rolloutOnly ? 0 : o.runs); run++) {
      const hO = `bn-o${run}`, hA = `bn-a${run}`, hF = `bn-f${run}`;
      say(`run ${run}/${o.runs}: booting ${hF}, ${hO}, ${hA}`);
      const [recF, recO, recA] = await inPool([hF, hO, hA], 3, (h) => bootHost(h));

      // floor
      say(`run ${run}: floor (bare apt-get install + first start of nginx and gunicorn) on ${hF}`);
      const fl = await counted([recF], () => runFloor(hF));
      add("cold", "floor", fl.value.seconds, fl.ssh);
      floorPhaseRuns.push(Object.entries(fl.value.phases).map(([k, v]) => [k, round(v, 2)]));

      // ours
      say(`run ${run}: ours: cold pulumi up on ${hO}`);
      const stack = await newStack(hO, "o");
      const cold = await counted([recO], () => stack.up());
      must("pulumi up (cold)", cold.value, pulumiOut(cold.value));
      add("cold", "ours", cold.value.seconds, cold.ssh);
      oursPhaseRuns.push(oursPhases(cold.value.timeline, cold.value.seconds));
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
        R.security = await security(o, recO, hA, work, stack);
      }
      proj.closeMasters();
      say(`run ${run}: removing ${hF}, ${hO}, ${hA}`);
      for (const h of [hF, hO, hA]) await downHost(h);
    }
    if (!extra && Object.keys(samples).length) R.notes.push("no-op with --refresh and drift check not measured (--quick)");
    if (o.oneFile === false) { if (Object.keys(samples).length) R.notes.push("one-file change not measured (--quick)"); }
    else if (!hasDrift) R.notes.push("drift check skipped: `npm run drift` does not exist yet (the drift issue has not landed)");

    // --- fleet -------------------------------------------------------------------------------
    for (const n of o.dataOnly || o.reliabilityOnly || o.rolloutOnly ? [] : o.fleet) {
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

    // a stack of a scenario's own config (reliability, rollout), removed with the others at the end
    const scenarioStack = async (tag: string, config: Record<string, unknown>): Promise<BenchStack> => {
      const s = new BenchStack(`bn${process.pid}${tag}${seq++}`, config);
      stacks.push(s);
      await s.init();
      await s.setSecrets({ appEnv: JSON.stringify(SECRET_ENV) });
      return s;
    };

    // --- reliability: every change kind, recoveries, the disk filling up --------------------------
    if (o.load && !o.dataOnly && !o.rolloutOnly) {
      R.reliability = await reliabilityBench(scenarioStack, SECRET_ENV, work);
      R.errors.push(...R.reliability.errors.map((e) => `reliability: ${e}`));
    }

    // --- data: backup, restore, rebuild with data ---------------------------------------------
    // --- rollout: fleets behind the load balancer, a new release under load (issue #15) ----------
    if (o.rollout && o.rollout.length && !o.dataOnly && !o.reliabilityOnly) {
      R.rollout = await rolloutBench({ sizes: o.rollout }, scenarioStack, SECRET_ENV, work);
      R.errors.push(...R.rollout.errors);
      R.notes.push(...R.rollout.notes);
    }

    if (o.data && !o.reliabilityOnly && !o.rolloutOnly) {
      R.data = await dataBench(o.data, async (tag, config) => {
        const s = new BenchStack(`bn${process.pid}${tag}${seq++}`, config);
        stacks.push(s);
        await s.init();
        await s.setSecrets({ appEnv: JSON.stringify(SECRET_ENV) });
        return s;
      });
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

  if (oursPhaseRuns.length) R.breakdown = { ours: medianPhases(oursPhaseRuns), floor: medianPhases(floorPhaseRuns) };
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
  if (Object.keys(samples).length) R.notes.push(
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
