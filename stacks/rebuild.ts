// Rebuild: replace the server with a fresh one and converge it, then compare the fingerprint.
//   alicloud stacks: `up --replace <the ECS instance>`; the EIP (so the address, DNS and the WeChat
//                    domain) is kept, cloud-init installs the same pinned host key.
//   local stack:     the test host is destroyed and booted fresh at the same address.
// Equal fingerprints mean the same server was rebuilt.
// NOT rebuilt: data under /var/lib/aistudio and any database (issue #12 moves data to its own volume).
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "../core/paths";
import { readTesthost } from "../infra/testhost";
import { StackDriver, StackSpec } from "./driver";

export interface RebuildOutcome {
  ok: boolean;
  before?: string;
  after?: string;
  /** What was replaced: the ECS instance's URN, or the test host's name. */
  replaced?: string;
  error?: string;
  seconds: number;
}

const INSTANCE_TYPE = "alicloud:ecs/instance:Instance";

export async function rebuild(spec: StackSpec, o: { onOutput?: (s: string) => void; say?: (s: string) => void } = {}): Promise<RebuildOutcome> {
  const t0 = Date.now();
  const seconds = () => Math.round((Date.now() - t0) / 100) / 10;
  const say = o.say ?? (() => undefined);
  const driver = await StackDriver.open(spec);
  const before = (await driver.outputs().catch(() => ({} as Record<string, unknown>))).fingerprint as string | undefined;
  const config = await driver.config();
  let replace: string[] = [];
  let replaced: string;
  if ((config["aistudio:target"] ?? "alicloud") === "local") {
    const name = config["aistudio:testhost"];
    if (!name) return { ok: false, error: "aistudio:testhost is not set: the local stack has no test host to rebuild", seconds: seconds() };
    const ip = readTesthost(name).host;
    say(`rebuilding test host ${name} at ${ip}`);
    const testhost = path.join(repoRoot(), "scripts/testhost.sh");
    execFileSync("bash", [testhost, "down", name], { stdio: ["ignore", "ignore", "inherit"] });
    execFileSync("bash", [testhost, "up", name, "--ip", ip], { stdio: ["ignore", "ignore", "inherit"] });
    replaced = name;
  } else {
    const resources = ((await driver.exportState()).deployment as { resources?: { type: string; urn: string }[] }).resources ?? [];
    const urn = resources.find((r) => r.type === INSTANCE_TYPE)?.urn;
    if (!urn) return { ok: false, before, error: `no ECS instance in stack ${spec.name} (adopted servers are not rebuilt by Pulumi)`, seconds: seconds() };
    say(`replacing ${urn}`);
    replace = [urn];
    replaced = urn;
  }
  const up = await driver.up({ replace, onOutput: o.onOutput });
  if (up.code !== 0) return { ok: false, before, replaced, error: `pulumi up failed (exit ${up.code}):\n${up.stderr.slice(-4000)}`, seconds: seconds() };
  const after = (await driver.outputs()).fingerprint as string | undefined;
  return { ok: true, before, after, replaced, seconds: seconds() };
}
