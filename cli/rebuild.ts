// `aistudio rebuild` (npm run rebuild -- --stack S): replace the server with a fresh one, converge
// it, and compare the fingerprint with the previous build.
import { CommandSpec, stackName, stackOptions, str, withArgs } from "./args";
import { rebuild } from "../stacks/rebuild";

export const REBUILD: CommandSpec = {
  usage: "aistudio rebuild [--stack S] [--config-file F] [--in-place]",
  summary: "replace the server with a fresh one and converge it / 用新服务器替换并重新部署",
  options: {
    ...stackOptions("rebuild"),
    "in-place": { type: "boolean", help: "replace the server where it stands (local: the old test host goes first; alicloud: up --replace) / 原地替换" },
  },
  footer: [
    "A fresh backup is taken first (stacks with aistudio:backup); if it fails nothing is replaced.",
    "A fleet (servers.count > 1): its servers one at a time, each out of the load balancer until its new server is healthy.",
    "local: the new server is built and converged beside the old one, which serves until the new one has its data",
    "(the fresh backup restored while the old one serves, then the changes of a last backup taken with the old app",
    "paused) and passed its smoke test; then the old app is retired and the address moves to the new server.",
    "A failure before that leaves the old server serving, unchanged. With a volume and no backups, and with --in-place:",
    "the test host is booted fresh at its address with the same volume.",
    "alicloud: the same, with a standby ECS instance beside the old one (same spec and host key, a temporary EIP, a",
    "blank data disk of its own); at the switch the EIP is associated with it, then the old instance and the temporary",
    "EIP are released (prod keeps the old data disk in the account); a rebuild that stopped half way is finished (or its",
    "standby released) by the next one. With a volume and no backups, and with --in-place:",
    "the ECS instance is replaced in place (EIP, DNS, host key and data disk kept); a new (empty) volume gets the fresh",
    "backup restored.",
    "exit 0: rebuilt, 1: the rebuild failed",
  ],
};

export function rebuildMain(argv: string[]): Promise<number> {
  return withArgs(REBUILD, argv, async (a) => {
    const stack = stackName(a);
    const t0 = Date.now();
    const r = await rebuild(
      { name: stack, configFile: str(a, "config-file") },
      { onOutput: (s) => process.stdout.write(s), say: (s) => console.error(`==> [${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`), inPlace: a["in-place"] === true },
    );
    if (!r.ok) {
      console.error(`✗ rebuild failed / 重建失败: ${r.error}`);
      return 1;
    }
    console.error(`fingerprint before: ${r.before ?? "none"}`);
    console.error(`fingerprint after:  ${r.after}`);
    if (r.before && r.before !== r.after) console.error("the rebuilt server differs from the previous build (package updates from the mirror?)");
    if (r.backup) console.error(`backup before the rebuild: ${r.backup.slice(0, 8)}`);
    if (r.handover) console.error(`hand-over backup: ${r.handover.slice(0, 8)} (the old app paused ${r.pausedSeconds}s until the address moved)`);
    const data = { volume: "moved with the data volume", restored: "restored from the backup (the volume was new)", handover: "handed over: the last backup restored on the new server", none: "none carried over (no backup)" };
    console.error(`data: ${data[r.data ?? "none"]}`);
    console.error(`rebuilt ${r.replaced} in ${r.seconds}s`);
    return 0;
  });
}
