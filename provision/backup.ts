// Backups: restic (the distribution's package) on a systemd timer, into a repository on an
// S3-compatible store (OSS; locally a test host's object store). Each run dumps the database
// consistently (pg_dump, or SQLite's online backup), backs up the dump and the data dir (the
// uploads), applies the retention and records its success; a weekly timer runs `restic check`.
// A failed run fails its unit, and the doctor reads the tool's status. The same tool on the server
// (/usr/local/sbin/aistudio-backup, provision/scripts/backup-tool.sh) serves `npm run backup`,
// `restore` and `backups`.
import { Step } from "./step";
import { scriptFromFile } from "./shell";
import { envFileContent } from "./app";
import { fileProbe, probeOf, unitProbe } from "./probes";
import { APP_UNIT, BACKUP_TOOL, ENV_FILE } from "../core/constants";

export { BACKUP_TOOL };
export const BACKUP_ENV = "/etc/aistudio/backup.env";
/** Every snapshot younger than this is kept whatever the daily/weekly/monthly policy says (restic --keep-within). */
export const KEEP_WITHIN = "2d";
export const BACKUP_STATE = "/var/lib/aistudio-backup";
export const BACKUP_SERVICE = "aistudio-backup.service";
export const BACKUP_TIMER = "aistudio-backup.timer";
export const CHECK_SERVICE = "aistudio-backup-check.service";
export const CHECK_TIMER = "aistudio-backup-check.timer";
const UNIT_DIR = "/etc/systemd/system";

export interface BackupOptions {
  repository: string;
  accessKeyId: string;
  /** Secrets: only in the root-only environment file. */
  secretAccessKey: string;
  password: string;
  /** The app's data dir (on the data volume). */
  dataDir: string;
  /** gunicorn's port: a restore waits until the app listens again. */
  appPort: number;
  database: { mode: "none" | "local" | "external"; name: string; user: string };
  /** The snapshots' host name: the domain, so a rebuilt server continues the same series. */
  host: string;
  schedule: string;
  checkSchedule: string;
  keep: { daily: number; weekly: number; monthly: number };
  /**
   * false: the timers are installed but not started (a rebuild's standby until the switch: a
   * scheduled backup of its half-restored data dir must not become the repository's newest snapshot,
   * nor count in the retention). The switch's `up` runs the step again with them on.
   */
  timers?: boolean;
}

/** The tool: a generated header with this server's values, then provision/scripts/backup-tool.sh. */
export function backupTool(o: BackupOptions): string {
  return "#!/usr/bin/env bash\n" + scriptFromFile("backup-tool", {
    DATA_DIR: o.dataDir,
    DB_MODE: o.database.mode,
    DB_NAME: o.database.name,
    DB_USER: o.database.user,
    ENV_FILE: BACKUP_ENV,
    APP_ENV_FILE: ENV_FILE,
    STATE_DIR: BACKUP_STATE,
    APP_UNIT,
    APP_PORT: o.appPort,
    BACKUP_HOST: o.host,
    KEEP_WITHIN: KEEP_WITHIN,
    KEEP_DAILY: o.keep.daily,
    KEEP_WEEKLY: o.keep.weekly,
    KEEP_MONTHLY: o.keep.monthly,
    TIMER: BACKUP_TIMER,
  });
}

/** restic's environment: the repository and its secrets (S3 keys: AWS_* is what restic's S3 backend reads). */
export function backupEnv(o: Pick<BackupOptions, "repository" | "accessKeyId" | "secretAccessKey" | "password">): string {
  return envFileContent({
    RESTIC_REPOSITORY: o.repository,
    RESTIC_PASSWORD: o.password,
    AWS_ACCESS_KEY_ID: o.accessKeyId,
    AWS_SECRET_ACCESS_KEY: o.secretAccessKey,
  });
}

function serviceUnit(description: string, exec: string, dataDir: string, after: string[]): string {
  return [
    "[Unit]",
    `Description=${description}`,
    "Wants=network-online.target",
    `After=network-online.target ${after.join(" ")}`.trim(),
    `RequiresMountsFor=${dataDir}`,
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${exec}`,
    // a backup must not slow the app down: lowest CPU and I/O priority
    "Nice=10",
    "IOSchedulingClass=idle",
    "PrivateTmp=yes",
    "",
  ].join("\n");
}

function timerUnit(description: string, calendar: string): string {
  return [
    "[Unit]",
    `Description=${description}`,
    "",
    "[Timer]",
    `OnCalendar=${calendar}`,
    // a run missed while the server was off happens at the next boot
    "Persistent=true",
    "RandomizedDelaySec=10min",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

export function backupStep(o: BackupOptions): Step {
  const after = o.database.mode === "local" ? ["postgresql.service", `${APP_UNIT}.service`] : [`${APP_UNIT}.service`];
  const units = [
    { path: `${UNIT_DIR}/${BACKUP_SERVICE}`, content: serviceUnit("aistudio backup: database dump and data dir to the restic repository", `${BACKUP_TOOL} run scheduled`, o.dataDir, after) },
    { path: `${UNIT_DIR}/${BACKUP_TIMER}`, content: timerUnit("aistudio backup schedule", o.schedule) },
    { path: `${UNIT_DIR}/${CHECK_SERVICE}`, content: serviceUnit("aistudio backup: restic check of the repository", `${BACKUP_TOOL} check`, o.dataDir, []) },
    { path: `${UNIT_DIR}/${CHECK_TIMER}`, content: timerUnit("aistudio backup check schedule", o.checkSchedule) },
  ];
  return {
    id: "backup",
    description: `restic backups to ${o.repository.replace(/^s3:/, "")} (${o.schedule}; keep ${o.keep.daily}d/${o.keep.weekly}w/${o.keep.monthly}m)`,
    files: [
      { path: BACKUP_TOOL, content: backupTool(o), mode: "0755" },
      { path: BACKUP_ENV, content: backupEnv(o), mode: "0600", secret: true },
      ...units.map((u) => ({ ...u, mode: "0644" })),
    ],
    apply: scriptFromFile("backup", {
      TOOL: BACKUP_TOOL,
      ENV_FILE: BACKUP_ENV,
      UNITS: units.map((u) => u.path),
      TIMERS: o.timers === false ? [] : [BACKUP_TIMER, CHECK_TIMER],
      STATE_DIR: BACKUP_STATE,
    }),
    ...probeOf(
      fileProbe(BACKUP_TOOL), fileProbe(BACKUP_ENV), ...units.map((u) => fileProbe(u.path)),
      unitProbe(BACKUP_TIMER), unitProbe(CHECK_TIMER),
    ),
  };
}

/**
 * The backup timers started or stopped now (not enabled or disabled: that is the step's). A retired
 * old server's stop, so no later scheduled backup of its stale data becomes the newest snapshot; a
 * revived one's, or a new server's once it serves, start (nothing when there are no backups).
 */
export function backupTimersCommand(action: "start" | "stop"): string {
  const timers = `${BACKUP_TIMER} ${CHECK_TIMER}`;
  return `if systemctl cat ${BACKUP_TIMER} >/dev/null 2>&1; then systemctl ${action} ${timers}; fi`;
}

// the tool's commands, for `npm run backup|restore|backups` (run as root over SSH); the doctor asks
// for `status` in its server script (checks/doctor/server-facts.ts)
export const backupNowCommand = (tag = "manual"): string => {
  if (!/^[a-z][a-z-]{0,30}$/.test(tag)) throw new Error(`not a backup tag: ${JSON.stringify(tag)}`);
  return `${BACKUP_TOOL} run ${tag}`;
};
export const snapshotsCommand = (): string => `${BACKUP_TOOL} snapshots`;
/**
 * keepReplaced false: no pre-restore snapshot of the data being replaced: for a new server's first
 * data (a rebuild's handover), whose near-empty data dir would otherwise become the newest snapshot.
 * over: the snapshot the data dir holds (restored last on this server): only what changed since is
 * fetched and put back (the tool restores in full when the data dir does not hold it).
 */
export const restoreCommand = (snapshot: string, o: { keepReplaced?: boolean; over?: string } = {}): string => {
  const id = (s: string, latest: boolean) => {
    if (!(/^[0-9a-f]{8,64}$/.test(s) || (latest && s === "latest"))) throw new Error(`not a restic snapshot id: ${JSON.stringify(s)}`);
    return s;
  };
  return `${o.keepReplaced === false ? "AISTUDIO_NO_PRE_RESTORE=1 " : ""}${BACKUP_TOOL} restore ${id(snapshot, true)}${o.over ? ` --over ${id(o.over, false)}` : ""}`;
};
