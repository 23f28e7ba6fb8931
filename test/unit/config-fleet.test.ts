// The `servers` block (infra/config-fleet.ts, issue #15): one server by default, exactly today's
// config; a fleet (count > 1) needs state every server sees, and each refusal names its key and
// the fix, in English and Chinese. A fleet configured as it must be (external database, uploads in
// the shared store, a provided certificate, no per-server disk) has no problem, on Alibaba Cloud and
// on the local stack (whose test hosts read-config.ts finds).
import { describe, expect, it } from "vitest";
import { Raw, collectConfig, parseConfig } from "../../infra/config";
import { DEFAULT_HEALTH_CHECK_PATH } from "../../infra/config-fleet";
import { BadCase, alicloudAdoptRaw, alicloudCreateRaw, alicloudFleetRaw, fleetCertificate, localRaw, problemsOf } from "./fixtures";

const ONE_SERVER = { count: 1, zones: [], healthCheckPath: DEFAULT_HEALTH_CHECK_PATH, maxUnavailable: 1 };
const DECIMAL = (min: number, max: number) => new RegExp(`must be an integer between ${min} and ${max} in decimal digits only`);
const UPLOADS = /keeps uploads on each server's own disk, where only one server of a fleet would see them: put them in the shared object store \(`pulumi config set --path aistudio:uploads\.store s3 --stack prod` with uploads\.bucket, or uploads\.objectstore on the local stack\)/;
/** A Han character: the message's Chinese half. */
const CHINESE = /[\u4e00-\u9fff]/;

const fleet = (over: Raw = {}, servers: Raw = {}, stack = "prod") => ({ raw: alicloudFleetRaw(over, servers), stack });
const one = (over: Raw = {}, stack = "prod") => ({ raw: alicloudCreateRaw(over), stack });
/** cloud.* of a created server, to extend in a row. */
const CLOUD = alicloudCreateRaw().cloud as Raw;
/** A provided certificate for photogooo.com (what a fleet's load balancer is given). */
const PROVIDED_TLS: Raw = { tls: { mode: "provided", certificate: fleetCertificate().cert }, tlsPrivateKey: fleetCertificate().key };
/** A local fleet as it must be: the shared database and uploads store, the load balancer's certificate. */
const localFleetRaw = (over: Raw = {}): Raw => localRaw({
  servers: { count: 3 }, database: { mode: "external" }, databaseUrl: "postgresql://aistudio:pw@198.18.0.12:5432/aistudio",
  uploads: { store: "s3", endpoint: "http://198.18.0.13:8333", bucket: "aistudio-backup", accessKeyId: "AISTLOCAL0123" }, uploadsSecretAccessKey: "local-uploads-secret-0123",
  ...PROVIDED_TLS, data: undefined, ...over,
});
const EXTERNAL_URL: Raw = { database: { mode: "external" }, databasePassword: undefined, databaseUrl: "postgresql://app:pw@10.0.0.5:5432/app" };

const BAD: BadCase[] = [
  { name: "servers.count 0", ...one({ servers: { count: 0 } }), key: "servers.count", fix: DECIMAL(1, 20) },
  { name: "servers.count 21", ...one({ servers: { count: 21 } }), key: "servers.count", fix: DECIMAL(1, 20) },
  { name: "servers.count \"2.0\"", ...one({ servers: { count: "2.0" } }), key: "servers.count", fix: DECIMAL(1, 20) },
  { name: "servers.zones with one server", ...one({ servers: { zones: ["cn-hangzhou-i", "cn-hangzhou-j"] } }), key: "servers.zones", fix: /only used by a fleet.*`pulumi config rm --path aistudio:servers\.zones --stack prod`/ },
  { name: "servers.healthCheckPath with one server", ...one({ servers: { count: 1, healthCheckPath: "/api/health" } }), key: "servers.healthCheckPath", fix: /only used by a fleet.*remove it/ },
  { name: "servers.maxUnavailable with one server", ...one({ servers: { maxUnavailable: 1 } }), key: "servers.maxUnavailable", fix: /only used by a fleet/ },
  { name: "a typo in the servers block", ...one({ servers: { cuont: 3 } }), key: "servers.cuont", fix: /did you mean servers\.count\? Rename it: `pulumi config rm --path aistudio:servers\.cuont --stack prod`, then `pulumi config set --path aistudio:servers\.count 3 --stack prod`/ },
  { name: "a fleet with uploads on each server's disk", ...fleet({ uploads: undefined, uploadsSecretAccessKey: undefined }), key: "uploads.store", fix: UPLOADS },
  { name: "a local fleet with zones", raw: localFleetRaw({ servers: { count: 2, zones: ["cn-hangzhou-i", "cn-hangzhou-j"] } }), stack: "local", key: "servers.zones", fix: /are Alibaba Cloud zones, which the local stack has none of: remove them/ },
  { name: "a local fleet with the sample's own database", raw: localFleetRaw({ database: undefined, databaseUrl: undefined }), stack: "local", key: "database.mode", fix: /is none: each server would have a database of its own/ },
  { name: "a local fleet with a self-signed certificate per server", raw: localFleetRaw({ tls: { mode: "self-signed" }, tlsPrivateKey: undefined }), stack: "local", key: "tls.mode", fix: /is self-signed: the load balancer .*serves a provided certificate/ },
  { name: "a fleet without a database of its own (mode none)", ...fleet({ database: undefined, databasePassword: undefined }), key: "database.mode", fix: /is none: each server would have a database of its own.*`pulumi config set --path aistudio:database\.mode external --stack prod` with database\.rds or aistudio:databaseUrl/ },
  { name: "a fleet with PostgreSQL on each server (mode local)", ...fleet({ database: { mode: "local" }, databasePassword: "db-password-0123456789" }), key: "database.mode", fix: /is local: each server would have a database of its own/ },
  { name: "a fleet with a data disk per server (the default)", ...fleet({ data: undefined }), key: "data.volume", fix: /one server's own disk.*`pulumi config set --path aistudio:data\.volume false --stack prod`/ },
  { name: "a fleet with ACME on the servers", ...fleet({ tls: { mode: "acme", email: "ops@photogooo.com" }, tlsPrivateKey: undefined }), key: "tls.mode", fix: /is acme: the load balancer \(ALB with Certificate Management Service; locally HAProxy\) serves a provided certificate.*ACME DNS-01.*not built yet.*set tls\.mode provided with tls\.certificate and aistudio:tlsPrivateKey/ },
  { name: "a fleet in one zone", ...fleet({}, { zones: ["cn-hangzhou-i"] }), key: "servers.zones", fix: /must list two zones at least \(an ALB spans two zones\): `pulumi config set --path 'aistudio:servers\.zones' '\["cn-hangzhou-i", "cn-hangzhou-j"\]' --stack prod`/ },
  { name: "a fleet without zones", ...fleet({}, { zones: undefined }), key: "servers.zones", fix: /must list two zones at least/ },
  { name: "a fleet with a zone of another region", ...fleet({}, { zones: ["cn-hangzhou-i", "cn-shanghai-b"] }), key: "servers.zones", fix: /"cn-shanghai-b" is not a zone id of the region cn-hangzhou/ },
  { name: "a fleet naming a zone twice", ...fleet({}, { zones: ["cn-hangzhou-i", "cn-hangzhou-i"] }), key: "servers.zones", fix: /lists a zone twice/ },
  { name: "a fleet whose first zone is not the first server's", ...fleet({ cloud: { ...CLOUD, zoneId: "cn-hangzhou-k" } }), key: "servers.zones", fix: /must start with the first server's zone, cloud\.zoneId \(cn-hangzhou-k\): another zone would replace its vSwitch and the server/ },
  { name: "a fleet whose vSwitches leave the VPC", ...fleet({ cloud: { ...CLOUD, vpcCidr: "172.16.0.0/24", vswitchCidr: "172.16.0.0/24" } }), key: "cloud.vswitchCidr", fix: /the fleet's vSwitches take the blocks after 172\.16\.0\.0\/24 of the same size, and 172\.16\.1\.0\/24 is outside the VPC 172\.16\.0\.0\/24/ },
  { name: "a fleet in an existing network", ...fleet({ cloud: { ...CLOUD, vpcId: "vpc-bp1x", vswitchId: "vsw-bp1x" }, ...EXTERNAL_URL }), key: "cloud.vswitchId", fix: /a fleet needs a vSwitch in each zone.*remove both to let the stack create the network, or keep servers\.count 1/ },
  { name: "a fleet of adopted servers", raw: alicloudAdoptRaw({ servers: { count: 2, zones: ["cn-shanghai-a", "cn-shanghai-b"] }, ...EXTERNAL_URL, ...PROVIDED_TLS, uploads: { store: "s3", endpoint: "https://s3.oss-cn-shanghai-internal.aliyuncs.com", bucket: "photogooo-uploads", region: "cn-shanghai", accessKeyId: "LTAI5tAdopt01" }, uploadsSecretAccessKey: "adopt-uploads-secret-0123" }), stack: "prod", key: "servers.count", fix: /cannot adopt an existing server \(cloud\.adoptAddress\): remove cloud\.adoptAddress/ },
  { name: "a fleet that may take every server out", ...fleet({}, { maxUnavailable: 3 }), key: "servers.maxUnavailable", fix: /is 3 with 3 servers: a rollout must keep one serving. Set it below 3/ },
  { name: "a fleet's health check path without a slash", ...fleet({}, { healthCheckPath: "api/health" }), key: "servers.healthCheckPath", fix: /must be a path starting with \/ of at most 80 characters that the app answers 200 to a GET, e\.g\. \/api\/health; got "api\/health"/ },
];

describe("servers config: each bad case names exactly its keys and the fix", () => {
  it.each(BAD.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const problems = problemsOf(c.raw, c.stack);
    expect(problems.map((p) => p.key).sort()).toEqual([c.key, ...(c.also ?? [])].sort());
    expect(problems.find((x) => x.key === c.key)!.message).toMatch(c.fix);
  });

  it("says every fleet refusal in English and in Chinese", () => {
    for (const c of BAD.filter((b) => !/servers\.count \d|"2\.0"|typo/.test(b.name))) {
      for (const p of problemsOf(c.raw, c.stack)) expect(p.message, `${c.name}: ${p.key}`).toMatch(CHINESE);
    }
  });

  it("never echoes the TLS private key or the database password", () => {
    for (const c of BAD) {
      for (const k of ["tlsPrivateKey", "databasePassword", "databaseUrl"]) {
        const v = c.raw[k];
        if (typeof v === "string") for (const p of problemsOf(c.raw, c.stack)) expect(p.message).not.toContain(v);
      }
    }
  });
});

describe("servers config: what is accepted", () => {
  it("one server by default on every kind of stack, nothing else of the config changed", () => {
    for (const [raw, stack] of [[localRaw(), "local"], [alicloudCreateRaw(), "prod"], [alicloudAdoptRaw(), "staging"]] as const) {
      const cfg = parseConfig(raw, stack);
      expect(cfg.servers).toEqual(ONE_SERVER);
      // an explicit count 1 is the same config
      expect(parseConfig({ ...raw, servers: { count: 1 } }, stack)).toEqual(cfg);
      expect(parseConfig({ ...raw, servers: { count: "1" } }, stack)).toEqual(cfg);
    }
  });

  it("a fleet as it must be configured has no problem; zones get the vSwitch blocks after cloud.vswitchCidr", () => {
    const { config, problems } = collectConfig(alicloudFleetRaw({}, { healthCheckPath: "/healthz", maxUnavailable: 2 }), "prod");
    expect(problems).toEqual([]);
    expect(config.servers).toEqual({
      count: 3,
      zones: [{ zoneId: "cn-hangzhou-i", vswitchCidr: "172.16.1.0/24" }, { zoneId: "cn-hangzhou-j", vswitchCidr: "172.16.2.0/24" }],
      healthCheckPath: "/healthz",
      maxUnavailable: 2,
    });
    expect(config.database.mode).toBe("external");
    expect(config.volume).toBeUndefined();
  });

  it("the first zone may be cloud.zoneId; other regions' zone ids (ap-southeast-1a) are accepted", () => {
    const zoned = collectConfig(alicloudFleetRaw({ cloud: { ...CLOUD, zoneId: "cn-hangzhou-j" } }, { zones: ["cn-hangzhou-j", "cn-hangzhou-k"] }), "prod");
    expect(zoned.problems).toEqual([]);
    const sg = collectConfig(alicloudFleetRaw({ cloud: { ...CLOUD, region: "ap-southeast-1", vswitchCidr: "10.0.8.0/22", vpcCidr: "10.0.0.0/16" } }, { zones: ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"] }), "prod");
    expect(sg.problems).toEqual([]);
    expect(sg.config.servers.zones.map((z) => z.vswitchCidr)).toEqual(["10.0.8.0/22", "10.0.12.0/22", "10.0.16.0/22"]);
  });

  it("a local fleet as it must be configured has no problem (its test hosts are found at the edge, read-config.ts)", () => {
    const { config, problems } = collectConfig(localFleetRaw(), "local");
    expect(problems).toEqual([]);
    expect(config.servers.count).toBe(3);
    expect(config.servers.zones).toEqual([]);
  });
});
