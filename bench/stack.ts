// A Pulumi stack of this project for the bench: its own state directory and config file (like
// test/support/hosts.ts TestStack), run with the project's pulumi CLI directly. The program is
// compiled once at the start of the bench (scripts/pulumi.sh would run tsc before every command:
// a development cost, not a provisioning cost, so it is kept out of the timings).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO, WORK, pulumiBaseEnv } from "./repo";

const pexec = promisify(execFile);

export interface PulumiRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Config of a local self-signed stack on the named test host with the given app directory. */
export function benchConfig(host: string, o: { appDir?: string; extraServerConfig?: string } = {}): Record<string, unknown> {
  return {
    target: "local",
    testhost: host,
    domain: "photogooo.com",
    tls: { mode: "self-signed" },
    wechat: { checks: false },
    app: { dir: o.appDir ?? "provision/sample-app", workers: 2 },
    smoke: { timeoutSeconds: 60 },
    ...(o.extraServerConfig ? { nginx: { extraServerConfig: o.extraServerConfig } } : {}),
  };
}

export class BenchStack {
  readonly dir: string;
  readonly configFile: string;
  private salt?: string;
  private secrets: Record<string, string> = {};
  /** Every stdout/stderr of this stack's pulumi runs (for the secrets-in-output check). */
  readonly transcript: string[] = [];

  constructor(readonly name: string, config: Record<string, unknown>) {
    fs.mkdirSync(WORK, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(WORK, `stack-${name}-`));
    fs.mkdirSync(path.join(this.dir, "state"));
    this.configFile = path.join(this.dir, `Pulumi.${name}.yaml`);
    this.writeConfig(config);
  }

  private writeConfig(config: Record<string, unknown>) {
    const lines = ["config:"];
    for (const [k, v] of Object.entries(config)) lines.push(`  aistudio:${k}: ${JSON.stringify(v)}`);
    if (this.salt) lines.push(this.salt);
    fs.writeFileSync(this.configFile, lines.join("\n") + "\n");
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...pulumiBaseEnv(),
      PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "aistudio-bench",
      PULUMI_HOME: path.join(this.dir, "home"),
    };
  }

  async pulumi(...args: string[]): Promise<PulumiRun> {
    const t0 = Date.now();
    const cfg = args[0] === "stack" ? [] : ["--config-file", this.configFile];
    const init = args[0] === "stack" && args[1] === "init";
    const flags = [...(init ? [] : ["--stack", this.name]), ...cfg, "--non-interactive", "--color", "never"];
    const dd = args.indexOf("--");
    const ordered = dd < 0 ? [...args, ...flags] : [...args.slice(0, dd), ...flags, ...args.slice(dd)];
    let r: PulumiRun;
    try {
      const o = await pexec("pulumi", ordered, { cwd: REPO, env: this.env(), maxBuffer: 64 << 20 });
      r = { code: 0, stdout: o.stdout, stderr: o.stderr, seconds: (Date.now() - t0) / 1000 };
    } catch (e) {
      const err = e as { code: unknown; stdout?: string; stderr?: string; message: string };
      r = { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? err.message, seconds: (Date.now() - t0) / 1000 };
    }
    this.transcript.push(r.stdout, r.stderr);
    return r;
  }

  async init(): Promise<void> {
    const r = await this.pulumi("stack", "init", this.name);
    if (r.code !== 0 && !/already exists/.test(r.stderr)) throw new Error(`pulumi stack init ${this.name}: ${r.stderr}`);
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

  async setSecrets(secrets: Record<string, string>): Promise<void> {
    this.secrets = { ...this.secrets, ...secrets };
    for (const [k, v] of Object.entries(this.secrets)) {
      const r = await this.pulumi("config", "set", "--secret", `aistudio:${k}`, "--", v);
      if (r.code !== 0) throw new Error(`pulumi config set --secret ${k}: ${r.stderr}`);
    }
  }

  async reconfigure(config: Record<string, unknown>): Promise<void> {
    this.writeConfig(config);
    await this.setSecrets({});
  }

  up(...extra: string[]): Promise<PulumiRun> {
    return this.pulumi("up", "--yes", "--skip-preview", ...extra);
  }

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

/** What `pulumi up` reported: "N unchanged", "N updated", ... */
export function upSummary(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stdout.matchAll(/^\s+(\d+) (created|updated|unchanged|replaced|deleted)\b/gm)) out[m[2]] = Number(m[1]);
  return out;
}
