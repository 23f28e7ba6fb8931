// Every package the commands load at run time is a production dependency: the compiled program,
// installed the way a server installs it (`npm ci --omit=dev`, and no optional packages), runs
// each command. Catches a runtime import of a devDependency (typescript, once: the mini program
// lint behind `aistudio lint-miniprogram` and `aistudio doctor` loads it), which the other tests
// cannot see because they run with dev dependencies installed.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProgram } from "../support/compile";

const REPO = path.resolve(__dirname, "../..");
const TIMEOUT = 180_000;

describe("the compiled commands run with production dependencies only (npm ci --omit=dev --omit=optional)", () => {
  let dir: string;

  beforeAll(() => {
    compileProgram();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-runtime-deps-"));
    for (const f of ["package.json", "package-lock.json", "Pulumi.yaml"]) fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
    for (const d of ["dist", "bin"]) fs.cpSync(path.join(REPO, d), path.join(dir, d), { recursive: true });
    // The npm cache already holds every package, so this is quick and needs no network.
    // --omit=optional as well: typescript is also an optional peer of @pulumi/pulumi, which npm
    // installs under --omit=dev alone; a command relying on that would break on the next Pulumi
    // upgrade or under --omit=optional, and the plain --omit=dev install would not show it.
    execFileSync("npm", ["ci", "--omit=dev", "--omit=optional", "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: dir,
      stdio: "pipe",
    });
  }, TIMEOUT);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const aistudio = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(dir, "bin/aistudio.js"), ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });

  it("dev dependencies stayed dev: no vitest, and it cannot be resolved from the install", () => {
    expect(fs.existsSync(path.join(dir, "node_modules/vitest"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "node_modules/typescript"))).toBe(true);
    const r = spawnSync(process.execPath, ["-e", "require.resolve('vitest')"], { cwd: dir, encoding: "utf8" });
    expect(r.status).not.toBe(0);
  });

  it.each(["doctor", "drift"])("%s --help: exit 0 and lists --stack", (command) => {
    const r = aistudio(command, "--help");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain("--stack");
  });

  it("lint-miniprogram --help: exit 0 and lists its options", () => {
    const r = aistudio("lint-miniprogram", "--help");
    expect(r.status, r.stderr).toBe(0);
    for (const option of ["--domain", "--json", "--lang", "--allow-host"]) expect(r.stdout).toContain(option);
  });

  it("lint-miniprogram on the clean fixture: exit 0, every check passes", () => {
    const r = aistudio("lint-miniprogram", path.join(REPO, "test/fixtures/miniprogram/clean"), "--lang", "en");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("✓ ENV is 'production'");
    expect(r.stdout).toContain("Result: 0 error(s), 0 warning(s) — PASS");
  });
});
