// The bench's stacks: ScratchStack (stacks/scratch.ts, driven through the Automation API like
// every stack) under the bench's work directory. The program is compiled once at the start of
// the bench, so compile time stays out of the timings.
import { ScratchStack } from "../stacks/scratch";
import { WORK } from "./repo";

export type { RunResult as PulumiRun } from "../stacks/driver";

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

export class BenchStack extends ScratchStack {
  constructor(name: string, config: Record<string, unknown>) {
    super(name, config, { parentDir: WORK, passphrase: "aistudio-bench" });
  }
}
