// The `cloud` block of the config (target alicloud: a new ECS server, or an adopted one) and the
// `firewall` block (who may SSH to the server, on every target).
import { isIP } from "node:net";
import type { AistudioConfig, CloudConfig } from "./config";
import { REGIONS, cidrProblem } from "./config-values";
import { ALL_ADDRESSES, Cidr, parseCidr, sizeOfPrefix, unionSize } from "../core/cidr";
import type { Section } from "./config-section";

export const CLOUD_KEYS = [
  "region", "zoneId", "image", "instanceType", "sshPublicKey", "vpcId", "vswitchId", "vpcCidr", "vswitchCidr",
  "systemDiskCategory", "systemDiskSize", "internetMaxBandwidthOut", "dnsZone", "adoptAddress", "adoptSecurityGroupId",
] as const;
export type CloudKey = (typeof CLOUD_KEYS)[number];

export const FIREWALL_KEYS = ["adminCidrs", "allowSshFromAnywhere", "minAdminPrefix"] as const;
export type FirewallKey = (typeof FIREWALL_KEYS)[number];
export const DEFAULT_MIN_ADMIN_PREFIX = 16;

/** Names are case-insensitive: trimmed and lower-cased, like the domain. */
export const normalName = (v: string | undefined) => v?.trim().toLowerCase();

export function parseCloud(c: Section<CloudKey>, domain: string, firewall: AistudioConfig["firewall"]): CloudConfig {
  const bad = c.bad;
  const region = normalName(c.str("region", "cn-hangzhou")) ?? "";
  if (!REGIONS.has(region)) bad("cloud.region", `${JSON.stringify(region)} is not an Alibaba Cloud region id (e.g. cn-hangzhou, cn-shanghai, cn-beijing)`);
  const image = (c.str("image", "ubuntu2204") ?? "") as CloudConfig["image"];
  if (!["debian12", "ubuntu2204", "ubuntu2404"].includes(image)) bad("cloud.image", `must be debian12, ubuntu2204 or ubuntu2404, got ${JSON.stringify(image)}`);
  const instanceType = c.str("instanceType", "") ?? "";
  const adoptAddress = c.str("adoptAddress");
  const createKeys = (["instanceType", "vpcId", "vswitchId", "sshPublicKey"] as const).filter((k) => c.has(k));
  if (adoptAddress && createKeys.length > 0) {
    bad("cloud.adoptAddress", `adopting an existing server and creating one are exclusive: remove ${createKeys.map((k) => "cloud." + k).join(", ")} or cloud.adoptAddress`);
  }
  if (adoptAddress && !isIP(adoptAddress)) bad("cloud.adoptAddress", `must be the server's public IP, got ${JSON.stringify(adoptAddress)}`);
  const sshPublicKey = c.str("sshPublicKey", "") ?? "";
  if (!adoptAddress) {
    if (!instanceType) bad("cloud.instanceType", "is required to create a server, e.g. ecs.e-c1m2.large (`pulumi config set --path aistudio:cloud.instanceType ecs.e-c1m2.large`)");
    if (!sshPublicKey) bad("cloud.sshPublicKey", "is required to create a server: the public half of aistudio:sshPrivateKey (`pulumi config set --path aistudio:cloud.sshPublicKey \"$(ssh-keygen -y -f key)\"`)");
  }
  if (firewall.adminCidrs.length === 0 && !firewall.allowSshFromAnywhere) {
    bad("firewall.adminCidrs", "is required for Alibaba Cloud servers (created or adopted): SSH (22) is opened only to these CIDRs in the security group and ufw, e.g. `pulumi config set --path 'aistudio:firewall.adminCidrs[0]' 203.0.113.10/32`");
  }
  const vpcCidr = c.str("vpcCidr", "172.16.0.0/16") ?? "";
  const vswitchCidr = c.str("vswitchCidr", "172.16.1.0/24") ?? "";
  for (const [key, value] of [["cloud.vpcCidr", vpcCidr], ["cloud.vswitchCidr", vswitchCidr]]) {
    const problem = cidrProblem(value);
    if (problem) bad(key, problem);
  }
  const dnsZone = normalName(c.str("dnsZone"));
  if (dnsZone && domain && !(domain === dnsZone || domain.endsWith("." + dnsZone))) bad("cloud.dnsZone", `${JSON.stringify(dnsZone)} is not a suffix of the domain ${domain}`);
  const vpcId = c.str("vpcId");
  const vswitchId = c.str("vswitchId");
  if ((vpcId === undefined) !== (vswitchId === undefined)) bad(vpcId ? "cloud.vswitchId" : "cloud.vpcId", "existing networks need both cloud.vpcId and cloud.vswitchId");
  return {
    region,
    zoneId: c.str("zoneId"),
    vpcId,
    vswitchId,
    vpcCidr,
    vswitchCidr,
    instanceType,
    image,
    systemDiskCategory: c.str("systemDiskCategory", "cloud_essd") ?? "cloud_essd",
    systemDiskSize: c.num("systemDiskSize", 40, 20, 2048),
    internetMaxBandwidthOut: c.num("internetMaxBandwidthOut", 5, 1, 200),
    sshPublicKey,
    adopt: adoptAddress ? { address: adoptAddress, securityGroupId: c.str("adoptSecurityGroupId") } : undefined,
    dnsZone,
  };
}

/**
 * Who may SSH: each CIDR a network written as such (no host bits), none wider than a
 * /minAdminPrefix, and all of them together no more addresses than one such network, unless
 * allowSshFromAnywhere says otherwise. The policy pack measures the security group's rules alike.
 */
export function parseFirewall(f: Section<FirewallKey>): AistudioConfig["firewall"] {
  const firewall = {
    adminCidrs: f.strList("adminCidrs"),
    allowSshFromAnywhere: f.bool("allowSshFromAnywhere", false),
    minAdminPrefix: f.num("minAdminPrefix", DEFAULT_MIN_ADMIN_PREFIX, 1, 32),
  };
  const min = firewall.minAdminPrefix;
  const wider = `list your office/VPN addresses (e.g. 203.0.113.10/32); to admit more on purpose, lower the limit (\`pulumi config set --path aistudio:firewall.minAdminPrefix N\`, and the policy pack's minAdminPrefix) or set firewall.allowSshFromAnywhere true`;
  const networks: Cidr[] = [];
  let reported = false;
  for (const text of firewall.adminCidrs) {
    const problem = cidrProblem(text);
    if (problem) {
      f.bad("firewall.adminCidrs", problem);
      continue;
    }
    const c = parseCidr(text)!;
    networks.push(c);
    if (firewall.allowSshFromAnywhere) continue;
    if (c.bits === 0) {
      f.bad("firewall.adminCidrs", `${text} opens SSH to the whole Internet; list your office/VPN addresses, or set firewall.allowSshFromAnywhere true if you really mean it`);
      reported = true;
    } else if (c.bits < min) {
      f.bad("firewall.adminCidrs", `${text} is a /${c.bits} (${c.size} addresses), wider than a /${min} (firewall.minAdminPrefix): ${wider}`);
      reported = true;
    }
  }
  const total = unionSize(networks);
  if (!firewall.allowSshFromAnywhere && networks.length > 1 && total > sizeOfPrefix(min)) {
    const list = networks.map((c) => `${c.addr}/${c.bits}`).join(" + ");
    if (total === ALL_ADDRESSES && !networks.some((c) => c.bits === 0)) {
      f.bad("firewall.adminCidrs", `${list} together cover the whole Internet, like 0.0.0.0/0: ${wider}`);
    } else if (total < ALL_ADDRESSES && !reported) {
      f.bad("firewall.adminCidrs", `${list} together admit ${total} addresses, more than one /${min} (${sizeOfPrefix(min)}, firewall.minAdminPrefix): ${wider}`);
    }
  }
  return firewall;
}
