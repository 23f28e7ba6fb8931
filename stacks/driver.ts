// The one way this project drives a stack: Pulumi's Automation API (`LocalWorkspace` over the
// project directory). doctor, drift, rebuild, the integration tests and the bench all come here;
// no other code spawns the pulumi CLI or parses its text (people use scripts/pulumi.sh).
//
// A stack is named, optionally with its own settings file (`configFile`, like `--config-file`:
// tests and the bench keep theirs in a temp directory) and its own environment (backend,
// passphrase, PULUMI_HOME). The program must be compiled (dist/) before up/preview/refresh:
// the npm scripts and scripts/test.sh do that.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CommandError,
  ConfigMap,
  Deployment,
  EngineEvent,
  LocalWorkspace,
  PulumiCommand,
  Stack,
  StepEventMetadata,
} from "@pulumi/pulumi/automation";
import { repoRoot } from "../core/paths";

export interface StackSpec {
  name: string;
  /** Stack settings file outside the project (default: Pulumi.<name>.yaml in the project). */
  configFile?: string;
  /** Extra environment for every pulumi command (backend URL, passphrase, PULUMI_HOME…). */
  env?: Record<string, string | undefined>;
}

export interface RunOptions {
  /** Streamed progress (pulumi's own lines). */
  onOutput?: (text: string) => void;
  refresh?: boolean;
  expectNoChanges?: boolean;
  /** URNs to replace (rebuild). */
  replace?: string[];
  /** Policy pack directories to enforce. */
  policyPacks?: string[];
  /** Detailed property diffs in the output (preview). */
  diff?: boolean;
  /** Only these URNs (like --target): the doctor refreshes the security group rules alone. */
  target?: string[];
}

export interface RunResult {
  /** 0 when pulumi succeeded, else its exit code (or 1). */
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Resources by operation: { same: 9, update: 1, … }; empty when the run failed early. */
  changes: Record<string, number>;
  /** What happened to each resource, by its name (the last part of the URN): "same", "update", "create"… */
  ops: Record<string, string>;
  /**
   * When each resource the engine stepped on started and finished, in seconds since the command
   * started (the moments its events reached this process): where a run spends its time.
   */
  timeline: TimelineEntry[];
}

export interface TimelineEntry {
  /** The resource's name (the last part of its URN). */
  name: string;
  /** Its type (with its parents' types, as in the URN). */
  type: string;
  op: string;
  start: number;
  end?: number;
}

/** One step the engine would take (preview), with the state before and after. */
export interface PlannedStep {
  op: string;
  urn: string;
  oldState?: { type?: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> };
  newState?: { type?: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> };
}

export interface PreviewResult extends RunResult {
  steps: PlannedStep[];
  /** Error diagnostics the engine reported (messages). */
  errors: string[];
}

function toolchainBin(): string | undefined {
  const cache = process.env.AISTUDIO_TOOLCHAIN ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "aistudio-infra", "toolchain");
  const onPath = (process.env.PATH ?? "").split(":").find((d) => d && fs.existsSync(path.join(d, "pulumi")));
  if (onPath) return onPath;
  if (fs.existsSync(path.join(cache, "bin", "pulumi"))) return path.join(cache, "bin");
  return undefined;
}

/** The environment every pulumi command gets: the project's toolchain, backend and defaults (as scripts/env.sh). */
export function pulumiEnv(spec: Pick<StackSpec, "name" | "env">): Record<string, string> {
  const root = repoRoot();
  const bin = toolchainBin();
  if (!bin) {
    throw new Error("pulumi CLI not found / 找不到 pulumi：run `npm run toolchain` (builds it from Go modules into ~/.cache/aistudio-infra/toolchain) or install pulumi on PATH");
  }
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${path.join(root, ".pulumi-state")}`,
    NO_COLOR: "1",
  };
  // the local test stack's passphrase is not a secret (scripts/pulumi.sh does the same)
  if ((spec.name === "local" || spec.name === "fleet") && !process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    env.PULUMI_CONFIG_PASSPHRASE = "aistudio-local";
  }
  for (const [k, v] of Object.entries(spec.env ?? {})) if (v !== undefined) env[k] = v;
  const backend = env.PULUMI_BACKEND_URL;
  if (backend.startsWith("file://")) fs.mkdirSync(backend.slice("file://".length), { recursive: true });
  return env;
}

/** Flattens Pulumi's config map into the `aistudio:key` → string form infra/read-config.ts reads. */
export function flattenConfig(map: ConfigMap | Record<string, { value?: string; objectValue?: unknown }>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(map as Record<string, { value?: string; objectValue?: unknown }>)) {
    if (v.objectValue !== undefined) flat[k] = JSON.stringify(v.objectValue);
    else if (v.value !== undefined) flat[k] = v.value;
  }
  return flat;
}

function failure(e: unknown): { code: number; stdout: string; stderr: string } {
  if (e instanceof CommandError) {
    const r = (e as unknown as { commandResult: { code: number; stdout: string; stderr: string; err?: Error } }).commandResult;
    return { code: r.code || 1, stdout: r.stdout ?? "", stderr: r.stderr || r.err?.message || e.message };
  }
  return { code: 1, stdout: "", stderr: e instanceof Error ? e.message : String(e) };
}

function secondsSince(t0: number): number {
  return Math.round((Date.now() - t0) / 100) / 10;
}

/** Collects per-resource operations, planned steps and error diagnostics from engine events. */
class EventLog {
  readonly ops: Record<string, string> = {};
  private readonly t0 = Date.now();
  private readonly byUrn = new Map<string, TimelineEntry>();
  readonly steps: PlannedStep[] = [];
  readonly errors: string[] = [];
  readonly onEvent = (ev: EngineEvent): void => {
    const pre: StepEventMetadata | undefined = ev.resourcePreEvent?.metadata;
    if (pre) {
      this.steps.push({
        op: pre.op,
        urn: pre.urn,
        oldState: pre.old ? { type: pre.old.type, outputs: pre.old.outputs, inputs: pre.old.inputs } : undefined,
        newState: pre.new ? { type: pre.new.type, outputs: pre.new.outputs, inputs: pre.new.inputs } : undefined,
      });
    }
    const now = (Date.now() - this.t0) / 1000;
    if (pre) this.byUrn.set(pre.urn, { name: pre.urn.split("::").pop() ?? pre.urn, type: pre.urn.split("::")[2] ?? "", op: pre.op, start: now });
    const done = ev.resOutputsEvent?.metadata ?? ev.resOpFailedEvent?.metadata;
    const entry = done && this.byUrn.get(done.urn);
    if (entry) entry.end = now;
    const m = ev.resOutputsEvent?.metadata ?? pre;
    if (m) this.ops[m.urn.split("::").pop() ?? m.urn] = m.op;
    const d = ev.diagnosticEvent;
    if (d && d.severity === "error") this.errors.push(d.message.trim());
  };

  get timeline(): TimelineEntry[] {
    return [...this.byUrn.values()];
  }
}

export class StackDriver {
  private constructor(
    readonly spec: StackSpec,
    readonly stack: Stack,
    private readonly workspace: LocalWorkspace,
    private readonly env: Record<string, string>,
    /** The project's Pulumi.<stack>.yaml that pulumi writes (the salt) for a stack whose settings live elsewhere. */
    private readonly strayFile?: string,
  ) {}

  /**
   * Runs a pulumi command and then moves the salt pulumi may have written into the project's
   * Pulumi.<stack>.yaml to the stack's own settings file: `stack init`/`select`, and the
   * `stack output --show-secrets` the Automation API runs after `up`, all write it there.
   */
  private async tidied<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } finally {
      if (this.strayFile && this.spec.configFile) moveSalt(this.strayFile, this.spec.configFile);
    }
  }

  /** Opens an existing stack (or creates it with `create`). */
  static async open(spec: StackSpec, o: { create?: boolean } = {}): Promise<StackDriver> {
    const env = pulumiEnv(spec);
    const bin = env.PATH.split(":")[0];
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(bin), skipVersionCheck: true });
    const workspace = await LocalWorkspace.create({ workDir: repoRoot(), envVars: env, pulumiCommand, pulumiHome: env.PULUMI_HOME });
    // `stack init` and `stack select` write the passphrase salt into the project's Pulumi.<stack>.yaml;
    // a stack with its own settings file keeps it there instead (and the project stays clean)
    const projectFile = path.join(repoRoot(), `Pulumi.${spec.name}.yaml`);
    const hadProjectFile = fs.existsSync(projectFile);
    let stack: Stack;
    if (o.create) {
      const existing = await workspace.listStacks().then((l) => l.some((s) => s.name === spec.name));
      stack = existing ? await Stack.select(spec.name, workspace) : await Stack.create(spec.name, workspace);
    } else {
      stack = await Stack.select(spec.name, workspace);
    }
    const stray = spec.configFile && !hadProjectFile ? projectFile : undefined;
    if (stray) moveSalt(stray, spec.configFile!);
    return new StackDriver(spec, stack, workspace, env, stray);
  }

  // Config commands with a settings file of its own: LocalWorkspace's getAllConfig/setConfig take
  // no --config-file, so these go through the same Automation API command runner with the flag.
  private cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    const cf = this.spec.configFile ? ["--config-file", this.spec.configFile] : [];
    const runner = this.workspace.pulumiCommand as unknown as {
      run(args: string[], cwd: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }>;
    };
    // flags go before a `--` (after it, everything is a value; the runner would append --non-interactive there)
    const dd = args.indexOf("--");
    const flags = ["--stack", this.spec.name, ...cf, "--non-interactive"];
    const full = dd < 0 ? [...args, ...flags] : [...args.slice(0, dd), ...flags, ...args.slice(dd)];
    return runner.run(full, this.workspace.workDir, this.env);
  }

  /** Pulumi's config map, secrets decrypted (in memory only). */
  private async rawConfig(): Promise<Record<string, { value?: string; objectValue?: unknown; secret?: boolean }>> {
    if (!this.spec.configFile) return await this.stack.getAllConfig();
    return JSON.parse((await this.tidied(this.cli(["config", "--show-secrets", "--json"]))).stdout);
  }

  /** The stack's config with secrets decrypted (in memory only), flattened. */
  async config(): Promise<Record<string, string>> {
    return flattenConfig(await this.rawConfig());
  }

  /**
   * The stack's config as entries that say which values are secret (decrypted, in memory only), for
   * a copy of the stack (the rebuild's new server is converged by a stack with the same settings).
   */
  async configEntries(): Promise<Record<string, { value: string; secret: boolean }>> {
    const raw = await this.rawConfig();
    const flat = flattenConfig(raw);
    return Object.fromEntries(Object.keys(flat).map((k) => [k, { value: flat[k], secret: raw[k]?.secret === true }]));
  }

  /** Sets one config value; secrets are encrypted by the stack's secrets provider. */
  async setConfig(key: string, value: string, o: { secret?: boolean; path?: boolean } = {}): Promise<void> {
    if (!this.spec.configFile) return this.stack.setConfig(key, { value, secret: o.secret }, o.path);
    await this.tidied(this.cli(["config", "set", ...(o.path ? ["--path"] : []), o.secret ? "--secret" : "--plaintext", key, "--", value]));
  }

  /** Removes one config value (a rebuild's aistudio:standby when it is done). */
  async removeConfig(key: string): Promise<void> {
    if (!this.spec.configFile) return this.stack.removeConfig(key);
    await this.tidied(this.cli(["config", "rm", key]));
  }

  private opts(o: RunOptions) {
    return {
      configFile: this.spec.configFile,
      color: "never" as const,
      onOutput: o.onOutput,
      refresh: o.refresh,
      expectNoChanges: o.expectNoChanges,
      replace: o.replace,
      policyPacks: o.policyPacks,
      target: o.target,
    };
  }

  async up(o: RunOptions = {}): Promise<RunResult> {
    const t0 = Date.now();
    const log = new EventLog();
    try {
      const r = await this.tidied(this.stack.up({ ...this.opts(o), onEvent: log.onEvent }));
      return { code: 0, stdout: r.stdout, stderr: r.stderr, seconds: secondsSince(t0), changes: { ...(r.summary.resourceChanges ?? {}) } as Record<string, number>, ops: log.ops, timeline: log.timeline };
    } catch (e) {
      return { ...failure(e), seconds: secondsSince(t0), changes: {}, ops: log.ops, timeline: log.timeline };
    }
  }

  /** Preview with the engine's planned steps (each with its state before and after). */
  async preview(o: RunOptions = {}): Promise<PreviewResult> {
    const t0 = Date.now();
    const log = new EventLog();
    try {
      const r = await this.tidied(this.stack.preview({ ...this.opts(o), diff: o.diff, onEvent: log.onEvent }));
      const changes = { ...(r.changeSummary ?? {}) } as Record<string, number>;
      return { code: 0, stdout: r.stdout, stderr: r.stderr, seconds: secondsSince(t0), changes, ops: log.ops, timeline: log.timeline, steps: log.steps, errors: log.errors };
    } catch (e) {
      return { ...failure(e), seconds: secondsSince(t0), changes: {}, ops: log.ops, timeline: log.timeline, steps: log.steps, errors: log.errors };
    }
  }

  /** Deletes resources and takes them out of the state: only `target` (the rebuild's address associations). */
  async destroy(o: { target: string[]; onOutput?: (text: string) => void }): Promise<RunResult> {
    const t0 = Date.now();
    const log = new EventLog();
    try {
      const r = await this.tidied(this.stack.destroy({ configFile: this.spec.configFile, target: o.target, onOutput: o.onOutput, color: "never", onEvent: log.onEvent }));
      return { code: 0, stdout: r.stdout, stderr: r.stderr, seconds: secondsSince(t0), changes: { ...(r.summary.resourceChanges ?? {}) } as Record<string, number>, ops: log.ops, timeline: log.timeline };
    } catch (e) {
      return { ...failure(e), seconds: secondsSince(t0), changes: {}, ops: log.ops, timeline: log.timeline };
    }
  }

  /** Replaces the state (the rebuild's switch, stacks/standby-swap.ts); secrets in it are encrypted again. */
  importState(state: Deployment): Promise<void> {
    return this.tidied(this.stack.importStack(state));
  }

  /** The stack's outputs as plain values (secrets decrypted, in memory only). */
  async outputs(): Promise<Record<string, any>> {
    const m = await this.tidied(this.stack.outputs());
    return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.value]));
  }

  /** The state (secrets decrypted, in memory only). */
  exportState(): Promise<Deployment> {
    return this.tidied(this.stack.exportStack());
  }
}

/** Moves the passphrase salt pulumi wrote into the project's stack file to the stack's own file. */
function moveSalt(written: string, configFile: string): void {
  if (!fs.existsSync(written)) return;
  const salt = fs.readFileSync(written, "utf8").split("\n").find((l) => l.startsWith("encryptionsalt:"));
  fs.rmSync(written);
  if (salt && !fs.readFileSync(configFile, "utf8").includes("encryptionsalt:")) fs.appendFileSync(configFile, salt + "\n");
}
