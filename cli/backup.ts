// `aistudio backup` (npm run backup -- --stack S): back up the server now, with progress.
// `aistudio backups` (npm run backups -- --stack S): the snapshots, with time, size and what they hold.
// `aistudio restore` (npm run restore -- --stack S [--snapshot ID] [--yes]): put a snapshot back.
import * as readline from "node:readline/promises";
import { CommandSpec, stackName, stackOptions, str, withArgs } from "./args";
import { backupNow, backupTarget, humanBytes, listSnapshots, restoreSnapshot } from "../stacks/backup";

export const BACKUP: CommandSpec = {
  usage: "aistudio backup [--stack S] [--config-file F]",
  summary: "back up the database and the uploads now / 立即备份数据库和上传文件",
  options: { ...stackOptions("backup") },
  footer: ["exit 0: a new snapshot is in the repository, 1: the backup failed"],
};

export const BACKUPS: CommandSpec = {
  usage: "aistudio backups [--stack S] [--config-file F]",
  summary: "list the backups (snapshots) / 列出备份快照",
  options: { ...stackOptions("backups") },
  footer: [],
};

export const RESTORE: CommandSpec = {
  usage: "aistudio restore [--stack S] [--snapshot ID] [--yes]",
  summary: "restore the database and the uploads from a backup / 从备份恢复数据库和上传文件",
  options: {
    ...stackOptions("restore"),
    snapshot: { type: "string", help: "snapshot id from `aistudio backups` (default: the latest) / 快照 ID（默认最新）" },
    yes: { type: "boolean", help: "do not ask before replacing the server's data / 不再确认" },
  },
  footer: [
    "The app is stopped, the database and the data dir are replaced by the snapshot's (a pre-restore",
    "snapshot of the replaced data is taken first), the app is started and smoke-tested.",
    "exit 0: restored and the smoke test passed, 1: failed, 2: not confirmed",
  ],
};

const progress = (line: string) => console.error(line);

export function backupMain(argv: string[]): Promise<number> {
  return withArgs(BACKUP, argv, async (a) => {
    const t = await backupTarget({ name: stackName(a), configFile: str(a, "config-file") });
    console.error(`==> backing up ${t.connection.host} to ${t.config.backup!.repository}`);
    const r = await backupNow(t, progress);
    console.log(`snapshot ${r.snapshot.slice(0, 8)}: ${humanBytes(r.bytesProcessed)} backed up, ${humanBytes(r.bytesAdded)} new, in ${r.seconds}s`);
    return 0;
  });
}

export function backupsMain(argv: string[]): Promise<number> {
  return withArgs(BACKUPS, argv, async (a) => {
    const t = await backupTarget({ name: stackName(a), configFile: str(a, "config-file") });
    const list = await listSnapshots(t);
    if (list.length === 0) {
      console.log("no snapshots yet / 还没有备份: npm run backup -- --stack " + stackName(a));
      return 0;
    }
    console.log(["ID".padEnd(10), "TIME".padEnd(20), "SIZE".padStart(10), "  TAGS / PATHS"].join(""));
    for (const s of list) {
      console.log([s.id.padEnd(10), s.time.slice(0, 19).replace("T", " ").padEnd(20), humanBytes(s.size).padStart(10), `  ${s.tags.filter((x) => x !== "aistudio").join(",")} ${s.paths.join(" ")}`].join(""));
    }
    return 0;
  });
}

export function restoreMain(argv: string[]): Promise<number> {
  return withArgs(RESTORE, argv, async (a) => {
    const snapshot = str(a, "snapshot") ?? "latest";
    const t = await backupTarget({ name: stackName(a), configFile: str(a, "config-file") });
    if (a.yes !== true) {
      if (!process.stdin.isTTY) {
        console.error(`restore would replace the data on ${t.connection.host} with snapshot ${snapshot}: add --yes to confirm`);
        return 2;
      }
      const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`Replace the database and uploads on ${t.connection.host} (${t.config.domain}) with snapshot ${snapshot}? 确认恢复? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) return 2;
    }
    const smoke = await restoreSnapshot(t, snapshot, progress);
    console.log(`restored ${snapshot}; smoke test passed in ${smoke.seconds}s / 恢复完成`);
    return 0;
  });
}
