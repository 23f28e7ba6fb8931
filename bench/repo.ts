// Where the project is, and how the bench runs its tools (pulumi from the project's toolchain,
// scripts/testhost.sh), whether it runs compiled (dist-bench/) or under vitest.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

function findRepo(from: string): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "package.json"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`bench: cannot find the project (Pulumi.yaml) above ${from}`);
    dir = up;
  }
}

export const REPO = findRepo(__dirname);
export const TESTHOST = path.join(REPO, "scripts/testhost.sh");
export const WORK = path.join(REPO, "bench/.work");
export const RESULTS = path.join(REPO, "bench/results");

/** Progress on stderr, so nobody stares at a silent terminal. */
export function say(msg: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${msg}\n`);
}

let toolchain: string | undefined;
/** The directory holding the project's pulumi CLI (built or found by scripts/toolchain.sh). */
export function toolchainBin(): string {
  if (!toolchain) {
    const out = execFileSync("bash", [path.join(REPO, "scripts/toolchain.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    toolchain = out.trim().split("\n").pop()!;
  }
  return toolchain;
}

/** The environment scripts/pulumi.sh and scripts/env.sh set up, without their compile step. */
export function pulumiBaseEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${toolchainBin()}:${process.env.PATH}`,
    AISTUDIO_REPO: REPO,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    NO_COLOR: "1",
  };
}

/** Compiles the program (dist/) once, as scripts/pulumi.sh does before every run. */
export function buildProgram(): void {
  execFileSync("npx", ["--no-install", "tsc", "-p", "tsconfig.json"], { cwd: REPO, stdio: ["ignore", "inherit", "inherit"] });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
