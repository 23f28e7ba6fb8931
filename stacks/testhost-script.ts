// scripts/testhost.sh, run by the commands that replace the local stack's test hosts (the rebuild in
// place, the fleet's rebuild, the rebuild beside the old server): its progress goes to this process's
// stderr, its JSON record is not needed (infra/testhost.ts reads the host's record from its state).
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "../core/paths";

export const testhostScript = (): string => path.join(repoRoot(), "scripts/testhost.sh");

export function runTesthost(args: string[]): void {
  execFileSync("bash", [testhostScript(), ...args], { stdio: ["ignore", "ignore", "inherit"] });
}
