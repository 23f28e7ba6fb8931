/**
 * `aistudio`: the command dispatcher. Each subcommand is one entry in `commands`;
 * adding one is a one-line change.
 */
// Subcommands are loaded when run: doctor and drift pull in @pulumi/pulumi, which takes a second
// or two to load, and `--help` or `lint-miniprogram` should not pay for it.

export interface Command {
  /** One line for `aistudio --help`. */
  summary: string;
  /** Runs with the arguments after the subcommand name; resolves to the exit code. */
  run: (argv: string[]) => Promise<number>;
}

export const commands: Record<string, Command> = {
  "lint-miniprogram": {
    summary: "check the mini program's config.js, hard-coded URLs and urlCheck / 检查小程序 config.js、硬编码 URL 和 urlCheck",
    run: (argv) => (require("./lint-miniprogram") as typeof import("./lint-miniprogram")).runLintMiniprogram(argv),
  },
  doctor: {
    summary: "run the troubleshooting guide's checks against a deployed stack / 按排障手册逐项检查线上服务",
    run: (argv) => (require("./doctor") as typeof import("./doctor")).doctorMain(argv),
  },
  rebuild: {
    summary: "replace the server with a fresh one and converge it / 用新服务器替换并重新部署",
    run: (argv) => (require("./rebuild") as typeof import("./rebuild")).rebuildMain(argv),
  },
  backup: {
    summary: "back up the database and the uploads now / 立即备份数据库和上传文件",
    run: (argv) => (require("./backup") as typeof import("./backup")).backupMain(argv),
  },
  backups: {
    summary: "list the backups (snapshots) / 列出备份快照",
    run: (argv) => (require("./backup") as typeof import("./backup")).backupsMain(argv),
  },
  restore: {
    summary: "restore the database and the uploads from a backup / 从备份恢复数据库和上传文件",
    run: (argv) => (require("./backup") as typeof import("./backup")).restoreMain(argv),
  },
  drift: {
    summary: "report what changed on the servers and in the cloud since the last deploy / 检查服务器与云资源是否偏离上次部署",
    run: (argv) => (require("./drift") as typeof import("./drift")).driftMain(argv),
  },
};

export function helpText(): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${commands[n].summary}`);
  return [
    "Usage: aistudio <command> [options]",
    "用法：aistudio <命令> [选项]",
    "",
    "Commands / 命令:",
    ...lines,
    "",
    "Run `aistudio <command> --help` for a command's options.",
    "",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(helpText());
    return 2;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(helpText());
    return 0;
  }
  const command = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`aistudio: unknown command '${name}'\n\n${helpText()}`);
    return 2;
  }
  return command.run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`aistudio: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
