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
    "alicloud: the ECS instance is replaced (EIP, DNS and host key kept); local: the test host is booted fresh at its address.",
    "Data under /var/lib/aistudio is NOT carried over: back it up first.",
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
    console.error(`rebuilt ${r.replaced} in ${r.seconds}s`);
    return 0;
  });
}
