// Where the data lives and how it is kept: the `data` block (the data volume), `database` (none,
// local PostgreSQL, external) and `backup` (restic to an S3-compatible store: OSS in the cloud, a
// test host's object store locally). Secrets: databasePassword, databaseUrl, backupPassword,
// backupSecretAccessKey.
import type { Section } from "./config-section";
import { formatIp, parseCidr } from "../core/cidr";

export const DATA_KEYS = ["volume", "device", "sizeGb", "category", "snapshotRetentionDays", "snapshotHour", "protect"] as const;
export const DATABASE_KEYS = ["mode", "name", "user", "rds"] as const;
export const RDS_KEYS = ["instanceType", "storageGb", "engineVersion", "storageType", "privateIp"] as const;
export const BACKUP_KEYS = [
  "repository", "accessKeyId", "bucket", "objectstore", "schedule", "checkSchedule",
  "keepDaily", "keepWeekly", "keepMonthly", "maxAgeHours", "enabled",
] as const;

export type DataKey = (typeof DATA_KEYS)[number];
export type DatabaseKey = (typeof DATABASE_KEYS)[number];
export type BackupKey = (typeof BACKUP_KEYS)[number];

/** The data volume: the app's data directory (database, uploads) on a disk of its own. */
export interface DataVolume {
  /** Block device on the server; on Alibaba Cloud the cloud layer names it from the disk's id. */
  device?: string;
  sizeGb: number;
  category: string;
  snapshotRetentionDays: number;
  /** Hour of the day (0-23, the region's time) of the automatic snapshot. */
  snapshotHour: number;
  /** Pulumi `protect` on the disk: a `pulumi destroy` or replacement refuses to delete it. */
  protect: boolean;
}

export interface DatabaseConfig {
  mode: "none" | "local" | "external";
  name: string;
  user: string;
  /** Secret: the role's password (mode local, or external with rds). */
  password?: string;
  /** Secret: postgresql://… of an external database (mode external without rds). */
  url?: string;
  /** mode external: declare an ApsaraDB RDS PostgreSQL instance (target alicloud). */
  rds?: { instanceType: string; storageGb: number; engineVersion: string; storageType: string; privateIp: string };
}

export interface BackupConfig {
  /** restic repository, `s3:<endpoint>/<bucket>/<path>`. */
  repository: string;
  accessKeyId: string;
  /** Secrets. */
  secretAccessKey: string;
  password: string;
  /** target alicloud: an OSS bucket this stack declares (private, versioned, encrypted). */
  bucket?: string;
  /** target local: the object-store test host the repository is on (scripts/objectstore.sh). */
  objectstore?: string;
  /** systemd OnCalendar expressions. */
  schedule: string;
  checkSchedule: string;
  keep: { daily: number; weekly: number; monthly: number };
  /** The doctor fails when the last successful backup is older than this. */
  maxAgeHours: number;
}

const DISK_CATEGORIES = ["cloud_essd", "cloud_essd_entry", "cloud_auto", "cloud_ssd", "cloud_efficiency"];
const PG_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const CALENDAR = /^[A-Za-z0-9*:,./~ -]{1,80}$/;

/** `adopt`: an existing server (cloud.adoptAddress) gets no disk from this program: off unless set. */
export function parseData(d: Section<DataKey>, isLocal: boolean, stack: string, adopt = false): DataVolume | undefined {
  const bad = d.bad;
  const volume = d.bool("volume", !isLocal && !adopt);
  const device = d.str("device");
  const cloudOnly = (["sizeGb", "category", "snapshotRetentionDays", "snapshotHour", "protect"] as const).filter((k) => d.has(k));
  if (!volume) {
    const set = [...(device ? ["device"] : []), ...cloudOnly];
    if (set.length > 0) bad(`data.${set[0]}`, `is set but data.volume is false: the data stays on the system disk. Set data.volume true, or remove data.${set[0]}`);
    return undefined;
  }
  if (isLocal) {
    for (const k of cloudOnly) bad(`data.${k}`, "is for Alibaba Cloud disks; the local stack's volume is the test host's (scripts/testhost.sh up NAME --volume VOL): remove it");
  } else if (adopt) {
    // no disk is created for a server this stack does not own: the team attaches one and names it
    for (const k of cloudOnly) bad(`data.${k}`, "configures a disk this program creates, and it creates none for an adopted server (cloud.adoptAddress): attach a data disk yourself and set data.device (e.g. /dev/vdb), or remove it");
  } else if (device) {
    bad("data.device", "is named by the cloud layer from the disk it creates (/dev/disk/by-id/…): remove it");
  }
  if (device !== undefined && !/^\/dev\/[A-Za-z0-9/._-]+$/.test(device)) bad("data.device", `must be a block device path like /dev/vdb, got ${JSON.stringify(device)}`);
  const category = d.str("category", "cloud_essd") ?? "cloud_essd";
  if (!DISK_CATEGORIES.includes(category)) bad("data.category", `must be one of ${DISK_CATEGORIES.join(", ")}, got ${JSON.stringify(category)}`);
  return {
    device: isLocal ? device ?? "/dev/vdb" : adopt ? device : undefined,
    sizeGb: d.num("sizeGb", 40, 20, 32768),
    category,
    snapshotRetentionDays: d.num("snapshotRetentionDays", 7, 1, 65536),
    snapshotHour: d.num("snapshotHour", 3, 0, 23),
    protect: d.bool("protect", /(^|\/)prod(uction)?$/.test(stack)),
  };
}

/**
 * The RDS instance's private address: database.rds.privateIp, or the .250 host of the vSwitch this
 * stack creates. Fixed in config, so the app's DATABASE_URL is known before the instance exists.
 */
function rdsAddress(given: string | undefined, net: { vswitchCidr?: string; vswitchId?: string }, bad: (k: string, m: string) => void): string {
  const vswitch = net.vswitchCidr ? parseCidr(net.vswitchCidr) : undefined;
  if (given !== undefined) {
    const ip = parseCidr(`${given}/32`);
    if (!ip) bad("database.rds.privateIp", `must be an IPv4 address in the server's vSwitch, got ${JSON.stringify(given)}`);
    else if (vswitch && !net.vswitchId && ip.ip - (ip.ip % vswitch.size) !== vswitch.network) bad("database.rds.privateIp", `${given} is not in the vSwitch ${net.vswitchCidr} (cloud.vswitchCidr)`);
    return given;
  }
  if (net.vswitchId) {
    bad("database.rds.privateIp", "is required with an existing vSwitch (cloud.vswitchId): a free address in it for the RDS instance, e.g. `pulumi config set --path aistudio:database.rds.privateIp 172.16.1.250`");
    return "";
  }
  const v = vswitch ?? parseCidr("172.16.1.0/24")!;
  return formatIp(v.network + Math.min(250, v.size - 6));
}

export function parseDatabase(
  db: Section<DatabaseKey>, secrets: { password?: string; url?: string }, isLocal: boolean, appEnv: Record<string, string>, adopt = false,
  net: { vswitchCidr?: string; vswitchId?: string } = {},
): DatabaseConfig {
  const bad = db.bad;
  const mode = (db.str("mode", "none") ?? "none") as DatabaseConfig["mode"];
  const name = db.str("name", "aistudio") ?? "aistudio";
  const user = db.str("user", "aistudio") ?? "aistudio";
  if (!["none", "local", "external"].includes(mode)) {
    bad("database.mode", `must be "none" (the app's own file database in the data dir), "local" (PostgreSQL on the server) or "external" (database.url or database.rds), got ${JSON.stringify(mode)}`);
  }
  for (const [k, v] of [["name", name], ["user", user]] as const) {
    if (!PG_NAME.test(v)) bad(`database.${k}`, `must be a PostgreSQL identifier (lowercase letters, digits, _; not starting with a digit), got ${JSON.stringify(v)}`);
  }
  let rds: DatabaseConfig["rds"];
  if (db.has("rds")) {
    const r = db.child("rds", RDS_KEYS, '{"instanceType": "pg.n2.2c.1m"}');
    rds = {
      instanceType: r.str("instanceType", "pg.n2.2c.1m") ?? "",
      storageGb: r.num("storageGb", 20, 20, 32000),
      engineVersion: r.str("engineVersion", "15.0") ?? "15.0",
      storageType: r.str("storageType", "cloud_essd") ?? "cloud_essd",
      privateIp: "",
    };
    if (mode === "external" && !isLocal && !adopt) rds.privateIp = rdsAddress(r.str("privateIp"), net, bad);
    if (mode !== "external") bad("database.rds", "declares an ApsaraDB RDS instance, which is database.mode external: set database.mode external or remove database.rds");
    else if (isLocal) bad("database.rds", "is an Alibaba Cloud resource; the local stack never creates one: remove it");
    else if (adopt) bad("database.rds", "declares an ApsaraDB RDS instance whose whitelist is the server's private IP, which this program does not know for an adopted server (cloud.adoptAddress): create the database yourself and use database.mode external with aistudio:databaseUrl, or let this stack create the server");
  }
  const password = secrets.password;
  if (mode === "local" || (mode === "external" && rds)) {
    if (!password) bad("databasePassword", `is required for database.mode ${mode}: the password of the role ${user} (\`openssl rand -base64 24 | pulumi config set --secret aistudio:databasePassword\`)`);
    else if (password.length < 16) bad("databasePassword", "must be at least 16 characters (`openssl rand -base64 24`)");
    else if (/[\s'"\\]/.test(password)) bad("databasePassword", "must not contain spaces, quotes or backslashes (`openssl rand -base64 24` gives a safe one)");
    else if (rds && (password.length > 32 || !/^[A-Za-z0-9!@#$%^&*()_+\-=]+$/.test(password) || [/[A-Z]/, /[a-z]/, /[0-9]/, /[!@#$%^&*()_+\-=]/].filter((r) => r.test(password)).length < 3)) {
      bad("databasePassword", "must suit ApsaraDB RDS: 16-32 characters of letters, digits and !@#$%^&*()_+-=, with at least three of upper case, lower case, digits and those signs (`openssl rand -base64 24 | tr '/+' '_-'`)");
    }
  } else if (password) {
    bad("databasePassword", `is only used with database.mode local (or external with database.rds); mode is ${mode}: remove it`);
  }
  const url = secrets.url;
  if (mode === "external" && !rds) {
    if (!url) bad("databaseUrl", "is required for database.mode external without database.rds: `pulumi config set --secret aistudio:databaseUrl 'postgresql://USER:PASSWORD@HOST:5432/DBNAME'`");
    else if (!/^postgres(ql)?:\/\/[^/\s]+\/[A-Za-z0-9_]+(\?\S*)?$/.test(url)) bad("databaseUrl", "must be a postgresql://USER:PASSWORD@HOST:PORT/DBNAME URL");
  } else if (url) {
    bad("databaseUrl", `is only used with database.mode external (without database.rds); mode is ${mode}: remove it`);
  }
  if (mode !== "none" && appEnv.DATABASE_URL !== undefined) {
    bad("appEnv", `sets DATABASE_URL, which database.mode ${mode} hands to the app itself: remove DATABASE_URL from aistudio:appEnv`);
  }
  return { mode, name, user, password, url, rds };
}

export function parseBackup(
  b: Section<BackupKey>, secrets: { password?: string; secretAccessKey?: string }, target: string, region?: string,
): BackupConfig | undefined {
  const isLocal = target === "local";
  const bad = b.bad;
  const enabled = b.bool("enabled", true);
  const set = BACKUP_KEYS.filter((k) => k !== "enabled" && b.has(k));
  if (!enabled) {
    if (set.length > 0) bad(`backup.${set[0]}`, "is set but backup.enabled is false: remove it, or enable backups");
    if (secrets.password) bad("backupPassword", "is set but backup.enabled is false: remove it (`pulumi config rm aistudio:backupPassword`), or enable backups");
    if (secrets.secretAccessKey) bad("backupSecretAccessKey", "is set but backup.enabled is false: remove it (`pulumi config rm aistudio:backupSecretAccessKey`), or enable backups");
    return undefined;
  }
  if (set.length === 0 && !secrets.password && !secrets.secretAccessKey) {
    if (target === "alicloud") bad("backup", "is required for Alibaba Cloud stacks (the uploads and the database would exist only on one disk): `pulumi config set --path aistudio:backup.bucket <globally-unique-name>` with aistudio:backupPassword and aistudio:backupSecretAccessKey, or `pulumi config set --path aistudio:backup.enabled false` to accept losing data");
    return undefined;
  }
  const bucket = b.str("bucket");
  const objectstore = b.str("objectstore");
  if (bucket && isLocal) bad("backup.bucket", "declares an OSS bucket; the local stack backs up to an object-store test host: use backup.objectstore");
  if (objectstore && !isLocal) bad("backup.objectstore", "is a test host of the local stack; on Alibaba Cloud use backup.bucket (an OSS bucket) or backup.repository");
  if (bucket && !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) bad("backup.bucket", `must be an OSS bucket name (3-63 lowercase letters, digits and -), got ${JSON.stringify(bucket)}`);
  let repository = b.str("repository") ?? "";
  if (!repository && bucket && region) repository = `s3:https://oss-${region}-internal.aliyuncs.com/${bucket}/restic`;
  if (!repository && !objectstore) bad("backup.repository", "is required: a restic repository on an S3-compatible store, e.g. s3:https://oss-cn-hangzhou-internal.aliyuncs.com/BUCKET/restic (or set backup.bucket)");
  else if (b.has("repository") && !/^s3:https?:\/\/[A-Za-z0-9.-]+(:\d+)?\/[a-z0-9][a-z0-9.-]+[a-z0-9](\/[A-Za-z0-9._/-]*)?$/.test(repository)) {
    bad("backup.repository", `must be s3:http(s)://HOST/BUCKET[/PATH] (restic's S3 backend: OSS, or another S3-compatible store), got ${JSON.stringify(repository)}`);
  }
  const accessKeyId = b.str("accessKeyId") ?? "";
  if (!accessKeyId && !objectstore) bad("backup.accessKeyId", "is required: the AccessKey ID of a RAM user that may only read and write the backup bucket");
  if (!secrets.secretAccessKey && !objectstore) bad("backupSecretAccessKey", "is required: `pulumi config set --secret aistudio:backupSecretAccessKey` (the RAM user's AccessKey secret)");
  if (!secrets.password) bad("backupPassword", "is required: restic encrypts the repository with it; lose it and the backups cannot be read (`openssl rand -base64 32 | pulumi config set --secret aistudio:backupPassword`, and keep a copy offline)");
  else if (secrets.password.length < 16) bad("backupPassword", "must be at least 16 characters (`openssl rand -base64 32`)");
  const schedule = b.str("schedule", "*-*-* 03:30:00") ?? "";
  const checkSchedule = b.str("checkSchedule", "Sun *-*-* 05:00:00") ?? "";
  for (const [k, v] of [["schedule", schedule], ["checkSchedule", checkSchedule]] as const) {
    if (!CALENDAR.test(v)) bad(`backup.${k}`, `must be a systemd calendar expression like "*-*-* 03:30:00" or "daily", got ${JSON.stringify(v)}`);
  }
  return {
    repository,
    accessKeyId,
    secretAccessKey: secrets.secretAccessKey ?? "",
    password: secrets.password ?? "",
    bucket,
    objectstore,
    schedule,
    checkSchedule,
    keep: { daily: b.num("keepDaily", 7, 1, 366), weekly: b.num("keepWeekly", 4, 0, 520), monthly: b.num("keepMonthly", 6, 0, 240) },
    maxAgeHours: b.num("maxAgeHours", 26, 1, 24 * 31),
  };
}
