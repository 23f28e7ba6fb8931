// The `cloud` block of the config (target alicloud): a new ECS server, or an adopted one.
import { isIP } from "node:net";
import type { AistudioConfig, CloudConfig, Raw } from "./config";
import { REGIONS, parseCidr } from "./config-values";

export function parseCloud(
  c: Raw,
  domain: string,
  firewall: AistudioConfig["firewall"],
  bad: (k: string, m: string) => void,
  str: (o: Raw, k: string, p: string, d?: string) => string | undefined,
  num: (o: Raw, k: string, p: string, d: number, min: number, max: number) => number,
): CloudConfig {
  const region = str(c, "region", "cloud.region", "cn-hangzhou") ?? "";
  if (!REGIONS.has(region)) bad("cloud.region", `${JSON.stringify(region)} is not an Alibaba Cloud region id (e.g. cn-hangzhou, cn-shanghai, cn-beijing)`);
  const image = (str(c, "image", "cloud.image", "ubuntu2204") ?? "") as CloudConfig["image"];
  if (!["debian12", "ubuntu2204", "ubuntu2404"].includes(image)) bad("cloud.image", `must be debian12, ubuntu2204 or ubuntu2404, got ${JSON.stringify(image)}`);
  const instanceType = str(c, "instanceType", "cloud.instanceType", "") ?? "";
  const adoptAddress = str(c, "adoptAddress", "cloud.adoptAddress");
  const createKeys = ["instanceType", "vpcId", "vswitchId", "sshPublicKey"].filter((k) => c[k] !== undefined && c[k] !== "");
  if (adoptAddress && createKeys.length > 0) {
    bad("cloud.adoptAddress", `adopting an existing server and creating one are exclusive: remove ${createKeys.map((k) => "cloud." + k).join(", ")} or cloud.adoptAddress`);
  }
  if (adoptAddress && !isIP(adoptAddress)) bad("cloud.adoptAddress", `must be the server's public IP, got ${JSON.stringify(adoptAddress)}`);
  const sshPublicKey = str(c, "sshPublicKey", "cloud.sshPublicKey", "") ?? "";
  if (!adoptAddress) {
    if (!instanceType) bad("cloud.instanceType", "is required to create a server, e.g. ecs.e-c1m2.large (`pulumi config set --path aistudio:cloud.instanceType ecs.e-c1m2.large`)");
    if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-\S+) [A-Za-z0-9+/]+={0,2}/.test(sshPublicKey)) bad("cloud.sshPublicKey", "is required to create a server: the public half of aistudio:sshPrivateKey (`ssh-keygen -y -f key`)");
  }
  if (firewall.adminCidrs.length === 0 && !firewall.allowSshFromAnywhere) {
    bad("firewall.adminCidrs", "is required for Alibaba Cloud servers (created or adopted): SSH (22) is opened only to these CIDRs in the security group and ufw, e.g. `pulumi config set --path 'aistudio:firewall.adminCidrs[0]' 203.0.113.10/32`");
  }
  const vpcCidr = str(c, "vpcCidr", "cloud.vpcCidr", "172.16.0.0/16") ?? "";
  const vswitchCidr = str(c, "vswitchCidr", "cloud.vswitchCidr", "172.16.1.0/24") ?? "";
  if (!parseCidr(vpcCidr)) bad("cloud.vpcCidr", `is not a CIDR: ${JSON.stringify(vpcCidr)}`);
  if (!parseCidr(vswitchCidr)) bad("cloud.vswitchCidr", `is not a CIDR: ${JSON.stringify(vswitchCidr)}`);
  const dnsZone = str(c, "dnsZone", "cloud.dnsZone");
  if (dnsZone && !(domain === dnsZone || domain.endsWith("." + dnsZone))) bad("cloud.dnsZone", `${JSON.stringify(dnsZone)} is not a suffix of the domain ${domain}`);
  const vpcId = str(c, "vpcId", "cloud.vpcId");
  const vswitchId = str(c, "vswitchId", "cloud.vswitchId");
  if ((vpcId === undefined) !== (vswitchId === undefined)) bad(vpcId ? "cloud.vswitchId" : "cloud.vpcId", "existing networks need both cloud.vpcId and cloud.vswitchId");
  return {
    region,
    zoneId: str(c, "zoneId", "cloud.zoneId"),
    vpcId,
    vswitchId,
    vpcCidr,
    vswitchCidr,
    instanceType,
    image,
    systemDiskCategory: str(c, "systemDiskCategory", "cloud.systemDiskCategory", "cloud_essd") ?? "cloud_essd",
    systemDiskSize: num(c, "systemDiskSize", "cloud.systemDiskSize", 40, 20, 2048),
    internetMaxBandwidthOut: num(c, "internetMaxBandwidthOut", "cloud.internetMaxBandwidthOut", 5, 1, 200),
    sshPublicKey,
    adopt: adoptAddress ? { address: adoptAddress, securityGroupId: str(c, "adoptSecurityGroupId", "cloud.adoptSecurityGroupId") } : undefined,
    dnsZone,
  };
}
