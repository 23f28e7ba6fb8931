// Can this machine host test servers? Integration tests skip loudly where it cannot, and fail
// instead of skipping when CI=true.
import { execFileSync } from "node:child_process";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "../..");

export function hostCapability(): { ok: boolean; why: string } {
  try {
    execFileSync("bash", [path.join(REPO, "scripts/testhost.sh"), "check"], { stdio: "pipe" });
    return { ok: true, why: "" };
  } catch (e) {
    const out = (e as { stdout?: Buffer }).stdout?.toString().trim();
    return { ok: false, why: out || String(e) };
  }
}

/** `describe.skipIf(!canHost)` helper with the loud message and the CI rule. */
export function requireHosts(): boolean {
  const c = hostCapability();
  if (c.ok) return true;
  if (process.env.CI === "true") throw new Error(`integration tests cannot run here (CI=true, so this fails instead of skipping): ${c.why}`);
  console.warn(`\n!!! SKIPPING integration tests: this machine cannot host test servers: ${c.why}\n`);
  return false;
}
