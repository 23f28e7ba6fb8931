// Test hosts and Pulumi stacks for integration tests.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO } from "./capability";
import { readTesthost, TesthostRecord } from "../../infra/testhost";

const pexec = promisify(execFile);
const TESTHOST = path.join(REPO, "scripts/testhost.sh");

export function bootHost(name: string, ip?: string): TesthostRecord {
  try {
    execFileSync("bash", [TESTHOST, "down", name], { stdio: "ignore" });
  } catch { /* not there */ }
  if (process.env.AISTUDIO_RUN_HOSTS) fs.appendFileSync(process.env.AISTUDIO_RUN_HOSTS, name + "\n");
  execFileSync("bash", [TESTHOST, "up", name, ...(ip ? ["--ip", ip] : [])], { stdio: ["ignore", "ignore", "inherit"] });
  return readTesthost(name);
}

export function hostDown(name: string) {
  execFileSync("bash", [TESTHOST, "down", name], { stdio: ["ignore", "ignore", "inherit"] });
}

export function hostCmd(name: string, script: string): string {
  return execFileSync("bash", [TESTHOST, "ssh", name, "bash", "-s"], { input: script, encoding: "utf8" });
}

export function hostCmdResult(name: string, script: string): { code: number; out: string } {
  try {
    return { code: 0, out: hostCmd(name, script) };
  } catch (e) {
    const err = e as { status: number; stdout?: string; stderr?: string };
    return { code: err.status, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

export interface PulumiRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** A Pulumi stack of this project with its own state directory and config file. */
export class TestStack {
  readonly dir: string;
  readonly configFile: string;
  /** Secret config values, set with `pulumi config set --secret` (stored encrypted, like a user would). */
  private secrets: Record<string, string> = {};

  constructor(readonly name: string, config: Record<string, unknown>) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `aistudio-${name}-`));
    fs.mkdirSync(path.join(this.dir, "state"));
    this.configFile = path.join(this.dir, `Pulumi.${name}.yaml`);
    this.setConfig(config);
  }

  setConfig(config: Record<string, unknown>) {
    const lines = ["config:"];
    for (const [k, v] of Object.entries(config)) lines.push(`  aistudio:${k}: ${JSON.stringify(v)}`);
    if (this.salt) lines.push(this.salt);
    fs.writeFileSync(this.configFile, lines.join("\n") + "\n");
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "aistudio-test",
      PULUMI_HOME: path.join(this.dir, "home"),
      NO_COLOR: "1",
    };
  }

  async pulumi(...args: string[]): Promise<PulumiRun> {
    const t0 = Date.now();
    // `stack …` subcommands take no --config-file
    const cfg = args[0] === "stack" ? [] : ["--config-file", this.configFile];
    const flags = ["--stack", this.name, ...cfg, "--non-interactive", "--color", "never"];
    const dd = args.indexOf("--");
    const ordered = dd < 0 ? [...args, ...flags] : [...args.slice(0, dd), ...flags, ...args.slice(dd)];
    const full = [path.join(REPO, "scripts/pulumi.sh"), ...ordered];
    try {
      const r = await pexec("bash", full, { cwd: REPO, env: this.env(), maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - t0) / 1000 };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "", seconds: (Date.now() - t0) / 1000 };
    }
  }

  async init(): Promise<void> {
    const r = await pexec("bash", [path.join(REPO, "scripts/pulumi.sh"), "stack", "init", this.name, "--non-interactive"], { cwd: REPO, env: this.env() }).catch((e) => e);
    if (r instanceof Error && !/already exists/.test(String((r as { stderr?: string }).stderr))) throw r;
    // `stack init` writes the passphrase salt into the project's Pulumi.<stack>.yaml: move it to our file
    const written = path.join(REPO, `Pulumi.${this.name}.yaml`);
    if (fs.existsSync(written)) {
      const salt = fs.readFileSync(written, "utf8").split("\n").find((l) => l.startsWith("encryptionsalt:"));
      fs.rmSync(written);
      if (salt) {
        this.salt = salt;
        fs.appendFileSync(this.configFile, salt + "\n");
      }
    }
  }

  private salt?: string;

  /** Sets secret config values the way users do; call after init(). Re-applied by setConfig. */
  async setSecrets(secrets: Record<string, string>) {
    this.secrets = { ...this.secrets, ...secrets };
    await this.applySecrets();
  }

  private async applySecrets() {
    for (const [k, v] of Object.entries(this.secrets)) {
      const r = await this.pulumi("config", "set", "--secret", `aistudio:${k}`, "--", v);
      if (r.code !== 0) throw new Error(`pulumi config set --secret ${k} failed: ${r.stderr}`);
    }
  }

  /** Replaces the plain config and re-applies the secrets. */
  async reconfigure(config: Record<string, unknown>) {
    this.setConfig(config);
    await this.applySecrets();
  }

  async up(...extra: string[]) {
    return this.pulumi("up", "--yes", "--skip-preview", ...extra);
  }

  async outputs(): Promise<Record<string, any>> {
    const r = await this.pulumi("stack", "output", "--json");
    if (r.code !== 0) throw new Error(`pulumi stack output failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** The state file as text (what a reader of the backend would see). */
  stateText(): string {
    const dir = path.join(this.dir, "state");
    let text = "";
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else text += fs.readFileSync(p, "utf8") + "\n";
      }
    };
    walk(dir);
    return text;
  }

  cleanup() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Config for a stack that targets the named test host with the sample app. */
export function localConfig(host: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    target: "local",
    testhost: host,
    domain: "photogooo.com",
    tls: { mode: "self-signed" },
    wechat: { checks: false },
    app: { dir: "provision/sample-app", workers: 2 },
    smoke: { timeoutSeconds: 30 },
    ...extra,
  };
}
