// aistudio:uploads (infra/config-uploads.ts, issue #15): where the users' uploads live. Each bad
// config names exactly its keys and the fix (in English and Chinese); the good ones resolve to the
// store the app is handed (appEnv: AISTUDIO_UPLOADS_S3_*), the nginx site that follows from it, and
// the secret key is scrubbed (secretValues) while the endpoint, bucket and region stay readable.
// Then the edge: uploads.objectstore filled from an object-store test host's record.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../infra/config";
import { withObjectstore } from "../../infra/read-config";
import { appEnv, buildSteps, secretValues } from "../../infra/steps";
import { redact } from "../../core/ssh";
import { BadCase, alicloudCreateRaw, localRaw, onCreate, onLocal, problemsOf } from "./fixtures";

const SECRET = "uploads-secret-key-0123456789";
const OSS = { store: "s3", bucket: "photogooo-uploads", accessKeyId: "LTAI5tUploadsKey0001" };
const STORE = { store: "s3", endpoint: "http://198.18.0.250:8333", bucket: "aistudio-backup", accessKeyId: "store-key" };
const s3Create = (over: object = {}) => onCreate({ uploads: { ...OSS, ...over }, uploadsSecretAccessKey: SECRET });
const s3Local = (over: object = {}) => onLocal({ uploads: { ...STORE, ...over }, uploadsSecretAccessKey: SECRET });
const BOTH = / \/ .*[\u4e00-\u9fff]/; // "English / 中文"

const BAD: BadCase[] = [
  { name: "store unknown", ...onLocal({ uploads: { store: "oss" } }), key: "uploads.store", fix: /must be "disk" .* or "s3" .*got "oss"/ },
  { name: "disk with a bucket", ...onCreate({ uploads: { bucket: "x-uploads" } }), key: "uploads.bucket", fix: /is set but uploads\.store is disk.*`pulumi config set --path aistudio:uploads\.store s3 --stack prod`/ },
  { name: "disk with the secret", ...onLocal({ uploadsSecretAccessKey: SECRET }), key: "uploadsSecretAccessKey", fix: /`pulumi config rm aistudio:uploadsSecretAccessKey --stack local`/ },
  { name: "alicloud s3 without a bucket", ...onCreate({ uploads: { store: "s3", accessKeyId: "LTAI5tUploadsKey0001" }, uploadsSecretAccessKey: SECRET }), key: "uploads.bucket", fix: /`pulumi config set --path aistudio:uploads\.bucket <globally-unique-name> --stack prod`/ },
  { name: "local s3 without a store", ...onLocal({ uploads: { store: "s3" } }), key: "uploads.objectstore", fix: /`bash scripts\/objectstore\.sh up NAME`/ },
  { name: "objectstore on alicloud", ...s3Create({ objectstore: "store" }), key: "uploads.objectstore", fix: /on Alibaba Cloud use uploads\.bucket/ },
  { name: "OSS bucket with upper case", ...s3Create({ bucket: "Photos" }), key: "uploads.bucket", fix: /must be an OSS bucket name .*got "Photos"/ },
  { name: "bucket is the backup bucket", ...s3Create({ bucket: "photogooo-backup" }), key: "uploads.bucket", fix: /is backup\.bucket as well: the uploads need a bucket of their own/ },
  { name: "endpoint with a path", ...s3Local({ endpoint: "http://198.18.0.250:8333/bucket" }), key: "uploads.endpoint", fix: /must be http\(s\):\/\/HOST\[:PORT\]/ },
  { name: "http endpoint on alicloud", ...s3Create({ endpoint: "http://minio.internal:9000", bucket: "photos" }), key: "uploads.endpoint", fix: /must be https:\/\/ on Alibaba Cloud/ },
  { name: "path-style against OSS", ...s3Create({ addressing: "path" }), key: "uploads.addressing", fix: /OSS accepts only virtual-hosted-style requests/ },
  { name: "addressing unknown", ...s3Local({ addressing: "dns" }), key: "uploads.addressing", fix: /must be "path" .* or "virtual"/ },
  { name: "region on a declared bucket", ...s3Create({ region: "cn-beijing" }), key: "uploads.region", fix: /is cloud\.region for the bucket this stack declares/ },
  { name: "region with spaces", ...s3Local({ region: "us east" }), key: "uploads.region", fix: /must be a region id like us-east-1/ },
  { name: "prefix without the slash", ...s3Local({ prefix: "uploads" }), key: "uploads.prefix", fix: /must be empty or end in \// },
  { name: "prefix climbing out", ...s3Local({ prefix: "../x/" }), key: "uploads.prefix", fix: /not starting with a dot/ },
  { name: "no access key id", ...s3Create({ accessKeyId: undefined }), key: "uploads.accessKeyId", fix: /RAM user that may only read and write the uploads bucket/ },
  { name: "no secret key", ...onCreate({ uploads: OSS }), key: "uploadsSecretAccessKey", fix: /`pulumi config set --secret aistudio:uploadsSecretAccessKey --stack prod`/ },
  { name: "typo: uploads.bukcet", ...s3Create({ bukcet: "x" }), key: "uploads.bukcet", fix: /did you mean uploads\.bucket\? That one is set as well/ },
  { name: "appEnv sets the store's variables", ...onLocal({ uploads: STORE, uploadsSecretAccessKey: SECRET, appEnv: { AISTUDIO_UPLOADS_S3_BUCKET: "other" } }), key: "appEnv", fix: /sets AISTUDIO_UPLOADS_S3_BUCKET, which uploads\.store s3 hands to the app itself/ },
  { name: "appEnv points a disk stack at S3", ...onLocal({ appEnv: { AISTUDIO_UPLOADS_S3_ENDPOINT: "http://x:1" } }), key: "appEnv", fix: /with aistudio:uploads instead \(nginx must know too\)/ },
];

describe("uploads config: each bad case names exactly its key and the fix, in both languages", () => {
  it.each(BAD.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const problems = problemsOf(c.raw, c.stack);
    expect(problems.map((p) => p.key).sort()).toEqual([c.key, ...(c.also ?? [])].sort());
    const p = problems.find((x) => x.key === c.key)!;
    expect(p.message).toMatch(c.fix);
    if (!/typo/.test(c.name)) expect(p.message).toMatch(BOTH);
    expect(p.message).not.toContain(SECRET);
  });
});

describe("uploads config: what each store resolves to", () => {
  it("defaults to the disk: no S3 environment, nginx serves /media/ from the data dir", () => {
    const cfg = parseConfig(localRaw(), "local");
    expect(cfg.uploads).toEqual({ store: "disk" });
    expect(Object.keys(appEnv(cfg)).filter((k) => k.startsWith("AISTUDIO_UPLOADS"))).toEqual([]);
    expect(nginxSite(cfg)).toMatch(/location \/media\/ \{\n\s+alias \/var\/lib\/aistudio\/media\/;\n\s+expires 1d;/);
  });

  it("alicloud with uploads.bucket: the OSS bucket this stack declares, its VPC endpoint, virtual-hosted, the region id", () => {
    const cfg = parseConfig(s3Create().raw, "prod");
    expect(cfg.uploads.s3).toMatchObject({ endpoint: "https://s3.oss-cn-hangzhou-internal.aliyuncs.com", bucket: "photogooo-uploads", region: "cn-hangzhou", addressing: "virtual", prefix: "uploads/", declare: true });
    expect(appEnv(cfg)).toMatchObject({
      AISTUDIO_UPLOADS_S3_ENDPOINT: "https://s3.oss-cn-hangzhou-internal.aliyuncs.com", AISTUDIO_UPLOADS_S3_BUCKET: "photogooo-uploads",
      AISTUDIO_UPLOADS_S3_REGION: "cn-hangzhou", AISTUDIO_UPLOADS_S3_ACCESS_KEY_ID: "LTAI5tUploadsKey0001",
      AISTUDIO_UPLOADS_S3_SECRET_ACCESS_KEY: SECRET, AISTUDIO_UPLOADS_S3_PREFIX: "uploads/", AISTUDIO_UPLOADS_S3_ADDRESSING: "virtual",
    });
  });

  it("an existing OSS endpoint: virtual-hosted and its region from the host; any other store: path-style, us-east-1", () => {
    const oss = parseConfig(alicloudCreateRaw({ uploads: { ...OSS, endpoint: "https://s3.oss-cn-shanghai-internal.aliyuncs.com" }, uploadsSecretAccessKey: SECRET }), "prod");
    expect(oss.uploads.s3).toMatchObject({ region: "cn-shanghai", addressing: "virtual", declare: false });
    const local = parseConfig(s3Local({ prefix: "" }).raw, "local");
    expect(local.uploads.s3).toMatchObject({ endpoint: "http://198.18.0.250:8333", region: "us-east-1", addressing: "path", prefix: "", declare: false });
  });

  it("with store s3 nginx hands /media/ to the app (no disk alias), keeping HSTS and nosniff at the server level", () => {
    const site = nginxSite(parseConfig(s3Local().raw, "local"));
    const media = /location \/media\/ \{[^}]*\}/.exec(site)![0];
    expect(media).toContain("proxy_pass http://aistudio_app;");
    expect(media).toContain("proxy_hide_header X-Content-Type-Options;");
    expect(media).not.toMatch(/alias|add_header/);
    expect(site).toMatch(/\n    add_header X-Content-Type-Options nosniff always;/);
  });

  it("secretValues holds the secret key, not the endpoint, bucket, region or prefix; redact() leaves the rest readable", () => {
    const cfg = parseConfig(s3Create().raw, "prod");
    const s = secretValues(cfg);
    expect(s).toContain(SECRET);
    for (const v of ["https://s3.oss-cn-hangzhou-internal.aliyuncs.com", "photogooo-uploads", "cn-hangzhou", "uploads/"]) expect(s).not.toContain(v);
    const out = redact(`PUT photogooo-uploads.s3.oss-cn-hangzhou-internal.aliyuncs.com/uploads/x.jpg with AISTUDIO_UPLOADS_S3_SECRET_ACCESS_KEY="${SECRET}"`, s);
    expect(out).not.toContain(SECRET);
    expect(out).toContain("photogooo-uploads.s3.oss-cn-hangzhou-internal.aliyuncs.com/uploads/x.jpg");
  });
});

/** The nginx site the steps of a config write. */
function nginxSite(cfg: ReturnType<typeof parseConfig>): string {
  const step = buildSteps(cfg, [{ rel: "app.py", content: "" }]).find((x) => x.id === "nginx")!;
  return step.files.find((f) => f.path.startsWith("/etc/nginx/sites-available/"))!.content;
}

describe("the edge: uploads.objectstore filled from the test host's record", () => {
  let state: string;
  const saved = process.env.AISTUDIO_TESTHOST_STATE;
  const RECORD = { name: "store", host: "198.18.0.250", endpoint: "http://198.18.0.250:8333", bucket: "aistudio-backup", accessKeyId: "objectstore-key-id", secretAccessKey: "objectstore-secret-0123456789" };
  beforeEach(() => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-uploads-"));
    fs.mkdirSync(path.join(state, "hosts", "store"), { recursive: true });
    fs.writeFileSync(path.join(state, "hosts", "store", "objectstore.json"), JSON.stringify(RECORD));
    process.env.AISTUDIO_TESTHOST_STATE = state;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.AISTUDIO_TESTHOST_STATE;
    else process.env.AISTUDIO_TESTHOST_STATE = saved;
    fs.rmSync(state, { recursive: true, force: true });
  });

  it("fills endpoint, bucket, keys and a prefix per stack; what the config sets wins", () => {
    const problems: { key: string; message: string }[] = [];
    const raw = withObjectstore(localRaw({ uploads: { store: "s3", objectstore: "store" } }), "organization/aistudio/up-a", problems);
    expect(problems).toEqual([]);
    expect(parseConfig(raw, "up-a").uploads.s3).toMatchObject({ endpoint: RECORD.endpoint, bucket: RECORD.bucket, accessKeyId: RECORD.accessKeyId, secretAccessKey: RECORD.secretAccessKey, prefix: "uploads/up-a/", region: "us-east-1", addressing: "path", objectstore: "store" });
    const own = withObjectstore(localRaw({ uploads: { store: "s3", objectstore: "store", prefix: "mine/" }, uploadsSecretAccessKey: "wrong-secret-000" }), "up-a");
    expect(parseConfig(own, "up-a").uploads.s3).toMatchObject({ prefix: "mine/", secretAccessKey: "wrong-secret-000" });
  });

  it("a missing record is a problem of uploads.objectstore naming `objectstore.sh up NAME`", () => {
    const problems: { key: string; message: string }[] = [];
    withObjectstore(localRaw({ uploads: { store: "s3", objectstore: "nostore" } }), "local", problems);
    expect(problems.map((p) => p.key)).toEqual(["uploads.objectstore"]);
    expect(problems[0].message).toMatch(/`bash scripts\/objectstore\.sh up nostore`/);
  });
});
