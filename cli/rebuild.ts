// `aistudio rebuild` (npm run rebuild -- --stack S): replace the server with a fresh one, converge
// it, and compare the fingerprint with the previous build.
import { CommandSpec, stackName, stackOptions, str, withArgs } from "./args";
import { rebuild } from "../stacks/rebuild";

export const REBUILD: CommandSpec = {
  usage: "aistudio rebuild [--stack S] [--config-file F]",
  summary: "replace the server with a fresh one and converge it / 用新服务器替换并重新部署",
  options: {
    ...stackOptions("rebuild"),
  },
  footer: [
    "A fresh backup is taken first (stacks with aistudio:backup); if it fails nothing is replaced.",
    "A fleet (servers.count > 1): its servers one at a time, each out of the load balancer until its new server is healthy.",
    "alicloud: the ECS instance is replaced (EIP, DNS, host key and data disk kept); local: the test host is booted",
    "fresh at its address with the same volume. A new (empty) volume gets the fresh backup restored.",
    "exit 0: rebuilt, 1: the rebuild failed",
  ],
};

export function rebuildMain(argv: string[]): Promise<number> {
  return withArgs(REBUILD, argv, async (a) => {
    const stack = stackName(a);
    const r = await rebuild(
      { name: stack, configFile: str(a, "config-file") },
      { onOutput: (s) => process.stdout.write(s), say: (s) => console.error(`==> ${s}`) },
    );
    if (!r.ok) {
      console.error(`✗ rebuild failed / 重建失败: ${r.error}`);
      return 1;
    }
    console.error(`fingerprint before: ${r.before ?? "none"}`);
    console.error(`fingerprint after:  ${r.after}`);
    if (r.before && r.before !== r.after) console.error("the rebuilt server differs from the previous build (package updates from the mirror?)");
    if (r.backup) console.error(`backup before the rebuild: ${r.backup.slice(0, 8)}`);
    console.error(`data: ${r.data === "volume" ? "moved with the data volume" : r.data === "restored" ? "restored from the backup (the volume was new)" : "none carried over (no volume, no backup)"}`);
    console.error(`rebuilt ${r.replaced} in ${r.seconds}s`);
    return 0;
  });
}
