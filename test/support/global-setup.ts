// Vitest global setup for integration tests: builds the program and the cached test-host image
// once, and tears down every test host this run started (clean: no container, link or proxy left).
import { execFileSync } from "node:child_process";
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
  return () => {
    // remove only the hosts the tests made (prefix it-), never the user's demo host
    const out = execFileSync("bash", [path.join(REPO, "scripts/testhost.sh"), "ls", "--json"], { encoding: "utf8" });
    for (const h of JSON.parse(out) as { name: string }[]) {
      if (h.name.startsWith("it-")) execFileSync("bash", [path.join(REPO, "scripts/testhost.sh"), "down", h.name], { stdio: "inherit" });
    }
  };
}
