// The data side of the Alibaba Cloud layer (infra/components/data-cloud.ts, from infra/cloud.ts)
// under Pulumi mocks, as in cloud.test.ts: every registered resource is recorded with its inputs and,
// through a transformation, the options that decide whether data survives (protect, retainOnDelete,
// deleteBeforeReplace). Checked: the data disk (encrypted, in the server's zone, kept when the
// instance goes, snapshotted daily), the backup bucket (private, versioned, encrypted, expiring old
// versions), RDS (whitelisted to the server's private IP only), and where secrets go.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type * as pulumiType from "@pulumi/pulumi";
import type { Raw } from "../../infra/config";
import { ALICLOUD_BACKUP, alicloudAdoptRaw, alicloudCreateRaw } from "./fixtures";
import { EXISTING_VSWITCH_ZONE, PRIVATE_IP, RDS_HOST, Recorded, SECRET_SIG, SECRET_VALUE, ZONE, one, ofType, outputValue, policyViolations, recordingMocks, settle } from "./pulumi-mocks";

interface Options {
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  parent?: string;
}

const { mocks, recorded, clear } = recordingMocks();
const optionsOf = new Map<string, Options>();

const DB_PASSWORD = "Db-Passw0rd-0123456789";

const T = {
  vswitch: "alicloud:vpc/switch:Switch",
  instance: "alicloud:ecs/instance:Instance",
  disk: "alicloud:ecs/ecsDisk:EcsDisk",
  diskAttach: "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment",
  snapPolicy: "alicloud:ecs/autoSnapshotPolicy:AutoSnapshotPolicy",
  snapAttach: "alicloud:ecs/ecsAutoSnapshotPolicyAttachment:EcsAutoSnapshotPolicyAttachment",
  bucket: "alicloud:oss/bucket:Bucket",
  bucketAcl: "alicloud:oss/bucketAcl:BucketAcl",
  publicBlock: "alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock",
  rds: "alicloud:rds/instance:Instance",
  rdsDb: "alicloud:rds/database:Database",
  rdsAccount: "alicloud:rds/rdsAccount:RdsAccount",
  rdsPrivilege: "alicloud:rds/accountPrivilege:AccountPrivilege",
  sg: "alicloud:ecs/securityGroup:SecurityGroup",
  rule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
  store: "aistudio:cloud:DataStore",
};
const DATA_TYPES = [T.disk, T.diskAttach, T.snapPolicy, T.snapAttach, T.bucket, T.bucketAcl, T.publicBlock, T.rds, T.rdsDb, T.rdsAccount, T.rdsPrivilege];

let pulumi: typeof pulumiType;
let declareMod: typeof import("../../infra/cloud");
let configMod: typeof import("../../infra/config");
let dataMod: typeof import("../../infra/components/data-cloud");

interface Run {
  resources: Recorded[];
  options: Map<string, Options>;
  dataDiskId?: string;
  backupBucket?: string;
  uploadsBucket?: string;
  databaseHost?: string;
}

async function run(name: string, raw: Raw, stack = "prod"): Promise<Run> {
  clear();
  optionsOf.clear();
  const cfg = configMod.parseConfig(raw, stack);
  // A (legacy, in-process) transformation sees the resource options that mocks do not.
  const cloud = declareMod.declareCloud(name, cfg, {
    transformations: [(a) => {
      optionsOf.set(`${a.type} ${a.name}`, { protect: !!a.opts.protect, retainOnDelete: !!a.opts.retainOnDelete, deleteBeforeReplace: !!(a.opts as pulumiType.CustomResourceOptions).deleteBeforeReplace, parent: a.opts.parent?.constructor.name });
      return undefined;
    }],
  });
  if (!cloud) throw new Error("declareCloud declared nothing for an alicloud config");
  const value = <T>(o?: pulumiType.Output<T>) => (o ? outputValue(o) : Promise.resolve(undefined));
  const [dataDiskId, backupBucket, uploadsBucket, databaseHost] = await Promise.all([value(cloud.dataDiskId), value(cloud.backupBucket), value(cloud.uploadsBucket), value(cloud.databaseHost)]);
  await outputValue(cloud.publicIp);
  await settle(pulumi);
  return { resources: [...recorded], options: new Map(optionsOf), dataDiskId, backupBucket, uploadsBucket, databaseHost };
}

/** The options a resource was registered with (seen by the transformation). */
const opt = (r: Run, type: string, name: string): Options => {
  const o = r.options.get(`${type} ${name}`);
  expect(o, `options of ${type} ${name}`).toBeDefined();
  return o!;
};
const dataGraph = (rs: Recorded[]) => rs.filter((r) => DATA_TYPES.includes(r.type)).map((r) => `${r.type} ${r.name}`).sort();

/** An RDS database as issue #12 asks for it: mode external with database.rds. */
const RDS_RAW: Raw = {
  database: { mode: "external", name: "photos", user: "photos_app", rds: { instanceType: "pg.n2.2c.1m", storageGb: 50, engineVersion: "16.0" } },
  databasePassword: DB_PASSWORD,
};

beforeAll(async () => {
  pulumi = await import("@pulumi/pulumi");
  await pulumi.runtime.setMocks(mocks, "aistudio", "prod", false);
  declareMod = await import("../../infra/cloud");
  configMod = await import("../../infra/config");
  dataMod = await import("../../infra/components/data-cloud");
});

beforeEach(() => {
  clear();
  optionsOf.clear();
});

describe("the data disk of a created server (prod, default data block)", () => {
  let r: Run;
  beforeAll(async () => {
    r = await run("aistudio", alicloudCreateRaw());
  });

  it("declares the disk, its attachment, the snapshot policy and its attachment in one DataStore under the server", () => {
    expect(dataGraph(r.resources)).toEqual([
      `${T.snapPolicy} aistudio-data-snapshots`,
      `${T.diskAttach} aistudio-data-attach`,
      `${T.disk} aistudio-data`,
      `${T.snapAttach} aistudio-data-snapshots-attach`,
      `${T.bucket} aistudio-backup`,
      `${T.bucketAcl} aistudio-backup-acl`,
      `${T.publicBlock} aistudio-backup-no-public`,
    ].sort());
    one(r.resources, T.store);
    // the server's component is the store's parent: the program's dependsOn on it covers the attachment
    expect(opt(r, T.store, "aistudio").parent).toBe("AlicloudServer");
    for (const x of r.resources.filter((x) => DATA_TYPES.includes(x.type))) expect(opt(r, x.type, x.name).parent, x.name).toBe("DataStore");
  });

  it("is encrypted, in the vSwitch's zone, sized and typed from config, and outlives the instance", () => {
    const disk = one(r.resources, T.disk);
    expect(one(r.resources, T.vswitch).inputs.zoneId).toBe(ZONE);
    expect(disk.inputs).toMatchObject({
      zoneId: ZONE,
      encrypted: true,
      category: "cloud_essd",
      size: 40,
      deleteWithInstance: false,
      deleteAutoSnapshot: false,
      tags: { app: "aistudio", stack: "prod" },
    });
    expect(disk.inputs.instanceId).toBeUndefined(); // zoneId and instanceId exclude each other
    expect(r.dataDiskId).toBe(disk.id);
  });

  it("is protected and retained on prod; the attachment is deleted before it is replaced", () => {
    expect(opt(r, T.disk, "aistudio-data")).toMatchObject({ protect: true, retainOnDelete: true });
    expect(opt(r, T.diskAttach, "aistudio-data-attach")).toMatchObject({ deleteBeforeReplace: true, protect: false });
    expect(opt(r, T.bucket, "aistudio-backup")).toMatchObject({ protect: true });
  });

  it("is attached to the instance, not released with it", () => {
    const attach = one(r.resources, T.diskAttach);
    expect(attach.inputs).toEqual({ diskId: one(r.resources, T.disk).id, instanceId: one(r.resources, T.instance).id, deleteWithInstance: false });
  });

  it("is snapshotted every day at the configured hour, kept for the configured days", () => {
    const policy = one(r.resources, T.snapPolicy);
    expect(policy.inputs).toMatchObject({ timePoints: ["3"], repeatWeekdays: ["1", "2", "3", "4", "5", "6", "7"], retentionDays: 7 });
    expect(one(r.resources, T.snapAttach).inputs).toEqual({ autoSnapshotPolicyId: policy.id, diskId: one(r.resources, T.disk).id });
  });

  it("passes the policy pack (policy/policies.ts) exactly as registered", async () => {
    expect(await policyViolations(r.resources)).toEqual([]);
  });
});

describe("the data disk: variants", () => {
  it("takes size, category, snapshot hour and retention from the data block", async () => {
    const r = await run("big", alicloudCreateRaw({ data: { sizeGb: 200, category: "cloud_auto", snapshotHour: 22, snapshotRetentionDays: 30 } }));
    expect(one(r.resources, T.disk).inputs).toMatchObject({ size: 200, category: "cloud_auto", encrypted: true });
    expect(one(r.resources, T.snapPolicy).inputs).toMatchObject({ timePoints: ["22"], retentionDays: 30 });
  });

  it("a staging stack neither protects nor retains its disk or bucket; data.protect true does", async () => {
    const s = await run("s", alicloudCreateRaw(), "staging");
    expect(opt(s, T.disk, "s-data")).toMatchObject({ protect: false, retainOnDelete: false });
    expect(opt(s, T.diskAttach, "s-data-attach")).toMatchObject({ deleteBeforeReplace: true });
    expect(opt(s, T.bucket, "s-backup")).toMatchObject({ protect: false });
    const p = await run("sp", alicloudCreateRaw({ data: { protect: true } }), "staging");
    expect(opt(p, T.disk, "sp-data")).toMatchObject({ protect: true, retainOnDelete: true });
  });

  it("without a data volume, the bucket is protected on the prod stack only", async () => {
    const p = await run("pn", alicloudCreateRaw({ data: { volume: false } }), "prod");
    expect(opt(p, T.bucket, "pn-backup").protect).toBe(true);
    const s = await run("sn", alicloudCreateRaw({ data: { volume: false } }), "staging");
    expect(opt(s, T.bucket, "sn-backup").protect).toBe(false);
  });

  it("an explicit cloud.zoneId puts the disk in that zone", async () => {
    const r = await run("zoned", alicloudCreateRaw({ cloud: { ...(alicloudCreateRaw().cloud as Raw), zoneId: "cn-hangzhou-j" } }));
    expect(one(r.resources, T.disk).inputs.zoneId).toBe("cn-hangzhou-j");
    expect(one(r.resources, T.vswitch).inputs.zoneId).toBe("cn-hangzhou-j");
  });

  it("an existing vSwitch: the disk goes to that vSwitch's zone (looked up), not to a configured zoneId", async () => {
    const cloud = { ...(alicloudCreateRaw().cloud as Raw), vpcId: "vpc-bp1existing", vswitchId: "vsw-bp1existing", zoneId: "cn-hangzhou-j" };
    const r = await run("existing", alicloudCreateRaw({ cloud }));
    expect(ofType(r.resources, T.vswitch)).toEqual([]);
    expect(one(r.resources, T.disk).inputs.zoneId).toBe(EXISTING_VSWITCH_ZONE);
  });

  it("no disk when data.volume is false", async () => {
    const r = await run("nodisk", alicloudCreateRaw({ data: { volume: false } }));
    for (const t of [T.disk, T.diskAttach, T.snapPolicy, T.snapAttach]) expect(ofType(r.resources, t), t).toEqual([]);
    expect(r.dataDiskId).toBeUndefined();
    one(r.resources, T.bucket); // the backups stay
  });

  it("adopt mode: no disk and no RDS (nothing to attach to, no private IP), the bucket still", async () => {
    const r = await run("adopt", alicloudAdoptRaw());
    expect(dataGraph(r.resources)).toEqual([`${T.bucket} adopt-backup`, `${T.bucketAcl} adopt-backup-acl`, `${T.publicBlock} adopt-backup-no-public`].sort());
    expect(r.dataDiskId).toBeUndefined();
    expect(r.backupBucket).toBe("photogooo-backup");
    expect(opt(r, T.store, "adopt").parent).toBe("AdoptedServer");
    expect(opt(r, T.bucket, "adopt-backup").protect).toBe(true);
  });

  it("nothing at all for the data when there is no disk, no bucket and no RDS", async () => {
    const r = await run("bare", alicloudCreateRaw({ data: { volume: false }, backup: { enabled: false }, backupPassword: undefined, backupSecretAccessKey: undefined }));
    expect(dataGraph(r.resources)).toEqual([]);
    expect(ofType(r.resources, T.store)).toEqual([]);
    expect([r.dataDiskId, r.backupBucket, r.databaseHost]).toEqual([undefined, undefined, undefined]);
  });
});

describe("the backup bucket", () => {
  let r: Run;
  beforeAll(async () => {
    r = await run("aistudio", alicloudCreateRaw());
  });

  it("is named exactly backup.bucket and exported by that name", () => {
    expect(one(r.resources, T.bucket).inputs.bucket).toBe("photogooo-backup");
    expect(r.backupBucket).toBe("photogooo-backup");
  });

  it("is private: an ACL resource set to private, public access blocked, no public acl on the bucket", () => {
    const bucket = one(r.resources, T.bucket);
    expect(bucket.inputs.acl).toBeUndefined();
    expect(one(r.resources, T.bucketAcl).inputs).toEqual({ bucket: "photogooo-backup", acl: "private" });
    expect(one(r.resources, T.publicBlock).inputs).toEqual({ bucket: "photogooo-backup", blockPublicAccess: true });
  });

  it("is versioned and encrypted at rest, and cannot be force-destroyed with its objects", () => {
    expect(one(r.resources, T.bucket).inputs).toMatchObject({ versioning: { status: "Enabled" }, serverSideEncryptionRule: { sseAlgorithm: "AES256" }, forceDestroy: false });
  });

  it("expires old versions after 30 days, then their delete markers, and aborts stale multipart uploads", () => {
    const rules = one(r.resources, T.bucket).inputs.lifecycleRules;
    expect(rules).toEqual([{
      id: "expire-old-versions",
      enabled: true,
      noncurrentVersionExpirations: [{ days: declareMod.BACKUP_VERSION_DAYS }],
      expirations: [{ expiredObjectDeleteMarker: true }],
      abortMultipartUploads: [{ days: 7 }],
    }]);
    expect(declareMod.BACKUP_VERSION_DAYS).toBe(30);
    // no rule expires current versions: the repository itself is never aged out by OSS
    expect(rules.some((x: any) => x.expirations?.some((e: any) => e.days !== undefined || e.date !== undefined))).toBe(false);
  });

  it("is not declared when backups use a repository of their own (no backup.bucket)", async () => {
    const own = await run("own", alicloudCreateRaw({ backup: { repository: "s3:https://oss-cn-hangzhou-internal.aliyuncs.com/elsewhere/restic", accessKeyId: "LTAI5tBackupKeyId0001" } }));
    expect(ofType(own.resources, T.bucket)).toEqual([]);
    expect(own.backupBucket).toBeUndefined();
  });
});

describe("RDS PostgreSQL (database.mode external with database.rds)", () => {
  let r: Run;
  beforeAll(async () => {
    r = await run("aistudio", alicloudCreateRaw(RDS_RAW));
  });

  it("is PostgreSQL from the rds block, in the server's vSwitch and zone, deletion-protected on prod", () => {
    const rds = one(r.resources, T.rds);
    expect(rds.inputs).toMatchObject({
      engine: "PostgreSQL",
      engineVersion: "16.0",
      instanceType: "pg.n2.2c.1m",
      instanceStorage: 50,
      dbInstanceStorageType: "cloud_essd",
      instanceChargeType: "Postpaid",
      vswitchId: one(r.resources, T.vswitch).id,
      zoneId: ZONE,
      deletionProtection: true,
    });
    expect(opt(r, T.rds, "aistudio-db")).toMatchObject({ protect: true });
    expect(r.databaseHost).toBe(RDS_HOST);
  });

  it("admits exactly the server's private IP as a /32, nothing else", () => {
    expect(one(r.resources, T.rds).inputs.securityIps).toEqual([`${PRIVATE_IP}/32`]);
  });

  it("sits at the private address the config fixed (the vSwitch's .250), the host of the app's DATABASE_URL", () => {
    expect(one(r.resources, T.rds).inputs.privateIpAddress).toBe("172.16.1.250");
  });

  it("creates the database and its account, which owns it", () => {
    const rds = one(r.resources, T.rds);
    expect(one(r.resources, T.rdsDb).inputs).toMatchObject({ instanceId: rds.id, dataBaseName: "photos" });
    const account = one(r.resources, T.rdsAccount);
    expect(account.inputs).toMatchObject({ dbInstanceId: rds.id, accountName: "photos_app", accountType: "Normal" });
    expect(one(r.resources, T.rdsPrivilege).inputs).toEqual({ instanceId: rds.id, accountName: "photos_app", dbNames: ["photos"], privilege: "DBOwner" });
  });

  it("hands the database password to the account as a secret, and to nothing else", () => {
    // (the provider's SDK also marks accountPassword secret; what matters is that no other input carries it)
    const account = one(r.resources, T.rdsAccount);
    expect(account.inputs.accountPassword).toEqual({ [SECRET_SIG]: SECRET_VALUE, value: DB_PASSWORD });
    expect(plaintextPaths(r.resources, DB_PASSWORD)).toEqual([]);
    expect(secretPaths(r.resources, DB_PASSWORD)).toEqual([`${T.rdsAccount} aistudio-db-user .accountPassword`]);
  });

  it("passes the policy pack", async () => {
    expect(await policyViolations(r.resources)).toEqual([]);
  });

  it("staging: no deletion protection; adopt mode: refused by the config (the whitelist needs the server's private IP)", async () => {
    const s = await run("s", alicloudCreateRaw(RDS_RAW), "staging");
    expect(one(s.resources, T.rds).inputs.deletionProtection).toBe(false);
    expect(opt(s, T.rds, "s-db")).toMatchObject({ protect: false });
    let problems: { key: string }[] = [];
    try { configMod.parseConfig(alicloudAdoptRaw(RDS_RAW), "prod"); } catch (e) { problems = (e as { problems: { key: string }[] }).problems; }
    expect(problems.map((p) => p.key)).toEqual(["database.rds"]);
  });

  it("no RDS for database.mode local or external with a URL", async () => {
    const local = await run("local", alicloudCreateRaw({ database: { mode: "local" }, databasePassword: DB_PASSWORD }));
    const url = await run("url", alicloudCreateRaw({ database: { mode: "external" }, databaseUrl: "postgresql://u:p@db.example.com:5432/photos" }));
    for (const x of [local, url]) expect(ofType(x.resources, T.rds)).toEqual([]);
  });
});

describe("secrets of the backups", () => {
  it("the restic password and the OSS secret key are no cloud input at all, in create or adopt mode", async () => {
    const secrets = [ALICLOUD_BACKUP.backupPassword, ALICLOUD_BACKUP.backupSecretAccessKey] as string[];
    for (const raw of [alicloudCreateRaw(RDS_RAW), alicloudAdoptRaw()]) {
      const r = await run("sec", raw);
      expect(r.resources.length).toBeGreaterThan(3);
      for (const s of secrets) {
        expect(plaintextPaths(r.resources, s)).toEqual([]);
        expect(secretPaths(r.resources, s)).toEqual([]);
      }
    }
  });
});

describe("the uploads bucket (uploads.store s3 with uploads.bucket, issue #15)", () => {
  const UPLOADS_SECRET = "uploads-secret-key-0123456789";
  const UPLOADS: Raw = { uploads: { store: "s3", bucket: "photogooo-uploads", accessKeyId: "LTAI5tUploadsKey0001" }, uploadsSecretAccessKey: UPLOADS_SECRET };
  let r: Run;
  beforeAll(async () => {
    r = await run("aistudio", alicloudCreateRaw(UPLOADS));
  });
  const uploads = (x: Run) => ofType(x.resources, T.bucket).find((b) => b.name.endsWith("-uploads"))!;

  it("is declared beside the backup bucket in the DataStore, named exactly uploads.bucket and exported", () => {
    expect(dataGraph(r.resources)).toEqual(expect.arrayContaining([`${T.bucket} aistudio-uploads`, `${T.bucketAcl} aistudio-uploads-acl`, `${T.publicBlock} aistudio-uploads-no-public`, `${T.bucket} aistudio-backup`]));
    expect(uploads(r).inputs.bucket).toBe("photogooo-uploads");
    expect(r.uploadsBucket).toBe("photogooo-uploads");
    expect(opt(r, T.bucket, "aistudio-uploads").parent).toBe("DataStore");
  });

  it("is private, versioned, encrypted, protected on prod and not force-destroyable", () => {
    expect(uploads(r).inputs.acl).toBeUndefined();
    expect(ofType(r.resources, T.bucketAcl).find((x) => x.name === "aistudio-uploads-acl")!.inputs).toEqual({ bucket: "photogooo-uploads", acl: "private" });
    expect(ofType(r.resources, T.publicBlock).find((x) => x.name === "aistudio-uploads-no-public")!.inputs).toEqual({ bucket: "photogooo-uploads", blockPublicAccess: true });
    expect(uploads(r).inputs).toMatchObject({ versioning: { status: "Enabled" }, serverSideEncryptionRule: { sseAlgorithm: "AES256" }, forceDestroy: false });
    expect(uploads(r).inputs.lifecycleRules[0].noncurrentVersionExpirations).toEqual([{ days: 30 }]);
    expect(opt(r, T.bucket, "aistudio-uploads").protect).toBe(true);
  });

  it("passes the policy pack (oss-bucket-private, oss-bucket-versioned) exactly as registered", async () => {
    expect(await policyViolations(r.resources)).toEqual([]);
  });

  it("its secret key is no cloud input at all", () => {
    expect(plaintextPaths(r.resources, UPLOADS_SECRET)).toEqual([]);
    expect(secretPaths(r.resources, UPLOADS_SECRET)).toEqual([]);
  });

  it("adopt mode declares it too; an existing store (uploads.endpoint) or uploads on disk declare none", async () => {
    const adopted = await run("adopt", alicloudAdoptRaw(UPLOADS));
    expect(adopted.uploadsBucket).toBe("photogooo-uploads");
    const existing = await run("ext", alicloudCreateRaw({ ...UPLOADS, uploads: { ...(UPLOADS.uploads as Raw), endpoint: "https://s3.oss-cn-hangzhou-internal.aliyuncs.com" } }));
    const disk = await run("disk", alicloudCreateRaw());
    for (const x of [existing, disk]) {
      expect(ofType(x.resources, T.bucket).map((b) => b.name)).toEqual([`${x === disk ? "disk" : "ext"}-backup`]);
      expect(x.uploadsBucket).toBeUndefined();
    }
  });

  it("alone (no disk, no backups) still gets a DataStore", async () => {
    const alone = await run("alone", alicloudCreateRaw({ ...UPLOADS, data: { volume: false }, backup: { enabled: false }, backupPassword: undefined, backupSecretAccessKey: undefined }));
    expect(dataGraph(alone.resources)).toEqual([`${T.bucket} alone-uploads`, `${T.bucketAcl} alone-uploads-acl`, `${T.publicBlock} alone-uploads-no-public`].sort());
    one(alone.resources, T.store);
  });
});

describe("dataOptions and rdsWhitelist (pure, used by the component)", () => {
  it("protects and retains the disk only when asked; the attachment is always deleted before replacement", () => {
    expect(dataMod.dataOptions(true)).toEqual({
      disk: { protect: true, retainOnDelete: true }, attachment: { deleteBeforeReplace: true }, bucket: { protect: true }, database: { protect: true },
    });
    expect(dataMod.dataOptions(false)).toEqual({
      disk: { protect: false, retainOnDelete: false }, attachment: { deleteBeforeReplace: true }, bucket: { protect: false }, database: { protect: false },
    });
  });

  it("whitelists one host", () => {
    expect(dataMod.rdsWhitelist("10.0.0.5")).toEqual(["10.0.0.5/32"]);
  });
});

// ---- helpers ---------------------------------------------------------------------------------------

/** Where `needle` occurs in recorded inputs: outside any secret (plaintext) or inside one. */
function occurrences(resources: Recorded[], needle: string): { path: string; secret: boolean }[] {
  const found: { path: string; secret: boolean }[] = [];
  const walk = (v: unknown, path: string, secret: boolean) => {
    if (typeof v === "string") {
      if (v.includes(needle)) found.push({ path, secret });
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${path}[${i}]`, secret));
    } else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o[SECRET_SIG] === SECRET_VALUE) walk(o.value, path, true);
      else for (const [k, x] of Object.entries(o)) walk(x, `${path}.${k}`, secret);
    }
  };
  for (const r of resources) walk(r.inputs, `${r.type} ${r.name} `, false);
  return found;
}
const plaintextPaths = (rs: Recorded[], needle: string) => occurrences(rs, needle).filter((o) => !o.secret).map((o) => o.path);
const secretPaths = (rs: Recorded[], needle: string) => occurrences(rs, needle).filter((o) => o.secret).map((o) => o.path);
