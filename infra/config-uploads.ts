// Where the users' uploads live (issue #15): aistudio:uploads. `disk` (the default) is today's
// layout: <app.dataDir>/media/uploads on the server, served by nginx. `s3` is one store every
// server of a fleet sees: an OSS bucket this stack declares (uploads.bucket on Alibaba Cloud), an
// existing S3-compatible store (uploads.endpoint + uploads.bucket), or on the local stack an
// object-store test host (uploads.objectstore, scripts/objectstore.sh; its record fills the rest at
// the edge, infra/read-config.ts). The app gets AISTUDIO_UPLOADS_S3_* (uploadsEnv) and nginx hands
// /media/ to it. Secret: uploadsSecretAccessKey.
import type { Section } from "./config-section";
import { t } from "../core/text";

export const UPLOADS_KEYS = ["store", "objectstore", "bucket", "endpoint", "region", "addressing", "prefix", "accessKeyId"] as const;
export type UploadsKey = (typeof UPLOADS_KEYS)[number];

export interface UploadsS3 {
  /** http(s)://HOST[:PORT] of the S3 API. */
  endpoint: string;
  bucket: string;
  /** The SigV4 signing region (OSS: the region id, e.g. cn-hangzhou; other stores: us-east-1). */
  region: string;
  /** path: http://HOST/BUCKET/KEY; virtual: https://BUCKET.HOST/KEY (the only style OSS accepts). */
  addressing: "path" | "virtual";
  /** Key prefix: "" or ending in "/". */
  prefix: string;
  accessKeyId: string;
  /** Secret. */
  secretAccessKey: string;
  /** target alicloud: the OSS bucket is declared by this stack (private, versioned, encrypted). */
  declare: boolean;
  /** target local: the object-store test host it is on. */
  objectstore?: string;
}

export interface UploadsConfig {
  store: "disk" | "s3";
  s3?: UploadsS3;
}

/** The app's environment for each store (the app contract; provision/sample-app/s3.py reads it). */
export const UPLOADS_ENV = {
  endpoint: "AISTUDIO_UPLOADS_S3_ENDPOINT",
  bucket: "AISTUDIO_UPLOADS_S3_BUCKET",
  region: "AISTUDIO_UPLOADS_S3_REGION",
  accessKeyId: "AISTUDIO_UPLOADS_S3_ACCESS_KEY_ID",
  secretAccessKey: "AISTUDIO_UPLOADS_S3_SECRET_ACCESS_KEY",
  prefix: "AISTUDIO_UPLOADS_S3_PREFIX",
  addressing: "AISTUDIO_UPLOADS_S3_ADDRESSING",
} as const;

/** AISTUDIO_UPLOADS_S3_* for the app; none for uploads on disk. */
export function uploadsEnv(u: UploadsConfig): Record<string, string> {
  if (!u.s3) return {};
  const s = u.s3;
  return {
    [UPLOADS_ENV.endpoint]: s.endpoint, [UPLOADS_ENV.bucket]: s.bucket, [UPLOADS_ENV.region]: s.region,
    [UPLOADS_ENV.accessKeyId]: s.accessKeyId, [UPLOADS_ENV.secretAccessKey]: s.secretAccessKey,
    [UPLOADS_ENV.prefix]: s.prefix, [UPLOADS_ENV.addressing]: s.addressing,
  };
}

/** OSS's S3-compatible endpoint inside the region's VPCs (the servers reach it without the Internet). */
export const ossS3Endpoint = (region: string): string => `https://s3.oss-${region}-internal.aliyuncs.com`;

/** A config message in both languages, as the fleet's read ("English / 中文"). */
const say = (zh: string, en: string): string => {
  const x = t(zh, en);
  return `${x.en} / ${x.zh}`;
};

const ENDPOINT = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/;
const OSS_HOST = /^https:\/\/(?:s3\.)?oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com\/?$/;
const OSS_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^([A-Za-z0-9_-][A-Za-z0-9._-]*\/)*$/;

export function parseUploads(
  u: Section<UploadsKey>, secretAccessKey: string | undefined,
  ctx: { target: "local" | "alicloud"; region?: string; backupBucket?: string },
): UploadsConfig {
  const bad = u.bad;
  const stack = u.stack;
  const isLocal = ctx.target === "local";
  const store = u.str("store", "disk") ?? "disk";
  if (store !== "disk" && store !== "s3") {
    bad("uploads.store", say(`必须是 "disk" 或 "s3", 当前为 ${JSON.stringify(store)}`,
      `must be "disk" (the server's data dir, served by nginx) or "s3" (one object store every server sees: OSS, or a test host's object store locally), got ${JSON.stringify(store)}`));
    return { store: "disk" };
  }
  if (store === "disk") {
    const set = UPLOADS_KEYS.filter((k) => k !== "store" && u.has(k));
    if (set.length > 0) bad(`uploads.${set[0]}`, say(`已设置, 但 uploads.store 为 disk: 设置 uploads.store s3, 或删除它`, `is set but uploads.store is disk (uploads on the server's disk): set uploads.store s3 (\`pulumi config set --path aistudio:uploads.store s3 --stack ${stack}\`), or remove uploads.${set[0]}`));
    if (secretAccessKey) bad("uploadsSecretAccessKey", say(`已设置, 但 uploads.store 为 disk: 删除它`, `is set but uploads.store is disk: remove it (\`pulumi config rm aistudio:uploadsSecretAccessKey --stack ${stack}\`), or set uploads.store s3`));
    return { store: "disk" };
  }

  const objectstore = u.str("objectstore");
  const endpoint = u.str("endpoint")?.replace(/\/$/, "");
  const bucket = u.str("bucket") ?? "";
  if (objectstore && !isLocal) bad("uploads.objectstore", say("是本地栈的测试机; 阿里云上请用 uploads.bucket (本栈声明的 OSS 存储桶)", "is a test host of the local stack; on Alibaba Cloud use uploads.bucket (an OSS bucket this stack declares), or uploads.endpoint with uploads.bucket (an existing store)"));
  if (isLocal && !endpoint && !objectstore) {
    bad("uploads.objectstore", say("uploads.store s3 在本地栈上需要对象存储测试机 (`bash scripts/objectstore.sh up NAME`), 或 uploads.endpoint 和 uploads.bucket",
      `is required for uploads.store s3 on the local stack: the object-store test host (\`bash scripts/objectstore.sh up NAME\`, then \`pulumi config set --path aistudio:uploads.objectstore NAME --stack ${stack}\`), or set uploads.endpoint and uploads.bucket`));
  }
  if (!isLocal && !endpoint && !bucket) {
    bad("uploads.bucket", say("uploads.store s3 需要存储桶: 本栈声明的 OSS 存储桶名 (全局唯一), 或现有存储的 uploads.endpoint 和 uploads.bucket",
      `is required for uploads.store s3: an OSS bucket this stack declares (\`pulumi config set --path aistudio:uploads.bucket <globally-unique-name> --stack ${stack}\`), or uploads.endpoint with uploads.bucket for an existing S3-compatible store`));
  }
  const declare = !isLocal && !endpoint && !!bucket;
  if (declare && !OSS_BUCKET.test(bucket)) bad("uploads.bucket", say(`必须是 OSS 存储桶名 (3-63 个小写字母、数字和 -), 当前为 ${JSON.stringify(bucket)}`, `must be an OSS bucket name (3-63 lowercase letters, digits and -), got ${JSON.stringify(bucket)}`));
  else if (bucket && !S3_BUCKET.test(bucket)) bad("uploads.bucket", say(`必须是存储桶名, 当前为 ${JSON.stringify(bucket)}`, `must be a bucket name (3-63 lowercase letters, digits, . and -), got ${JSON.stringify(bucket)}`));
  if (bucket && bucket === ctx.backupBucket) bad("uploads.bucket", say("与 backup.bucket 相同: 上传文件请用单独的存储桶", `is backup.bucket as well: the uploads need a bucket of their own (the backups' key may not read them, nor the app's the backups)`));

  if (endpoint !== undefined && !ENDPOINT.test(endpoint)) {
    bad("uploads.endpoint", say(`必须是 http(s)://主机[:端口], 当前为 ${JSON.stringify(endpoint)}`, `must be http(s)://HOST[:PORT] of an S3-compatible API (OSS: ${ossS3Endpoint(ctx.region ?? "cn-hangzhou")}), got ${JSON.stringify(endpoint)}`));
  } else if (endpoint && !isLocal && !endpoint.startsWith("https://")) {
    bad("uploads.endpoint", say("在阿里云上必须是 https://", `must be https:// on Alibaba Cloud (the users' photos would cross the network in clear), got ${JSON.stringify(endpoint)}`));
  }
  const oss = declare || (!!endpoint && OSS_HOST.test(endpoint));
  const addressing = u.str("addressing", oss ? "virtual" : "path") ?? "path";
  if (addressing !== "path" && addressing !== "virtual") bad("uploads.addressing", say(`必须是 "path" 或 "virtual", 当前为 ${JSON.stringify(addressing)}`, `must be "path" (http://HOST/BUCKET/KEY) or "virtual" (https://BUCKET.HOST/KEY), got ${JSON.stringify(addressing)}`));
  else if (oss && addressing === "path") bad("uploads.addressing", say("OSS 只接受 virtual-hosted 方式的请求: 删除它", "is path, but OSS accepts only virtual-hosted-style requests (BUCKET.HOST): remove uploads.addressing"));
  if (declare && u.has("region")) bad("uploads.region", say("由 cloud.region 决定 (本栈声明的存储桶): 删除它", "is cloud.region for the bucket this stack declares: remove uploads.region"));
  const region = u.str("region", declare ? ctx.region : OSS_HOST.exec(endpoint ?? "")?.[1] ?? "us-east-1") ?? "us-east-1";
  if (!/^[a-z0-9-]{2,40}$/.test(region)) bad("uploads.region", say(`必须是区域 ID, 当前为 ${JSON.stringify(region)}`, `must be a region id like us-east-1 or cn-hangzhou, got ${JSON.stringify(region)}`));
  // "" is a prefix of its own (the bucket's top), not "unset"
  const prefix = u.raw["prefix"] === "" ? "" : u.str("prefix", "uploads/") ?? "uploads/";
  if (!PREFIX.test(prefix)) bad("uploads.prefix", say(`必须为空或以 / 结尾, 各段不以 . 开头, 当前为 ${JSON.stringify(prefix)}`, `must be empty or end in /, each segment of letters, digits, . _ - and not starting with a dot (e.g. "uploads/"), got ${JSON.stringify(prefix)}`));

  const accessKeyId = u.str("accessKeyId") ?? "";
  // the keys of a store that is named (the object-store test host's record brings its own)
  if (!objectstore && (endpoint || declare)) {
    if (!accessKeyId) bad("uploads.accessKeyId", say("必填: 只能读写上传存储桶的 RAM 用户的 AccessKey ID", `is required: the AccessKey ID of a RAM user that may only read and write the uploads bucket (\`pulumi config set --path aistudio:uploads.accessKeyId LTAI… --stack ${stack}\`)`));
    if (!secretAccessKey) bad("uploadsSecretAccessKey", say("必填: 该 RAM 用户的 AccessKey secret", `is required: \`pulumi config set --secret aistudio:uploadsSecretAccessKey --stack ${stack}\` (that RAM user's AccessKey secret)`));
  }
  if (/\s/.test(accessKeyId)) bad("uploads.accessKeyId", say("不能包含空白字符", "must not contain spaces"));
  return {
    store: "s3",
    s3: {
      endpoint: endpoint ?? (declare && ctx.region ? ossS3Endpoint(ctx.region) : ""),
      bucket, region, addressing: addressing as UploadsS3["addressing"], prefix, accessKeyId,
      secretAccessKey: secretAccessKey ?? "", declare, objectstore,
    },
  };
}

/** aistudio:appEnv may not set what uploads.store hands the app itself. */
export function checkUploadsAppEnv(u: UploadsConfig, appEnv: Record<string, string>, bad: (k: string, m: string) => void): void {
  const own = Object.keys(appEnv).filter((k) => k.startsWith("AISTUDIO_UPLOADS_"));
  if (own.length === 0) return;
  bad("appEnv", u.store === "s3"
    ? say(`设置了 ${own.join(", ")}, 这些由 uploads.* 交给应用: 从 aistudio:appEnv 删除`, `sets ${own.join(", ")}, which uploads.store s3 hands to the app itself: remove ${own.length === 1 ? "it" : "them"} from aistudio:appEnv`)
    : say(`设置了 ${own.join(", ")}: 请改用 aistudio:uploads (nginx 也需要知道上传文件在哪里)`, `sets ${own.join(", ")}: say where the uploads live with aistudio:uploads instead (nginx must know too): \`pulumi config set --path aistudio:uploads.store s3\`, and remove ${own.length === 1 ? "it" : "them"} from aistudio:appEnv`));
}
