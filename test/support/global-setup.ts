// Vitest global setup for integration tests: builds the program and the cached test-host image
// once, and tears down every test host this run started (clean: no container, link or proxy left).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { hostCapability, REPO } from "./capability";

export default function setup() {
  const c = hostCapability();
  if (!c.ok) return;
  const run = (args: string[]) => execFileSync(args[0], args.slice(1), { cwd: REPO, stdio: ["ignore", "inherit", "inherit"] });
  console.error("[global-setup] compiling the program (tsc)");
  run(["npx", "--no-install", "tsc", "-p", "tsconfig.json"]);
  console.error("[global-setup] test-host image");
  run(["bash", path.join(REPO, "scripts/testhost.sh"), "image"]);
  console.error("[global-setup] Pulumi toolchain");
  run(["bash", path.join(REPO, "scripts/toolchain.sh")]);
  console.error("[global-setup] S3 object store (SeaweedFS, built once from Go modules)");
  run(["bash", path.join(REPO, "scripts/objectstore.sh"), "build"]);
  // hosts booted by this run are listed in this file (see test/support/hosts.ts) and removed at the end
  const list = path.join(os.tmpdir(), `aistudio-run-${process.pid}.hosts`);
  process.env.AISTUDIO_RUN_HOSTS = list;
  fs.writeFileSync(list, "");
  return () => {
    const names = new Set(fs.readFileSync(list, "utf8").split("\n").filter(Boolean));
    // hosts first: a volume is removed only once no host holds it
    for (const n of [...names].filter((x) => !x.startsWith("volume:"))) {
      try {
        execFileSync("bash", [path.join(REPO, "scripts/testhost.sh"), "down", n], { stdio: "inherit" });
      } catch { /* already gone */ }
    }
    for (const v of [...names].filter((x) => x.startsWith("volume:"))) {
      try {
        execFileSync("bash", [path.join(REPO, "scripts/testhost.sh"), "volume", "rm", v.slice("volume:".length)], { stdio: "inherit" });
      } catch { /* already gone */ }
    }
    fs.rmSync(list, { force: true });
  };
}
