// A stack of this project with its own state directory, settings file and PULUMI_HOME in a
// temp directory: what the integration tests and the bench deploy with, and the copy of a stack
// that converges a rebuild's new server beside the old one (stacks/rebuild-beside.ts). Driven through
// StackDriver like every other stack; config is written the way a user writes it (plain values
// in the settings file, secrets with `config set --secret`, stored encrypted).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RunOptions, RunResult, PreviewResult, StackDriver } from "./driver";

export class ScratchStack {
  readonly dir: string;
  readonly configFile: string;
  /** Every stdout/stderr of this stack's runs (for the secrets-in-output checks). */
  readonly transcript: string[] = [];
  private salt?: string;
  private secrets: Record<string, string> = {};
  private driverP?: Promise<StackDriver>;

  constructor(readonly name: string, config: Record<string, unknown>, o: { parentDir?: string; passphrase?: string } = {}) {
    const parent = o.parentDir ?? os.tmpdir();
    fs.mkdirSync(parent, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(parent, `aistudio-${name}-`));
    fs.mkdirSync(path.join(this.dir, "state"));
    this.configFile = path.join(this.dir, `Pulumi.${name}.yaml`);
    this.passphrase = o.passphrase ?? "aistudio-test";
    this.setConfig(config);
  }

  private readonly passphrase: string;

  /** The environment a child process needs to reach this stack (`aistudio doctor --stack … --config-file …`). */
  env(): NodeJS.ProcessEnv {
    return { ...process.env, ...this.ownEnv() };
  }

  /** How the commands' drivers open this stack (rebuild, backup): its name, settings file and environment. */
  spec(): { name: string; configFile: string; env: Record<string, string> } {
    return { name: this.name, configFile: this.configFile, env: this.ownEnv() };
  }

  private ownEnv(): Record<string, string> {
    return {
      PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: this.passphrase,
      PULUMI_HOME: path.join(this.dir, "home"),
      NO_COLOR: "1",
    };
  }

  /** Writes the plain config (secrets are re-applied by reconfigure). */
  setConfig(config: Record<string, unknown>): void {
    const lines = ["config:"];
    for (const [k, v] of Object.entries(config)) lines.push(`  aistudio:${k}: ${JSON.stringify(v)}`);
    if (this.salt) lines.push(this.salt);
    fs.writeFileSync(this.configFile, lines.join("\n") + "\n");
  }

  /** The stack's driver (created on first use): for reading it like any other stack (readStack). */
  driver(): Promise<StackDriver> {
    this.driverP ??= StackDriver.open({ name: this.name, configFile: this.configFile, env: this.ownEnv() }, { create: true }).then((d) => {
      this.salt = fs.readFileSync(this.configFile, "utf8").split("\n").find((l) => l.startsWith("encryptionsalt:"));
      return d;
    });
    return this.driverP;
  }

  /** Creates the stack in its own backend. */
  async init(): Promise<void> {
    await this.driver();
  }

  /** Sets secret config values the way users do (`config set --secret`); re-applied by reconfigure. */
  async setSecrets(secrets: Record<string, string>): Promise<void> {
    this.secrets = { ...this.secrets, ...secrets };
    const d = await this.driver();
    for (const [k, v] of Object.entries(this.secrets)) await d.setConfig(`aistudio:${k}`, v, { secret: true });
  }

  /** Replaces the plain config and re-applies the secrets. */
  async reconfigure(config: Record<string, unknown>): Promise<void> {
    await this.driver();
    this.setConfig(config);
    await this.setSecrets({});
  }

  private record<T extends RunResult>(r: T): T {
    this.transcript.push(r.stdout, r.stderr);
    return r;
  }

  async up(o: RunOptions = {}): Promise<RunResult> {
    return this.record(await (await this.driver()).up(o));
  }

  async preview(o: RunOptions = {}): Promise<PreviewResult> {
    return this.record(await (await this.driver()).preview(o));
  }

  async outputs(): Promise<Record<string, any>> {
    return (await this.driver()).outputs();
  }

  /** The state backend's files as text (what a reader of the backend would see). */
  stateText(): string {
    let text = "";
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else text += fs.readFileSync(p, "utf8") + "\n";
      }
    };
    walk(path.join(this.dir, "state"));
    return text;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** True when a run changed nothing: every resource "same". */
export function unchanged(r: RunResult): boolean {
  return Object.keys(r.changes).length > 0 && Object.keys(r.changes).every((op) => op === "same");
}
