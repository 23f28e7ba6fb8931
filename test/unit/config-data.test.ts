// The data blocks of the config (infra/config-data.ts): aistudio:data (the volume), aistudio:database
// (none, local PostgreSQL, external / RDS) and aistudio:backup (restic to OSS or a test host's object
// store), with their secrets. Each bad config names exactly the keys that are wrong (the rest of
// the fixture is valid) and says how to fix them; the good ones get the documented defaults. Then
// the edge (read-config.ts withObjectstore, a temp test-host state dir) and what the steps hand the
// app (appEnv) and scrub from every output (secretValues, redact).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, Raw, collectConfig, parseConfig } from "../../infra/config";
import { withObjectstore } from "../../infra/read-config";
import { appEnv, secretValues } from "../../infra/steps";
import { redact } from "../../core/ssh";
import { ALICLOUD_BACKUP, BadCase, onAdopt, onCreate, onLocal, LOCAL_DATA, SSH_PUBLIC_KEY, alicloudAdoptRaw, alicloudCreateRaw, localRaw, problemsOf } from "./fixtures";


const local = onLocal;
const localData = (over: Raw, stack = "local") => onLocal({ ...LOCAL_DATA, ...over }, stack);
const create = onCreate;
const adopt = (over: Raw, stack = "staging") => onAdopt(over, stack);

/** A password every rule accepts, ApsaraDB RDS's included (upper, lower, digits, signs; 16-32). */
const RDS_PASSWORD = "Rds_Passw0rd-2024xyz";
const DB_PASSWORD = "db-password-0123456789";
const LOCAL_BACKUP = LOCAL_DATA.backup as Raw;
const ALI_BACKUP = ALICLOUD_BACKUP.backup as Raw;
const NO_BACKUP: Raw = { backup: undefined, backupSecretAccessKey: undefined, backupPassword: undefined };
const DECIMAL = (min: number, max: number) => new RegExp(`must be an integer between ${min} and ${max} in decimal digits only`);
/** "did you mean X? … rm … set X VALUE" for a typo at `typo` meant to be `key` (nested: --path). */
const renamed = (typo: string, key: string, value: string) => {
  const q = (s: string) => s.replace(/[.[\]]/g, "\\$&");
  return new RegExp(`did you mean ${q(key)}\\? Rename it: \`pulumi config rm --path aistudio:${q(typo)} --stack \\S+\`, then \`pulumi config set --path aistudio:${q(key)} ${q(value)} --stack`);
};

const BAD: BadCase[] = [
  // ---- data: the volume ----------------------------------------------------------------------------
  { name: "data.volume false with data.sizeGb", ...create({ data: { volume: false, sizeGb: 100 } }), key: "data.sizeGb", fix: /is set but data\.volume is false.*Set data\.volume true, or remove data\.sizeGb/ },
  { name: "local: data.device without data.volume (off by default)", ...local({ data: { device: "/dev/vdc" } }), key: "data.device", fix: /data\.volume is false.*Set data\.volume true, or remove data\.device/ },
  { name: "adopted server: data.protect without data.volume (off by default)", ...adopt({ data: { protect: true } }), key: "data.protect", fix: /data\.volume is false.*remove data\.protect/ },
  { name: "data.device on alicloud", ...create({ data: { device: "/dev/vdb" } }), key: "data.device", fix: /named by the cloud layer from the disk it creates.*remove it/ },
  { name: "data.sizeGb on the local stack", ...localData({ data: { volume: true, sizeGb: 50 } }), key: "data.sizeGb", fix: /Alibaba Cloud disks.*scripts\/testhost\.sh up NAME --volume VOL\): remove it/ },
  { name: "data.category and data.snapshotHour on the local stack", ...localData({ data: { volume: true, category: "cloud_essd", snapshotHour: 4 } }), key: "data.category", fix: /is for Alibaba Cloud disks/, also: ["data.snapshotHour"] },
  { name: "data.device not a /dev path", ...localData({ data: { volume: true, device: "vdb" } }), key: "data.device", fix: /must be a block device path like \/dev\/vdb, got "vdb"/ },
  { name: "data.device with a space (shell word)", ...localData({ data: { volume: true, device: "/dev/vdb; rm -rf /" } }), key: "data.device", fix: /block device path like \/dev\/vdb/ },
  { name: "data.category unknown", ...create({ data: { category: "ssd" } }), key: "data.category", fix: /must be one of cloud_essd, cloud_essd_entry, cloud_auto, cloud_ssd, cloud_efficiency, got "ssd"/ },
  { name: "data.sizeGb below 20", ...create({ data: { sizeGb: 10 } }), key: "data.sizeGb", fix: DECIMAL(20, 32768) },
  { name: "data.sizeGb above 32768", ...create({ data: { sizeGb: 40000 } }), key: "data.sizeGb", fix: DECIMAL(20, 32768) },
  { name: "data.sizeGb \"40.0\"", ...create({ data: { sizeGb: "40.0" } }), key: "data.sizeGb", fix: DECIMAL(20, 32768) },
  { name: "data.sizeGb \"4e1\"", ...create({ data: { sizeGb: "4e1" } }), key: "data.sizeGb", fix: DECIMAL(20, 32768) },
  { name: "data.snapshotHour 24", ...create({ data: { snapshotHour: 24 } }), key: "data.snapshotHour", fix: DECIMAL(0, 23) },
  { name: "data.protect \"yes\"", ...create({ data: { protect: "yes" } }), key: "data.protect", fix: /must be true or false, got "yes"/ },

  // ---- database ----------------------------------------------------------------------------------
  { name: "database.mode unknown", ...create({ database: { mode: "postgres" } }), key: "database.mode", fix: /must be "none" .*"local" .*"external" .*got "postgres"/ },
  { name: "database.name starting with a digit", ...localData({ database: { mode: "local", name: "1st" } }), key: "database.name", fix: /must be a PostgreSQL identifier .*got "1st"/ },
  { name: "database.name with a dash", ...localData({ database: { mode: "local", name: "ai-studio" } }), key: "database.name", fix: /PostgreSQL identifier/ },
  { name: "database.user upper case", ...localData({ database: { mode: "local", user: "AiStudio" } }), key: "database.user", fix: /must be a PostgreSQL identifier \(lowercase letters, digits, _; not starting with a digit\), got "AiStudio"/ },
  { name: "mode local without databasePassword", ...localData({ databasePassword: undefined }), key: "databasePassword", fix: /required for database\.mode local: the password of the role aistudio \(`openssl rand -base64 24 \| pulumi config set --secret aistudio:databasePassword`\)/ },
  { name: "databasePassword of 15 characters", ...localData({ databasePassword: "0123456789abcde" }), key: "databasePassword", fix: /at least 16 characters \(`openssl rand -base64 24`\)/ },
  { name: "databasePassword with a quote", ...localData({ databasePassword: "db-password'0123456789" }), key: "databasePassword", fix: /must not contain spaces, quotes or backslashes \(`openssl rand -base64 24` gives a safe one\)/ },
  { name: "databasePassword with a space", ...localData({ databasePassword: "db password 0123456789" }), key: "databasePassword", fix: /must not contain spaces, quotes or backslashes/ },
  { name: "databasePassword with a backslash", ...localData({ databasePassword: "db-password\\0123456789" }), key: "databasePassword", fix: /must not contain spaces, quotes or backslashes/ },
  { name: "databasePassword with mode none", ...create({ databasePassword: DB_PASSWORD }), key: "databasePassword", fix: /only used with database\.mode local \(or external with database\.rds\); mode is none: remove it/ },
  { name: "mode external without databaseUrl", ...create({ database: { mode: "external" } }), key: "databaseUrl", fix: /required for database\.mode external without database\.rds: `pulumi config set --secret aistudio:databaseUrl 'postgresql:\/\/USER:PASSWORD@HOST:5432\/DBNAME'`/ },
  { name: "databaseUrl of another database", ...create({ database: { mode: "external" }, databaseUrl: "mysql://app:pw@db.internal:3306/app" }), key: "databaseUrl", fix: /must be a postgresql:\/\/USER:PASSWORD@HOST:PORT\/DBNAME URL/ },
  { name: "databaseUrl without a database name", ...create({ database: { mode: "external" }, databaseUrl: "postgresql://app:pw@db.internal:5432" }), key: "databaseUrl", fix: /postgresql:\/\/USER:PASSWORD@HOST:PORT\/DBNAME/ },
  { name: "databaseUrl with mode local", ...localData({ databaseUrl: "postgresql://app:pw@db.internal:5432/app" }), key: "databaseUrl", fix: /only used with database\.mode external \(without database\.rds\); mode is local: remove it/ },
  { name: "database.rds with mode local", ...create({ database: { mode: "local", rds: { instanceType: "pg.n2.2c.1m" } }, databasePassword: RDS_PASSWORD }), key: "database.rds", fix: /set database\.mode external or remove database\.rds/ },
  { name: "database.rds on the local target", ...localData({ database: { mode: "external", rds: {} }, databasePassword: RDS_PASSWORD }), key: "database.rds", fix: /Alibaba Cloud resource; the local stack never creates one: remove it/ },
  { name: "disk settings on an adopted server (no disk is created for it)", ...adopt({ data: { volume: true, sizeGb: 100 } }), key: "data.sizeGb", fix: /creates none for an adopted server \(cloud\.adoptAddress\): attach a data disk yourself and set data\.device/ },
  { name: "backup secrets while backups are off", ...create({ backup: { enabled: false }, backupPassword: "restic-repository-password-0123", backupSecretAccessKey: undefined }), key: "backupPassword", fix: /is set but backup\.enabled is false: remove it \(`pulumi config rm aistudio:backupPassword`\)/ },
  { name: "database.rds on an adopted server", ...adopt({ database: { mode: "external", rds: {} }, databasePassword: RDS_PASSWORD }), key: "database.rds", fix: /adopted server \(cloud\.adoptAddress\): create the database yourself and use database\.mode external with aistudio:databaseUrl/ },
  { name: "RDS password without upper case and signs", ...create({ database: { mode: "external", rds: {} }, databasePassword: "abcdefghij0123456789" }), key: "databasePassword", fix: /must suit ApsaraDB RDS: 16-32 characters.*`openssl rand -base64 24 \| tr '\/\+' '_-'`/ },
  { name: "RDS password longer than 32", ...create({ database: { mode: "external", rds: {} }, databasePassword: `${RDS_PASSWORD}${RDS_PASSWORD}` }), key: "databasePassword", fix: /must suit ApsaraDB RDS/ },
  { name: "RDS password with a sign RDS refuses (/)", ...create({ database: { mode: "external", rds: {} }, databasePassword: "Rds/Passw0rd-2024xyz" }), key: "databasePassword", fix: /letters, digits and !@#\$%\^&\*\(\)_\+-=/ },
  { name: "RDS without any password", ...create({ database: { mode: "external", rds: {} } }), key: "databasePassword", fix: /required for database\.mode external/ },
  { name: "database.rds.storageGb below 20", ...create({ database: { mode: "external", rds: { storageGb: 5 } }, databasePassword: RDS_PASSWORD }), key: "database.rds.storageGb", fix: DECIMAL(20, 32000) },
  { name: "appEnv DATABASE_URL with mode local", ...localData({ appEnv: { DATABASE_URL: "sqlite:////var/lib/aistudio/db.sqlite", SECRET_KEY: "k" } }), key: "appEnv", fix: /sets DATABASE_URL, which database\.mode local hands to the app itself: remove DATABASE_URL from aistudio:appEnv/ },

  // ---- backup ------------------------------------------------------------------------------------
  { name: "alicloud stack without any backup config", ...create(NO_BACKUP), key: "backup", fix: /required for Alibaba Cloud stacks.*`pulumi config set --path aistudio:backup\.bucket <globally-unique-name>`.*`pulumi config set --path aistudio:backup\.enabled false`/ },
  { name: "backup.enabled false with backup.bucket", ...create({ ...NO_BACKUP, backup: { enabled: false, bucket: "photogooo-backup" } }), key: "backup.bucket", fix: /is set but backup\.enabled is false: remove it, or enable backups/ },
  { name: "backup.bucket on the local stack", ...localData({ backup: { ...LOCAL_BACKUP, bucket: "photogooo-backup" } }), key: "backup.bucket", fix: /declares an OSS bucket; the local stack backs up to an object-store test host: use backup\.objectstore/ },
  { name: "backup.objectstore on alicloud", ...create({ backup: { ...ALI_BACKUP, objectstore: "store" } }), key: "backup.objectstore", fix: /on Alibaba Cloud use backup\.bucket \(an OSS bucket\) or backup\.repository/ },
  { name: "backup.bucket not an OSS name", ...create({ backup: { ...ALI_BACKUP, bucket: "Photogooo_Backup" } }), key: "backup.bucket", fix: /must be an OSS bucket name \(3-63 lowercase letters, digits and -\), got "Photogooo_Backup"/ },
  { name: "backup.bucket of 2 characters", ...create({ backup: { ...ALI_BACKUP, bucket: "pb" } }), key: "backup.bucket", fix: /OSS bucket name/ },
  { name: "backup.repository without s3:", ...localData({ backup: { ...LOCAL_BACKUP, repository: "http://198.18.0.250:8333/aistudio-backup/restic" } }), key: "backup.repository", fix: /must be s3:http\(s\):\/\/HOST\/BUCKET\[\/PATH\]/ },
  { name: "backup.repository s3://bucket (no endpoint)", ...localData({ backup: { ...LOCAL_BACKUP, repository: "s3://aistudio-backup/restic" } }), key: "backup.repository", fix: /must be s3:http\(s\):\/\/HOST\/BUCKET/ },
  { name: "local backup without repository", ...localData({ backup: { accessKeyId: "backup-key-id" } }), key: "backup.repository", fix: /is required: a restic repository.*s3:https:\/\/oss-cn-hangzhou-internal\.aliyuncs\.com\/BUCKET\/restic \(or set backup\.bucket\)/ },
  { name: "missing backup.accessKeyId", ...create({ backup: { bucket: "photogooo-backup" } }), key: "backup.accessKeyId", fix: /AccessKey ID of a RAM user that may only read and write the backup bucket/ },
  { name: "missing backupSecretAccessKey", ...create({ backupSecretAccessKey: undefined }), key: "backupSecretAccessKey", fix: /`pulumi config set --secret aistudio:backupSecretAccessKey`/ },
  { name: "missing backupPassword", ...create({ backupPassword: undefined }), key: "backupPassword", fix: /restic encrypts the repository with it.*`openssl rand -base64 32 \| pulumi config set --secret aistudio:backupPassword`/ },
  { name: "backupPassword of 15 characters", ...localData({ backupPassword: "restic-pw-01234" }), key: "backupPassword", fix: /at least 16 characters \(`openssl rand -base64 32`\)/ },
  { name: "backup.schedule with a ;", ...create({ backup: { ...ALI_BACKUP, schedule: "03:30; rm -rf /" } }), key: "backup.schedule", fix: /must be a systemd calendar expression like "\*-\*-\* 03:30:00" or "daily", got "03:30; rm -rf \/"/ },
  { name: "backup.checkSchedule with a newline", ...create({ backup: { ...ALI_BACKUP, checkSchedule: "weekly\nExecStart=/bin/sh" } }), key: "backup.checkSchedule", fix: /systemd calendar expression/ },
  { name: "backup.keepDaily 0", ...create({ backup: { ...ALI_BACKUP, keepDaily: 0 } }), key: "backup.keepDaily", fix: DECIMAL(1, 366) },
  { name: "backup.keepMonthly -1", ...create({ backup: { ...ALI_BACKUP, keepMonthly: -1 } }), key: "backup.keepMonthly", fix: DECIMAL(0, 240) },
  { name: "backup.maxAgeHours 0", ...create({ backup: { ...ALI_BACKUP, maxAgeHours: 0 } }), key: "backup.maxAgeHours", fix: DECIMAL(1, 744) },
  { name: "backup.maxAgeHours 745", ...create({ backup: { ...ALI_BACKUP, maxAgeHours: "745" } }), key: "backup.maxAgeHours", fix: DECIMAL(1, 744) },

  // ---- typos inside the blocks: the key it was meant to be --------------------------------------
  { name: "data.sizeGB (case)", ...create({ data: { sizeGB: 80 } }), key: "data.sizeGB", fix: renamed("data.sizeGB", "data.sizeGb", "80") },
  { name: "data.volme", ...local({ data: { volme: true } }), key: "data.volme", fix: renamed("data.volme", "data.volume", "true") },
  { name: "database.nmae", ...create({ database: { nmae: "shop" } }), key: "database.nmae", fix: renamed("database.nmae", "database.name", "shop") },
  { name: "database.rds.instanceTpye", ...create({ database: { mode: "external", rds: { instanceTpye: "pg.n4.2c.1m" } }, databasePassword: RDS_PASSWORD }), key: "database.rds.instanceTpye", fix: renamed("database.rds.instanceTpye", "database.rds.instanceType", "pg.n4.2c.1m") },
  { name: "backup.keepdaily (case)", ...create({ backup: { ...ALI_BACKUP, keepdaily: 14 } }), key: "backup.keepdaily", fix: renamed("backup.keepdaily", "backup.keepDaily", "14") },
  { name: "backup.bukcet: and then no repository", ...create({ backup: { bukcet: "photogooo-backup", accessKeyId: "LTAI5tBackupKeyId0001" } }), key: "backup.bukcet", fix: renamed("backup.bukcet", "backup.bucket", "photogooo-backup"), also: ["backup.repository"] },
  { name: "backup.objectstor on the local stack", ...localData({ backup: { ...LOCAL_BACKUP, objectstor: "store" } }), key: "backup.objectstor", fix: renamed("backup.objectstor", "backup.objectstore", "store") },
];

describe("data config: each bad case names exactly its keys and the fix", () => {
  it("has a case for every rule (at least 25)", () => {
    expect(BAD.length).toBeGreaterThanOrEqual(25);
    expect(new Set(BAD.map((c) => c.name)).size).toBe(BAD.length);
  });

  it.each(BAD.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const problems = problemsOf(c.raw, c.stack);
    expect(problems.map((p) => p.key).sort()).toEqual([c.key, ...(c.also ?? [])].sort());
    const p = problems.find((x) => x.key === c.key)!;
    expect(p.message).toMatch(c.fix);
  });

  it("never echoes a secret in a message", () => {
    for (const c of BAD) {
      const problems = problemsOf(c.raw, c.stack);
      for (const k of ["databasePassword", "databaseUrl", "backupPassword", "backupSecretAccessKey"]) {
        const v = c.raw[k];
        if (typeof v === "string") for (const p of problems) expect(p.message, `${c.name}: ${p.key}`).not.toContain(v);
      }
    }
  });

  it("reports every data problem of one config together", () => {
    const problems = problemsOf(localRaw({
      ...LOCAL_DATA,
      data: { volume: true, device: "vdb" },
      database: { mode: "local", user: "Bad-User" },
      databasePassword: "short",
      backup: { ...LOCAL_BACKUP, keepDaily: 0 },
      backupPassword: undefined,
    }), "local");
    expect(problems.map((p) => p.key).sort()).toEqual(["backup.keepDaily", "backupPassword", "data.device", "database.user", "databasePassword"]);
  });
});

describe("data config: what is accepted, with its defaults", () => {
  it("the fixtures parse (the bad cases above differ from them in their named keys only)", () => {
    for (const [raw, stack] of [[localRaw(), "local"], [localRaw(LOCAL_DATA), "local"], [alicloudCreateRaw(), "prod"], [alicloudAdoptRaw(), "staging"]] as const) {
      expect(collectConfig(raw, stack).problems).toEqual([]);
    }
  });

  it("alicloud creating a server: a 40 GB cloud_essd volume, protected only on a stack named prod", () => {
    const prod = parseConfig(alicloudCreateRaw(), "prod");
    expect(prod.volume).toEqual({ device: undefined, sizeGb: 40, category: "cloud_essd", snapshotRetentionDays: 7, snapshotHour: 3, protect: true });
    expect(parseConfig(alicloudCreateRaw(), "acme/aistudio/prod").volume?.protect).toBe(true);
    expect(parseConfig(alicloudCreateRaw(), "staging").volume?.protect).toBe(false);
    expect(parseConfig(alicloudCreateRaw(), "preprod").volume?.protect).toBe(false);
    expect(parseConfig(alicloudCreateRaw({ data: { protect: false } }), "prod").volume?.protect).toBe(false);
    expect(parseConfig(alicloudCreateRaw({ data: { protect: true } }), "staging").volume?.protect).toBe(true);
    expect(parseConfig(alicloudCreateRaw({ data: { sizeGb: "100", category: "cloud_auto" } }), "prod").volume).toMatchObject({ sizeGb: 100, category: "cloud_auto" });
  });

  it("an adopted server gets no volume unless data.volume is set", () => {
    expect(parseConfig(alicloudAdoptRaw(), "staging").volume).toBeUndefined();
    expect(parseConfig(alicloudAdoptRaw({ data: { volume: true } }), "staging").volume).toMatchObject({ sizeGb: 40, device: undefined });
  });

  it("the local stack: no volume by default, /dev/vdb (the test host's) when data.volume is true", () => {
    expect(parseConfig(localRaw(), "local").volume).toBeUndefined();
    expect(parseConfig(localRaw({ data: { volume: "true" } }), "local").volume?.device).toBe("/dev/vdb");
    expect(parseConfig(localRaw({ data: { volume: true, device: "/dev/vdc" } }), "local").volume?.device).toBe("/dev/vdc");
  });

  it("database: none by default; local with its name, user and password", () => {
    expect(parseConfig(localRaw(), "local").database).toMatchObject({ mode: "none", name: "aistudio", user: "aistudio", password: undefined, url: undefined, rds: undefined });
    expect(parseConfig(localRaw({ ...LOCAL_DATA, database: { mode: "local", name: "shop", user: "shop_app" } }), "local").database)
      .toMatchObject({ mode: "local", name: "shop", user: "shop_app", password: DB_PASSWORD });
  });

  it("database external: a URL, or an RDS instance with its defaults", () => {
    const url = "postgresql://app:pw@pgm-bp1.pg.rds.aliyuncs.com:5432/aistudio?sslmode=require";
    expect(parseConfig(alicloudCreateRaw({ database: { mode: "external" }, databaseUrl: url }), "prod").database).toMatchObject({ mode: "external", url, rds: undefined });
    expect(parseConfig(alicloudCreateRaw({ database: { mode: "external", rds: {} }, databasePassword: RDS_PASSWORD }), "prod").database)
      .toMatchObject({ mode: "external", password: RDS_PASSWORD, rds: { instanceType: "pg.n2.2c.1m", storageGb: 20, engineVersion: "15.0", storageType: "cloud_essd", privateIp: "172.16.1.250" } });
  });

  it("an adopted server: no volume unless asked, then the disk the team attached, named by data.device", () => {
    expect(parseConfig(alicloudAdoptRaw(), "prod").volume).toBeUndefined();
    expect(parseConfig(alicloudAdoptRaw({ data: { volume: true, device: "/dev/vdc" } }), "prod").volume?.device).toBe("/dev/vdc");
  });

  it("RDS: its private address is fixed in config (the vSwitch's .250, or database.rds.privateIp), so the app's DATABASE_URL is known before the instance exists", () => {
    const cfg = parseConfig(alicloudCreateRaw({ cloud: { instanceType: "ecs.e-c1m2.large", sshPublicKey: SSH_PUBLIC_KEY, vswitchCidr: "10.8.4.0/22", vpcCidr: "10.8.0.0/16" }, database: { mode: "external", rds: {} }, databasePassword: RDS_PASSWORD }), "prod");
    expect(cfg.database.rds?.privateIp).toBe("10.8.4.250");
    expect(appEnv(cfg).DATABASE_URL).toBe(`postgresql://aistudio:${encodeURIComponent(RDS_PASSWORD)}@10.8.4.250:5432/aistudio`);
    const given = parseConfig(alicloudCreateRaw({ database: { mode: "external", rds: { privateIp: "172.16.1.77" } }, databasePassword: RDS_PASSWORD }), "prod");
    expect(appEnv(given).DATABASE_URL).toContain("@172.16.1.77:5432/");
    const problems = (raw: Raw) => { try { parseConfig(raw, "prod"); return []; } catch (e) { return (e as ConfigError).problems; } };
    const outside = problems(alicloudCreateRaw({ database: { mode: "external", rds: { privateIp: "10.0.0.5" } }, databasePassword: RDS_PASSWORD }));
    expect(outside.map((p) => p.key)).toEqual(["database.rds.privateIp"]);
    expect(outside[0].message).toMatch(/not in the vSwitch 172\.16\.1\.0\/24/);
    const existing = problems(alicloudCreateRaw({ cloud: { instanceType: "ecs.e-c1m2.large", sshPublicKey: SSH_PUBLIC_KEY, vpcId: "vpc-1", vswitchId: "vsw-1" }, database: { mode: "external", rds: {} }, databasePassword: RDS_PASSWORD }));
    expect(existing.map((p) => p.key)).toEqual(["database.rds.privateIp"]);
    expect(existing[0].message).toMatch(/required with an existing vSwitch/);
  });

  it("backup.bucket derives the repository on the region's internal OSS endpoint", () => {
    expect(parseConfig(alicloudCreateRaw(), "prod").backup?.repository).toBe("s3:https://oss-cn-hangzhou-internal.aliyuncs.com/photogooo-backup/restic");
    expect(parseConfig(alicloudAdoptRaw(), "staging").backup?.repository).toBe("s3:https://oss-cn-shanghai-internal.aliyuncs.com/photogooo-backup/restic");
  });

  it("an explicit backup.repository wins over the derived one", () => {
    const repository = "s3:https://oss-cn-beijing.aliyuncs.com/elsewhere/aistudio";
    expect(parseConfig(alicloudCreateRaw({ backup: { ...ALI_BACKUP, repository } }), "prod").backup?.repository).toBe(repository);
  });

  it("backup defaults: keep 7 daily, 4 weekly, 6 monthly; the doctor's limit 26 h; nightly and weekly schedules", () => {
    const b = parseConfig(alicloudCreateRaw(), "prod").backup!;
    expect(b).toMatchObject({
      keep: { daily: 7, weekly: 4, monthly: 6 }, maxAgeHours: 26, schedule: "*-*-* 03:30:00", checkSchedule: "Sun *-*-* 05:00:00",
      accessKeyId: "LTAI5tBackupKeyId0001", secretAccessKey: ALICLOUD_BACKUP.backupSecretAccessKey, password: ALICLOUD_BACKUP.backupPassword, bucket: "photogooo-backup",
    });
    const custom = parseConfig(alicloudCreateRaw({ backup: { ...ALI_BACKUP, keepDaily: "14", keepWeekly: 0, keepMonthly: 12, maxAgeHours: 50, schedule: "daily" } }), "prod").backup!;
    expect(custom).toMatchObject({ keep: { daily: 14, weekly: 0, monthly: 12 }, maxAgeHours: 50, schedule: "daily" });
  });

  it("no backups: none on the local stack by default; an alicloud stack may refuse them explicitly", () => {
    expect(parseConfig(localRaw(), "local").backup).toBeUndefined();
    expect(parseConfig(alicloudCreateRaw({ ...NO_BACKUP, backup: { enabled: false } }), "prod").backup).toBeUndefined();
    expect(parseConfig(alicloudCreateRaw({ ...NO_BACKUP, backup: { enabled: "false" } }), "prod").backup).toBeUndefined();
  });
});

describe("withObjectstore: the local stack's backup.objectstore, from the test host's record", () => {
  const saved = process.env.AISTUDIO_TESTHOST_STATE;
  let state: string;
  const RECORD = {
    name: "store", host: "198.18.0.250", endpoint: "http://198.18.0.250:8333", bucket: "aistudio-backup",
    accessKeyId: "objectstore-key-id", secretAccessKey: "objectstore-secret-0123456789",
  };
  beforeEach(() => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-objectstore-"));
    fs.mkdirSync(path.join(state, "hosts", "store"), { recursive: true });
    fs.writeFileSync(path.join(state, "hosts", "store", "objectstore.json"), JSON.stringify(RECORD));
    process.env.AISTUDIO_TESTHOST_STATE = state;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.AISTUDIO_TESTHOST_STATE;
    else process.env.AISTUDIO_TESTHOST_STATE = saved;
    fs.rmSync(state, { recursive: true, force: true });
  });
  const withStore = (over: Raw = {}) => localRaw({ ...LOCAL_DATA, backup: { objectstore: "store" }, backupSecretAccessKey: undefined, ...over });

  it("fills the repository (a path per stack in the store's bucket), the key id and the secret key", () => {
    const problems: { key: string; message: string }[] = [];
    const raw = withObjectstore(withStore(), "organization/aistudio/local", problems);
    expect(problems).toEqual([]);
    expect(raw.backup).toEqual({ repository: "s3:http://198.18.0.250:8333/aistudio-backup/local", accessKeyId: "objectstore-key-id", objectstore: "store" });
    expect(raw.backupSecretAccessKey).toBe("objectstore-secret-0123456789");
    const b = parseConfig(raw, "local").backup!;
    expect(b).toMatchObject({ repository: "s3:http://198.18.0.250:8333/aistudio-backup/local", accessKeyId: "objectstore-key-id", secretAccessKey: RECORD.secretAccessKey, objectstore: "store" });
  });

  it("what the config sets itself wins over the record", () => {
    const raw = withObjectstore(withStore({ backup: { objectstore: "store", accessKeyId: "mine" }, backupSecretAccessKey: "my-secret-0123456789" }), "local");
    expect(raw.backup).toMatchObject({ accessKeyId: "mine", repository: "s3:http://198.18.0.250:8333/aistudio-backup/local" });
    expect(raw.backupSecretAccessKey).toBe("my-secret-0123456789");
  });

  it("a missing record is a problem of backup.objectstore naming `objectstore.sh up NAME`", () => {
    const problems: { key: string; message: string }[] = [];
    const raw = withStore({ backup: { objectstore: "nostore" } });
    expect(withObjectstore(raw, "local", problems)).toBe(raw);
    expect(problems).toHaveLength(1);
    expect(problems[0].key).toBe("backup.objectstore");
    expect(problems[0].message).toMatch(/no object store named "nostore".*`bash scripts\/objectstore\.sh up nostore`/);
    let thrown: unknown;
    try { withObjectstore(raw, "local"); } catch (e) { thrown = e; }
    expect((thrown as { problems?: unknown })?.problems).toEqual(problems);
  });

  it("not applied on target alicloud (parseConfig reports the key there)", () => {
    const raw = alicloudCreateRaw({ backup: { ...ALI_BACKUP, objectstore: "store" } });
    const problems: { key: string; message: string }[] = [];
    expect(withObjectstore(raw, "prod", problems)).toBe(raw);
    expect(problems).toEqual([]);
    expect(problemsOf(raw, "prod").map((p) => p.key)).toEqual(["backup.objectstore"]);
  });
});

describe("appEnv and secretValues: what the app gets and what never reaches output", () => {
  /** A password with characters a URL must encode. */
  const PASSWORD = "Pa55+w0rd/with=signs%";
  const cfg = parseConfig(localRaw({ ...LOCAL_DATA, databasePassword: PASSWORD, appEnv: { SECRET_KEY: "app-secret-key-0123" } }), "local");
  const URL = `postgresql://aistudio:${encodeURIComponent(PASSWORD)}@/aistudio?host=/run/postgresql`;

  it("mode local: DATABASE_URL is the unix-socket URL with the password URL-encoded, beside appEnv", () => {
    expect(encodeURIComponent(PASSWORD)).toBe("Pa55%2Bw0rd%2Fwith%3Dsigns%25");
    expect(appEnv(cfg)).toEqual({ SECRET_KEY: "app-secret-key-0123", DATABASE_URL: "postgresql://aistudio:Pa55%2Bw0rd%2Fwith%3Dsigns%25@/aistudio?host=/run/postgresql" });
  });

  it("mode external: DATABASE_URL is aistudio:databaseUrl; mode none: appEnv alone", () => {
    const url = "postgresql://app:pw-0123@db.internal:5432/aistudio";
    expect(appEnv(parseConfig(alicloudCreateRaw({ database: { mode: "external" }, databaseUrl: url }), "prod")).DATABASE_URL).toBe(url);
    expect(appEnv(parseConfig(localRaw({ appEnv: { A: "b" } }), "local"))).toEqual({ A: "b" });
  });

  it("secretValues: the database password raw and URL-encoded, the URL, the backup password and the secret key", () => {
    const s = secretValues(cfg);
    for (const v of [PASSWORD, encodeURIComponent(PASSWORD), URL, LOCAL_DATA.backupPassword, LOCAL_DATA.backupSecretAccessKey, "app-secret-key-0123"]) {
      expect(s).toContain(v);
    }
    const ext = "postgresql://app:pw-0123@db.internal:5432/aistudio";
    expect(secretValues(parseConfig(alicloudCreateRaw({ database: { mode: "external" }, databaseUrl: ext }), "prod"))).toContain(ext);
  });

  it("redact() of a text with the local DATABASE_URL leaves no fragment of the password", () => {
    const text = [
      `DATABASE_URL="${URL}"`,
      `psql: error: connection to server failed: ${URL}`,
      `password ${PASSWORD} and encoded ${encodeURIComponent(PASSWORD)}`,
      `the tool: RESTIC_PASSWORD=${LOCAL_DATA.backupPassword} AWS_SECRET_ACCESS_KEY=${LOCAL_DATA.backupSecretAccessKey}`,
    ].join("\n");
    const out = redact(text, secretValues(cfg));
    // every 5-character piece of the database password, raw or encoded, is gone; the backup secrets too
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD)]) {
      for (let i = 0; i + 5 <= secret.length; i++) expect(out, secret.slice(i, i + 5)).not.toContain(secret.slice(i, i + 5));
    }
    for (const secret of [LOCAL_DATA.backupPassword, LOCAL_DATA.backupSecretAccessKey]) expect(out).not.toContain(secret);
    expect(out).toContain('DATABASE_URL="***"');
    expect(out).toContain("psql: error: connection to server failed: ***");
  });
});
