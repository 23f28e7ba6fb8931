// The `servers` block: how many servers a stack runs and where (issue #15). One server (count 1, the
// default) is today's layout and reads nothing else of this block. More than one is a fleet behind a
// load balancer (an Alibaba Cloud ALB, infra/components/fleet-cloud.ts; locally HAProxy on a test
// host), deployed one server at a time (infra/fleet/rollout.ts). A fleet needs state every server
// sees: the database external, uploads in the shared object store, TLS from a provided certificate
// (the load balancer's), no per-server data disk. Every refusal names its key and fix.
import type { Section } from "./config-section";
import { t } from "../core/text";
import { formatIp, parseCidr } from "../core/cidr";

export const SERVERS_KEYS = ["count", "zones", "healthCheckPath", "maxUnavailable"] as const;
export type ServersKey = (typeof SERVERS_KEYS)[number];

/** The most servers one stack declares. */
export const MAX_SERVERS = 20;
/** GET answered 200 by the app without touching the database (provision/sample-app/app.py). */
export const DEFAULT_HEALTH_CHECK_PATH = "/api/health";

export interface FleetZone {
  zoneId: string;
  /** The CIDR of this zone's vSwitch: [0] is cloud.vswitchCidr (the first server's), then the next blocks of that size. */
  vswitchCidr: string;
}

export interface FleetConfig {
  /** How many servers (1: today's single server, no load balancer). */
  count: number;
  /** count > 1: the zones the servers are spread over (server i in zones[i % n]), two at least (ALB needs two). */
  zones: FleetZone[];
  /** The ALB server group's health check: GET over HTTPS, 2xx is healthy. */
  healthCheckPath: string;
  /** How many servers the rolling deploy takes out of the load balancer at once. */
  maxUnavailable: number;
  /**
   * The local fleet's test hosts (target local, count > 1), filled from their records by
   * read-config.ts: the servers <testhost>, <testhost>-2 … and the load balancer <testhost>-lb.
   */
  testhosts?: { servers: FleetTesthost[]; loadBalancer: FleetTesthost };
}

/** A test host of the local fleet: its name, address and pinned host key. */
export interface FleetTesthost {
  name: string;
  host: string;
  hostKey: string;
}

/** What the fleet's checks need from the rest of the config. */
export interface FleetContext {
  target: "local" | "alicloud";
  region?: string;
  zoneId?: string;
  existingNetwork: boolean;
  adopt: boolean;
  vpcCidr?: string;
  vswitchCidr?: string;
  databaseMode: string;
  tlsMode: string;
  volume: boolean;
  /** Uploads go to a store every server sees (uploads.store s3), not the server's disk. */
  sharedUploads: boolean;
}

/** A config message in both languages, as the other config messages read ("English / 中文"). */
const say = (zh: string, en: string): string => {
  const x = t(zh, en);
  return `${x.en} / ${x.zh}`;
};

/** The ALB's health check URL: 1-80 characters from / , of the characters ALB accepts. */
const HEALTH_PATH = /^\/[A-Za-z0-9\-/.%?#&=_;~!()*[\]@$^:',+]{0,79}$/;

export function parseFleet(s: Section<ServersKey>, ctx: FleetContext): FleetConfig {
  const bad = s.bad;
  const stack = s.stack;
  const count = s.num("count", 1, 1, MAX_SERVERS);
  const zoneIds = s.strList("zones");
  const healthCheckPath = s.str("healthCheckPath", DEFAULT_HEALTH_CHECK_PATH) ?? DEFAULT_HEALTH_CHECK_PATH;
  const maxUnavailable = s.num("maxUnavailable", 1, 1, MAX_SERVERS);
  const fleet: FleetConfig = { count, zones: [], healthCheckPath, maxUnavailable };

  if (count === 1) {
    for (const k of (["zones", "healthCheckPath", "maxUnavailable"] as const).filter((k) => s.has(k))) {
      bad(`servers.${k}`, say(
        `仅用于多台服务器 (servers.count 大于 1)，当前只有一台: 删除它 (\`pulumi config rm --path aistudio:servers.${k} --stack ${stack}\`)`,
        `is only used by a fleet (servers.count above 1) and this stack has one server: remove it (\`pulumi config rm --path aistudio:servers.${k} --stack ${stack}\`)`,
      ));
    }
    return fleet;
  }

  if (!HEALTH_PATH.test(healthCheckPath)) {
    bad("servers.healthCheckPath", say(
      `必须是以 / 开头、不超过 80 个字符的路径, 应用对它的 GET 返回 200, 例如 ${DEFAULT_HEALTH_CHECK_PATH}`,
      `must be a path starting with / of at most 80 characters that the app answers 200 to a GET, e.g. ${DEFAULT_HEALTH_CHECK_PATH}; got ${JSON.stringify(healthCheckPath)}`,
    ));
  }
  if (maxUnavailable >= count) {
    bad("servers.maxUnavailable", say(
      `为 ${maxUnavailable}, 但只有 ${count} 台服务器: 滚动发布时至少要有一台在线。设为小于 ${count} 的数 (\`pulumi config set --path aistudio:servers.maxUnavailable 1 --stack ${stack}\`)`,
      `is ${maxUnavailable} with ${count} servers: a rollout must keep one serving. Set it below ${count} (\`pulumi config set --path aistudio:servers.maxUnavailable 1 --stack ${stack}\`)`,
    ));
  }

  if (ctx.target === "local") {
    // the local fleet: test hosts <testhost>, <testhost>-2 … and the load balancer <testhost>-lb (read-config.ts)
    if (s.has("zones")) {
      bad("servers.zones", say(
        `是阿里云的可用区, 本地栈没有: 删除它 (\`pulumi config rm --path aistudio:servers.zones --stack ${stack}\`)`,
        `are Alibaba Cloud zones, which the local stack has none of: remove them (\`pulumi config rm --path aistudio:servers.zones --stack ${stack}\`)`,
      ));
    }
  } else {
    if (ctx.adopt) {
      bad("servers.count", say(
        "多台服务器由本栈创建, 不能接管已有服务器 (cloud.adoptAddress): 删除 cloud.adoptAddress 让本栈创建服务器, 或保持 servers.count 1",
        "a fleet is created by this stack and cannot adopt an existing server (cloud.adoptAddress): remove cloud.adoptAddress to let the stack create the servers, or keep servers.count 1",
      ));
    }
    if (ctx.existingNetwork) {
      bad("cloud.vswitchId", say(
        "多台服务器需要每个可用区一个交换机, 已有网络 (cloud.vpcId/cloud.vswitchId) 暂不支持: 删除二者让本栈创建网络, 或保持 servers.count 1",
        "a fleet needs a vSwitch in each zone, which an existing network (cloud.vpcId/cloud.vswitchId) does not give yet: remove both to let the stack create the network, or keep servers.count 1",
      ));
    }
  }
  if (ctx.databaseMode !== "external") {
    bad("database.mode", say(
      `为 ${ctx.databaseMode}: 每台服务器会有各自的数据库。多台服务器需要共享数据库: \`pulumi config set --path aistudio:database.mode external --stack ${stack}\` 并设置 database.rds 或 aistudio:databaseUrl`,
      `is ${ctx.databaseMode}: each server would have a database of its own. A fleet shares one: \`pulumi config set --path aistudio:database.mode external --stack ${stack}\` with database.rds or aistudio:databaseUrl`,
    ));
  }
  if (ctx.volume) {
    bad("data.volume", say(
      `是一台服务器自己的数据盘; 多台服务器的数据在外部数据库和共享存储中: \`pulumi config set --path aistudio:data.volume false --stack ${stack}\``,
      `is one server's own disk; a fleet keeps its data in the external database and shared storage: \`pulumi config set --path aistudio:data.volume false --stack ${stack}\``,
    ));
  }
  if (ctx.tlsMode !== "provided") {
    bad("tls.mode", say(
      `为 ${ctx.tlsMode}: 负载均衡的证书来自证书管理服务 (本地: HAProxy), 用的是提供的证书 (通过阿里云 DNS 的 ACME DNS-01 签发尚未实现): 设置 tls.mode provided、tls.certificate 和 aistudio:tlsPrivateKey`,
      `is ${ctx.tlsMode}: the load balancer (ALB with Certificate Management Service; locally HAProxy) serves a provided certificate (ACME DNS-01 issuance through Alibaba Cloud DNS is not built yet): set tls.mode provided with tls.certificate and aistudio:tlsPrivateKey`,
    ));
  }
  if (!ctx.sharedUploads) {
    bad("uploads.store", say(
      `上传文件写在各服务器自己的磁盘上, 多台服务器时只有一台能看到: 使用共享的对象存储 (\`pulumi config set --path aistudio:uploads.store s3 --stack ${stack}\`, 再设置 uploads.bucket 或本地的 uploads.objectstore)`,
      `keeps uploads on each server's own disk, where only one server of a fleet would see them: put them in the shared object store (\`pulumi config set --path aistudio:uploads.store s3 --stack ${stack}\` with uploads.bucket, or uploads.objectstore on the local stack)`,
    ));
  }
  if (ctx.target === "local") return fleet;

  fleet.zones = fleetZones(zoneIds, ctx, bad, stack);
  return fleet;
}

/** The zones, validated, each with its vSwitch's CIDR: the first server's vSwitch, then the next blocks. */
function fleetZones(ids: string[], ctx: FleetContext, bad: (k: string, m: string) => void, stack: string): FleetZone[] {
  const example = ctx.region ? `["${ctx.region}-i", "${ctx.region}-j"]` : `["cn-hangzhou-i", "cn-hangzhou-j"]`;
  if (ids.length < 2) {
    bad("servers.zones", say(
      `至少需要两个可用区 (ALB 跨两个可用区): \`pulumi config set --path 'aistudio:servers.zones' '${example}' --stack ${stack}\``,
      `must list two zones at least (an ALB spans two zones): \`pulumi config set --path 'aistudio:servers.zones' '${example}' --stack ${stack}\``,
    ));
    return [];
  }
  const region = ctx.region ?? "";
  const zoneOf = new RegExp(`^${region.replace(/[^a-z0-9-]/g, "")}-?[a-z0-9]+$`);
  for (const z of ids) {
    if (!zoneOf.test(z)) bad("servers.zones", say(`${JSON.stringify(z)} 不是地域 ${region} 的可用区 ID, 例如 ${example}`, `${JSON.stringify(z)} is not a zone id of the region ${region}, e.g. ${example}`));
  }
  if (new Set(ids).size !== ids.length) bad("servers.zones", say("列出了重复的可用区: 每个只写一次", `lists a zone twice: name each once, got ${JSON.stringify(ids)}`));
  if (ctx.zoneId && ids[0] !== ctx.zoneId) {
    bad("servers.zones", say(
      `第一个必须是第一台服务器所在的可用区 cloud.zoneId (${ctx.zoneId}): 换可用区会替换它的交换机和服务器`,
      `must start with the first server's zone, cloud.zoneId (${ctx.zoneId}): another zone would replace its vSwitch and the server`,
    ));
  }
  const first = ctx.vswitchCidr ? parseCidr(ctx.vswitchCidr) : undefined;
  const vpc = ctx.vpcCidr ? parseCidr(ctx.vpcCidr) : undefined;
  if (!first || !vpc) return []; // cloud.vpcCidr/vswitchCidr are reported by parseCloud
  const zones = ids.map((zoneId, i) => ({ zoneId, network: first.network + i * first.size }));
  const outside = zones.find((z) => z.network + first.size > vpc.network + vpc.size || z.network < vpc.network);
  if (outside) {
    bad("cloud.vswitchCidr", say(
      `多台服务器的交换机依次使用 ${ctx.vswitchCidr} 之后大小相同的网段, 但 ${formatIp(outside.network)}/${first.bits} 超出了 VPC ${ctx.vpcCidr}: 选一个更靠前的 cloud.vswitchCidr 或更大的 cloud.vpcCidr`,
      `the fleet's vSwitches take the blocks after ${ctx.vswitchCidr} of the same size, and ${formatIp(outside.network)}/${first.bits} is outside the VPC ${ctx.vpcCidr}: choose an earlier cloud.vswitchCidr or a larger cloud.vpcCidr`,
    ));
  }
  return zones.map((z) => ({ zoneId: z.zoneId, vswitchCidr: `${formatIp(z.network)}/${first.bits}` }));
}
