// Compiles the program into dist/ (tsconfig.json) for tests that run bin/aistudio.js.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "../..");

export function compileProgram(): void {
  // Others may have type errors in flight elsewhere in the tree; tsc still emits,
  // so only insist that the entry point was (re)built.
  try {
    execFileSync("npx", ["--no-install", "tsc", "-p", "tsconfig.json"], { cwd: REPO, stdio: "pipe" });
  } catch (err) {
    if (!fs.existsSync(path.join(REPO, "dist/cli/main.js"))) throw err;
  }
}
