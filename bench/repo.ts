// Where the project is, and how the bench runs its tools (the project's toolchain,
// scripts/testhost.sh), whether it runs compiled (dist-bench/) or under vitest.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "../core/paths";

export const REPO = repoRoot();
export const TESTHOST = path.join(REPO, "scripts/testhost.sh");
export const WORK = path.join(REPO, "bench/.work");
export const RESULTS = path.join(REPO, "bench/results");

/** Progress on stderr, so nobody stares at a silent terminal. */
export function say(msg: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${msg}\n`);
}

/** Finds or builds the Pulumi toolchain (scripts/toolchain.sh), which the stacks' driver then finds. */
export function ensureToolchain(): void {
  execFileSync("bash", [path.join(REPO, "scripts/toolchain.sh")], { stdio: ["ignore", "ignore", "inherit"] });
}

/** Compiles the program (dist/) once, as scripts/pulumi.sh does before every run. */
export function buildProgram(): void {
  execFileSync("npx", ["--no-install", "tsc", "-p", "tsconfig.json"], { cwd: REPO, stdio: ["ignore", "inherit", "inherit"] });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
