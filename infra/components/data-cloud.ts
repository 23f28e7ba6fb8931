// DataStore: where the data lives on Alibaba Cloud, so that no data is lost (issue #12).
//
//   data disk       encrypted EcsDisk in the server's zone, not released with the instance, attached by
//                   an EcsDiskAttachment that is deleted before it is replaced (a rebuilt instance gets
//                   the same disk back), daily automatic snapshots (AutoSnapshotPolicy + attachment)
//   backup bucket   the restic repository's OSS bucket: private (BucketAcl + public access blocked),
//                   versioned, encrypted at rest, old versions and stale multipart uploads expired
//   uploads bucket  the users' uploads, one store every server sees (issue #15; uploads.bucket): the
//                   same rules (private: the app signs its requests and serves the photos itself)
//   database        ApsaraDB RDS PostgreSQL in the server's vSwitch, reachable only from the server's
//                   private IP (a fleet's: every server's); one database and its owner account
//
// One component (aistudio:cloud:DataStore) rather than loose functions: `pulumi preview` shows the
// data resources as one group, and infra/cloud.ts makes it a child of the server's component, so the
// program's `dependsOn: [cloud]` waits for the disk to be attached before the server mounts it.
// Like the server components it takes narrow typed inputs (infra/cloud.ts maps config to them) and
// the provider through resource options.
import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "@pulumi/alicloud";
import type { ServerPlacement } from "./cloud";

export interface DataDiskArgs {
  sizeGb: number;
  category: string;
  snapshotRetentionDays: number;
  /** Hour (0-23) of the daily snapshot; Alibaba Cloud reads it as UTC+8. */
  snapshotHour: number;
}

export interface BackupBucketArgs {
  /** The bucket's name (globally unique). */
  name: string;
  /** Days an overwritten or deleted object's old version is kept: the window to undo a bad prune or a wiper. */
  noncurrentDays: number;
}

export interface RdsArgs {
  instanceType: string;
  storageGb: number;
  engineVersion: string;
  storageType: string;
  /** The instance's address in the server's vSwitch, fixed in config so the app's DATABASE_URL is known before it exists. */
  privateIp: string;
  database: string;
  user: string;
  /** Secret. */
  password: pulumi.Input<string>;
}

export interface DataStoreArgs {
  /** The created server (undefined in adopt mode: no disk, no database, only the bucket). */
  server?: ServerPlacement;
  disk?: DataDiskArgs;
  bucket?: BackupBucketArgs;
  /** The uploads' bucket (uploads.store s3 with uploads.bucket), kept like the backups'. */
  uploadsBucket?: BackupBucketArgs;
  rds?: RdsArgs;
  /** Prod-like: deleting or replacing the data takes a deliberate step outside the program. */
  protect: boolean;
  tags: Record<string, string>;
}

/** What the program exports about its data. */
export interface DataOutputs {
  dataDiskId?: pulumi.Output<string>;
  backupBucket?: pulumi.Output<string>;
  uploadsBucket?: pulumi.Output<string>;
  databaseHost?: pulumi.Output<string>;
}

/**
 * The resource options that keep the data, computed once so tests can check them (mocks do not see
 * options). retainOnDelete on a protected disk: even after `pulumi state unprotect`, a destroy or a
 * forced replacement (zone, encryption) leaves the old disk and its snapshots in the account, so
 * releasing production data is a console action, never a side effect of a stack operation. Not on
 * other stacks, whose destroy should clean up. The bucket needs no retain: OSS refuses to delete a
 * bucket that still holds objects (forceDestroy stays false).
 */
export function dataOptions(protect: boolean): {
  disk: pulumi.CustomResourceOptions;
  attachment: pulumi.CustomResourceOptions;
  bucket: pulumi.CustomResourceOptions;
  database: pulumi.CustomResourceOptions;
} {
  return {
    disk: { protect, retainOnDelete: protect },
    // Replacing the attachment (a new instance) detaches the disk from the old instance first; an
    // attachment to the new one cannot be created while the disk is still attached.
    attachment: { deleteBeforeReplace: true },
    bucket: { protect },
    database: { protect },
  };
}

/** Every day of the week, as AutoSnapshotPolicy counts them (1 = Monday). */
export const ALL_WEEKDAYS = ["1", "2", "3", "4", "5", "6", "7"];

/** The RDS whitelist: the server's private address, and nothing else. */
export const rdsWhitelist = (privateIp: string): string[] => [`${privateIp}/32`];

export class DataStore extends pulumi.ComponentResource implements DataOutputs {
  public readonly dataDiskId?: pulumi.Output<string>;
  public readonly backupBucket?: pulumi.Output<string>;
  public readonly uploadsBucket?: pulumi.Output<string>;
  public readonly databaseHost?: pulumi.Output<string>;

  constructor(name: string, args: DataStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aistudio:cloud:DataStore", name, {}, opts);
    const o = { parent: this };
    const keep = dataOptions(args.protect);
    const tags = args.tags;

    if (args.server && args.disk) this.dataDiskId = dataDisks(name, args.server, args.disk, tags, keep, o);
    if (args.bucket) this.backupBucket = ossBucket(`${name}-backup`, args.bucket, tags, keep, o);
    if (args.uploadsBucket) this.uploadsBucket = ossBucket(`${name}-uploads`, args.uploadsBucket, tags, keep, o);
    // RDS needs the server's private IP for its whitelist: a created server only (adopt mode has none to read).
    if (args.server && args.rds) this.databaseHost = rdsDatabase(name, args.server, args.rds, args.protect, tags, keep, o);

    this.registerOutputs({ dataDiskId: this.dataDiskId, backupBucket: this.backupBucket, uploadsBucket: this.uploadsBucket, databaseHost: this.databaseHost });
  }
}

type Options = ReturnType<typeof dataOptions>;

/**
 * The server's data disk and its daily snapshots; during a rebuild also the standby's own disk
 * (`<name>-standby-data…`, the twin names stacks/standby-swap.ts promotes), blank: the data reaches
 * it through the hand-over, while the old disk stays with the old server.
 */
function dataDisks(name: string, server: ServerPlacement, d: DataDiskArgs, tags: Record<string, string>, keep: Options, o: pulumi.CustomResourceOptions): pulumi.Output<string> {
  const policy = new alicloud.ecs.AutoSnapshotPolicy(`${name}-data-snapshots`, {
    autoSnapshotPolicyName: `${name}-data-daily`,
    timePoints: [String(d.snapshotHour)],
    repeatWeekdays: ALL_WEEKDAYS,
    retentionDays: d.snapshotRetentionDays,
    tags,
  }, o);
  // both are named <name>-data in the console: after the switch the standby's is the server's disk
  const disk = dataDisk(name, `${name}-data`, server.zoneId, server.instanceId, d, policy, tags, keep, o);
  // The standby's disk holds copies until the switch: a rebuild that gives up deletes it. The next
  // `up` after the switch, declaring it as the server's disk, protects and retains it like the old one.
  const loose = { ...keep, disk: { protect: false, retainOnDelete: false } };
  if (server.standby) dataDisk(`${name}-standby`, `${name}-data`, server.zoneId, server.standby.instanceId, d, policy, tags, loose, o);
  return disk;
}

function dataDisk(
  name: string, diskName: string, zoneId: pulumi.Input<string>, instanceId: pulumi.Input<string>, d: DataDiskArgs, policy: alicloud.ecs.AutoSnapshotPolicy,
  tags: Record<string, string>, keep: Options, o: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
  const disk = new alicloud.ecs.EcsDisk(`${name}-data`, {
    diskName,
    description: "aistudio data: the app's data directory (database, uploads)",
    zoneId,
    category: d.category,
    size: d.sizeGb,
    encrypted: true,
    // The disk outlives the instance (it is re-attached to a rebuilt one), and its snapshots outlive the disk.
    deleteWithInstance: false,
    deleteAutoSnapshot: false,
    paymentType: "PayAsYouGo",
    tags,
  }, { ...o, ...keep.disk });
  new alicloud.ecs.EcsDiskAttachment(`${name}-data-attach`, { diskId: disk.id, instanceId, deleteWithInstance: false }, { ...o, ...keep.attachment });
  new alicloud.ecs.EcsAutoSnapshotPolicyAttachment(`${name}-data-snapshots-attach`, { autoSnapshotPolicyId: policy.id, diskId: disk.id }, o);
  return disk.id;
}

/** A private, versioned, encrypted OSS bucket (resources `<id>`, `<id>-acl`, `<id>-no-public`). */
function ossBucket(id: string, b: BackupBucketArgs, tags: Record<string, string>, keep: Options, o: pulumi.CustomResourceOptions): pulumi.Output<string> {
  const bucket = new alicloud.oss.Bucket(id, {
    bucket: b.name,
    storageClass: "Standard",
    // Versions undo what the restic or app key can do (overwrite, delete); that key cannot delete versions.
    versioning: { status: "Enabled" },
    serverSideEncryptionRule: { sseAlgorithm: "AES256" },
    // One rule for the whole bucket: old versions go after the window, then the delete markers left
    // without versions; multipart uploads never finished go after a week.
    lifecycleRules: [{
      id: "expire-old-versions",
      enabled: true,
      noncurrentVersionExpirations: [{ days: b.noncurrentDays }],
      expirations: [{ expiredObjectDeleteMarker: true }],
      abortMultipartUploads: [{ days: 7 }],
    }],
    forceDestroy: false,
    tags,
  }, { ...o, ...keep.bucket });
  // The bucket's own acl field is deprecated (provider 1.220.0): the ACL and the public access block are resources.
  new alicloud.oss.BucketAcl(`${id}-acl`, { bucket: bucket.bucket, acl: "private" }, o);
  new alicloud.oss.BucketPublicAccessBlock(`${id}-no-public`, { bucket: bucket.bucket, blockPublicAccess: true }, o);
  return bucket.bucket;
}

function rdsDatabase(
  name: string, server: ServerPlacement, r: RdsArgs, protect: boolean, tags: Record<string, string>, keep: Options, o: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
  const instance = new alicloud.rds.Instance(`${name}-db`, {
    instanceName: `${name}-db`,
    engine: "PostgreSQL",
    engineVersion: r.engineVersion,
    instanceType: r.instanceType,
    instanceStorage: r.storageGb,
    dbInstanceStorageType: r.storageType,
    instanceChargeType: "Postpaid",
    zoneId: server.zoneId,
    vswitchId: server.vswitchId,
    privateIpAddress: r.privateIp,
    // Only the server: never a network, never the world (policy rds-whitelist-private).
    // (during a rebuild also the standby's, which runs its steps and smoke test against the database)
    securityIps: server.privateIps ? server.privateIps.apply((ips) => ips.flatMap(rdsWhitelist))
      : server.standby ? pulumi.all([server.privateIp, server.standby.privateIp]).apply((ips) => ips.flatMap(rdsWhitelist))
      : server.privateIp.apply(rdsWhitelist),
    deletionProtection: protect,
    tags,
  }, { ...o, ...keep.database });
  const db = new alicloud.rds.Database(`${name}-db-${r.database}`, { instanceId: instance.id, dataBaseName: r.database, characterSet: "UTF8" }, o);
  const account = new alicloud.rds.RdsAccount(`${name}-db-user`, {
    dbInstanceId: instance.id,
    accountName: r.user,
    accountPassword: pulumi.secret(r.password),
    accountType: "Normal",
  }, o);
  // RDS PostgreSQL grants only DBOwner (ReadWrite is MySQL, MariaDB and SQL Server): the app owns its schema and migrates it.
  new alicloud.rds.AccountPrivilege(`${name}-db-owner`, { instanceId: instance.id, accountName: account.accountName, dbNames: [db.dataBaseName], privilege: "DBOwner" }, o);
  return instance.connectionString;
}
