// A fleet on Alibaba Cloud (servers.count > 1, issue #15: infra/components/fleet-cloud.ts from
// infra/cloud.ts) under the shared Pulumi mocks. The config refuses a fleet until shared uploads
// exist, so the fleet's config is taken from collectConfig, whose only problem must be that one.
// Checked: the first server keeps every URN and input it has with one server (growing a stack
// replaces nothing), the servers spread over the zones, the ALB across two zones, the server group
// holding every server with its health check, the HTTPS listener (TLS 1.2+, HTTP/2, the CAS
// certificate), the redirect on 80, the security group closed to the world, RDS open to every
// server, the DNS record turned into a CNAME, and the policy pack.
import { beforeAll, describe, expect, it } from "vitest";
import type * as pulumiType from "@pulumi/pulumi";
import type { AistudioConfig, Raw } from "../../infra/config";
import { CREATE_CLOUD, alicloudFleetRaw, fleetCertificate } from "./fixtures";
import { ALB_DNS_NAME, EIP_ADDRESS, Recorded, SECRET_SIG, SECRET_VALUE, idOf, one, ofType, outputValue, policyViolations, recordingMocks, settle } from "./pulumi-mocks";

const { mocks, recorded, clear } = recordingMocks();

const T = {
  vswitch: "alicloud:vpc/switch:Switch",
  rule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
  instance: "alicloud:ecs/instance:Instance",
  eip: "alicloud:ecs/eipAddress:EipAddress",
  dns: "alicloud:dns/alidnsRecord:AlidnsRecord",
  rds: "alicloud:rds/instance:Instance",
  cert: "alicloud:cas/serviceCertificate:ServiceCertificate",
  alb: "alicloud:alb/loadBalancer:LoadBalancer",
  group: "alicloud:alb/serverGroup:ServerGroup",
  listener: "alicloud:alb/listener:Listener",
  albRule: "alicloud:alb/rule:Rule",
  tls: "alicloud:alb/securityPolicy:SecurityPolicy",
};

interface Registration { type: string; name: string; opts: pulumiType.CustomResourceOptions & pulumiType.ComponentResourceOptions }
interface Run {
  resources: Recorded[];
  /** Every resource's URN, as `<type> <name>` -> URN (computed from its parent's URN). */
  urns: Map<string, string>;
  registrations: Registration[];
  serverAddresses: string[];
  loadBalancerDnsName?: string;
}

let pulumi: typeof pulumiType;
let declareMod: typeof import("../../infra/cloud");
let configMod: typeof import("../../infra/config");

/** A fleet's config as collectConfig reads it: a fleet configured as it must be has no problem (checked). */
function fleetConfig(raw: Raw, stack = "prod"): AistudioConfig {
  const { config, problems } = configMod.collectConfig(raw, stack);
  expect(problems.map((p) => p.key)).toEqual([]);
  return config;
}

/** The URN a resource gets: its parent's URN with its own type appended, and its name. */
async function urnOf(reg: Registration, project = "aistudio", stack = "prod"): Promise<string> {
  if (!reg.opts.parent) return `urn:pulumi:${stack}::${project}::${reg.type}::${reg.name}`;
  // urn:pulumi:STACK::PROJECT::PARENT-TYPES::PARENT-NAME
  const [head, proj, types] = (await outputValue(reg.opts.parent.urn)).split("::");
  return `${head}::${proj}::${types}$${reg.type}::${reg.name}`;
}

async function run(name: string, cfg: AistudioConfig): Promise<Run> {
  clear();
  const registrations: Registration[] = [];
  // A (legacy, in-process) transformation sees the options the mocks do not: parent, protect, aliases.
  const cloud = declareMod.declareCloud(name, cfg, { transformations: [(a) => { registrations.push({ type: a.type, name: a.name, opts: a.opts }); return undefined; }] });
  if (!cloud) throw new Error("declareCloud declared nothing for an alicloud config");
  const serverAddresses = await outputValue(cloud.serverAddresses);
  const loadBalancerDnsName = cloud.loadBalancerDnsName ? await outputValue(cloud.loadBalancerDnsName) : undefined;
  await outputValue(cloud.publicIp);
  await settle(pulumi);
  const urns = new Map<string, string>();
  for (const r of registrations) urns.set(`${r.type} ${r.name}`, await urnOf(r));
  return { resources: [...recorded], urns, registrations, serverAddresses, loadBalancerDnsName };
}

const named = (rs: Recorded[], type: string, name: string): Recorded => {
  const found = rs.filter((r) => r.type === type && r.name === name);
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0];
};
const withDnsZone = (servers: Raw = {}) => alicloudFleetRaw({ cloud: { ...CREATE_CLOUD, dnsZone: "photogooo.com" } }, servers);

beforeAll(async () => {
  pulumi = await import("@pulumi/pulumi");
  await pulumi.runtime.setMocks(mocks, "aistudio", "prod", false);
  declareMod = await import("../../infra/cloud");
  configMod = await import("../../infra/config");
});

describe("three servers in two zones behind an ALB (prod)", () => {
  let fleet: Run;
  let single: Run;
  beforeAll(async () => {
    fleet = await run("aistudio", fleetConfig(withDnsZone()));
    // the same stack with one server: what it was before it grew
    single = await run("aistudio", fleetConfig(withDnsZone({ count: 1, zones: undefined })));
  });

  it("registers exactly the expected graph: the one-server stack's, plus a vSwitch, two servers and the ALB", () => {
    const graph = (r: Run) => r.resources.filter((x) => x.type.startsWith("alicloud:")).map((x) => `${x.type} ${x.name}`);
    const added = graph(fleet).filter((g) => !graph(single).includes(g)).sort();
    expect(added).toEqual([
      `${T.alb} aistudio-alb`,
      `${T.group} aistudio-servers`,
      `${T.group} aistudio-redirect-only`,
      `${T.listener} aistudio-http`,
      `${T.listener} aistudio-https`,
      `${T.albRule} aistudio-http-to-https`,
      `${T.tls} aistudio-tls`,
      `${T.cert} aistudio-cert`,
      "alicloud:ecs/eipAddress:EipAddress aistudio-eip-2",
      "alicloud:ecs/eipAddress:EipAddress aistudio-eip-3",
      "alicloud:ecs/eipAssociation:EipAssociation aistudio-eip-assoc-2",
      "alicloud:ecs/eipAssociation:EipAssociation aistudio-eip-assoc-3",
      `${T.instance} aistudio-server-2`,
      `${T.instance} aistudio-server-3`,
      `${T.rule} aistudio-in-443-172-16-1-0-24`,
      `${T.rule} aistudio-in-443-172-16-2-0-24`,
      `${T.vswitch} aistudio-vswitch-cn-hangzhou-j`,
    ].sort());
    // gone: the world's 80 and 443 (the DNS record stays, by its alias, see below)
    expect(graph(single).filter((g) => !graph(fleet).includes(g)).sort()).toEqual([`${T.rule} aistudio-in-443`, `${T.rule} aistudio-in-80`]);
  });

  it("keeps the first server's URN and every input it had with one server: growing replaces nothing", () => {
    const kept = [...single.urns.entries()].filter(([k]) => !k.startsWith(T.rule) && !k.startsWith(T.dns));
    expect(kept.length).toBeGreaterThanOrEqual(15);
    for (const [k, urn] of kept) expect(fleet.urns.get(k), k).toBe(urn);
    expect(fleet.urns.get(`${T.instance} aistudio-server`)).toBe("urn:pulumi:prod::aistudio::aistudio:cloud:AlicloudServer$alicloud:ecs/instance:Instance::aistudio-server");
    for (const type of [T.instance, T.eip, T.vswitch, "alicloud:vpc/network:Network", "alicloud:ecs/securityGroup:SecurityGroup", "alicloud:ecs/ecsKeyPair:EcsKeyPair"]) {
      const name = { [T.instance]: "aistudio-server", [T.eip]: "aistudio-eip", [T.vswitch]: "aistudio-vswitch" }[type] ?? one(single.resources, type).name;
      expect(named(fleet.resources, type, name).inputs, `${type} ${name}`).toEqual(named(single.resources, type, name).inputs);
    }
  });

  it("turns the one-server A record into a CNAME to the ALB: the same record, by an alias to its old parent", async () => {
    const cname = named(fleet.resources, T.dns, "aistudio-dns");
    expect(cname.inputs).toEqual({ domainName: "photogooo.com", rr: "@", type: "CNAME", value: ALB_DNS_NAME, ttl: 600 });
    expect(named(single.resources, T.dns, "aistudio-dns").inputs.type).toBe("A");
    const reg = fleet.registrations.find((r) => r.type === T.dns)!;
    expect(reg.opts.parent?.constructor.name).toBe("ServerFleet");
    const alias = (reg.opts.aliases ?? [])[0] as { parent: pulumiType.Resource };
    expect(alias.parent.constructor.name).toBe("AlicloudServer");
    // the alias names exactly the record the one-server stack has
    expect(await urnOf({ type: T.dns, name: "aistudio-dns", opts: { parent: alias.parent } })).toBe(single.urns.get(`${T.dns} aistudio-dns`));
  });

  it("spreads the servers over the zones (round-robin) with the first server's spec, each with an EIP", () => {
    const vswJ = named(fleet.resources, T.vswitch, "aistudio-vswitch-cn-hangzhou-j");
    const vswI = named(fleet.resources, T.vswitch, "aistudio-vswitch");
    expect(vswI.inputs).toMatchObject({ zoneId: "cn-hangzhou-i", cidrBlock: "172.16.1.0/24" });
    expect(vswJ.inputs).toMatchObject({ zoneId: "cn-hangzhou-j", cidrBlock: "172.16.2.0/24", vpcId: vswI.inputs.vpcId });
    const [s1, s2, s3] = ["aistudio-server", "aistudio-server-2", "aistudio-server-3"].map((n) => named(fleet.resources, T.instance, n));
    expect([s1, s2, s3].map((s) => s.inputs.vswitchId)).toEqual([vswI.id, vswJ.id, vswI.id]);
    const spec = ({ instanceName: _n, hostName: _h, vswitchId: _v, ...rest }: Record<string, any>) => rest;
    expect(spec(s2.inputs)).toEqual(spec(s1.inputs));
    expect(s3.inputs).toMatchObject({ instanceName: "aistudio-server-3", hostName: "aistudio-3", systemDiskEncrypted: true });
    expect(s2.inputs.userData[SECRET_SIG]).toBe(SECRET_VALUE);
    for (const k of [2, 3]) expect(named(fleet.resources, "alicloud:ecs/eipAssociation:EipAssociation", `aistudio-eip-assoc-${k}`).inputs).toEqual({ allocationId: idOf(`aistudio-eip-${k}`), instanceId: idOf(`aistudio-server-${k}`), instanceType: "EcsInstance" });
    expect(fleet.serverAddresses).toEqual([EIP_ADDRESS, "198.51.100.12", "198.51.100.13"]);
    expect(fleet.loadBalancerDnsName).toBe(ALB_DNS_NAME);
  });

  it("declares an internet-facing ALB across both zones' vSwitches, deletion-protected on prod", () => {
    const alb = one(fleet.resources, T.alb);
    expect(alb.inputs).toMatchObject({
      addressType: "Internet", loadBalancerEdition: "Standard", loadBalancerBillingConfig: { payType: "PayAsYouGo" },
      vpcId: idOf("aistudio-vpc"), deletionProtectionEnabled: true,
      zoneMappings: [{ zoneId: "cn-hangzhou-i", vswitchId: idOf("aistudio-vswitch") }, { zoneId: "cn-hangzhou-j", vswitchId: idOf("aistudio-vswitch-cn-hangzhou-j") }],
    });
    expect(fleet.registrations.find((r) => r.type === T.alb)!.opts.protect).toBe(true);
  });

  it("puts every server in the server group with a weight, HTTPS to nginx, and the health check on servers.healthCheckPath", () => {
    const group = named(fleet.resources, T.group, "aistudio-servers");
    expect(group.inputs.servers).toEqual(["aistudio-server", "aistudio-server-2", "aistudio-server-3"].map((n) => ({ serverType: "Ecs", serverId: idOf(n), port: 443, weight: 100, description: n })));
    expect(group.inputs).toMatchObject({ protocol: "HTTPS", serverGroupType: "Instance", vpcId: idOf("aistudio-vpc"), connectionDrainConfig: { connectionDrainEnabled: true } });
    expect(group.inputs.healthCheckConfig).toMatchObject({ healthCheckEnabled: true, healthCheckProtocol: "HTTPS", healthCheckMethod: "GET", healthCheckPath: "/api/health", healthCheckHost: "photogooo.com", healthCheckCodes: ["http_2xx"] });
  });

  it("listens on 443 with the CAS certificate, TLS 1.2/1.3 only and HTTP/2, forwarding to the group", () => {
    const https = named(fleet.resources, T.listener, "aistudio-https");
    const cert = one(fleet.resources, T.cert);
    const tls = one(fleet.resources, T.tls);
    expect(https.inputs).toMatchObject({
      loadBalancerId: idOf("aistudio-alb"), listenerProtocol: "HTTPS", listenerPort: 443, http2Enabled: true, securityPolicyId: tls.id,
      certificates: { certificateId: `${cert.id}-cn-hangzhou` },
      defaultActions: [{ type: "ForwardGroup", forwardGroupConfig: { serverGroupTuples: [{ serverGroupId: idOf("aistudio-servers") }] } }],
    });
    expect(tls.inputs.tlsVersions).toEqual(["TLSv1.2", "TLSv1.3"]);
    // nginx's intermediate list as far as ALB has it (no CHACHA20 for TLS 1.2 on ALB), then TLS 1.3's
    expect(tls.inputs.ciphers).toEqual([
      "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    ]);
  });

  it("uploads the provided certificate to CAS with its key as a secret, in no plaintext input", () => {
    const cert = one(fleet.resources, T.cert);
    const { cert: pem, key } = fleetCertificate();
    expect(cert.inputs.cert).toBe(pem);
    expect(cert.inputs.certificateName).toMatch(/^aistudio-[0-9a-f]{12}$/);
    expect(cert.inputs.key[SECRET_SIG]).toBe(SECRET_VALUE);
    expect(cert.inputs.key.value).toBe(key);
    const line = key.split("\n")[1];
    const plain = fleet.resources.filter((r) => JSON.stringify(r.inputs).includes(line) && !(r.type === T.cert));
    expect(plain.map((r) => r.name)).toEqual([]);
  });

  it("redirects HTTP on 80 to HTTPS with a 301 for every path; its default action reaches no server", () => {
    const http = named(fleet.resources, T.listener, "aistudio-http");
    const none = named(fleet.resources, T.group, "aistudio-redirect-only");
    expect(http.inputs).toMatchObject({
      loadBalancerId: idOf("aistudio-alb"), listenerProtocol: "HTTP", listenerPort: 80,
      defaultActions: [{ type: "ForwardGroup", forwardGroupConfig: { serverGroupTuples: [{ serverGroupId: none.id }] } }],
    });
    // an HTTP listener may only forward to an HTTP group; this one is empty
    expect(none.inputs).toMatchObject({ protocol: "HTTP", servers: [], healthCheckConfig: { healthCheckEnabled: false } });
    const rule = one(fleet.resources, T.albRule);
    expect(rule.inputs).toMatchObject({
      listenerId: http.id, priority: 1,
      ruleConditions: [{ type: "Path", pathConfig: { values: ["/*"] } }],
      ruleActions: [{ order: 1, type: "Redirect", redirectConfig: { protocol: "HTTPS", port: "443", httpCode: "301" } }],
    });
  });

  it("admits 443 only from the ALB's vSwitches and SSH only from the admin CIDR: nothing from the world", () => {
    const rules = ofType(fleet.resources, T.rule).map((r) => `${r.inputs.portRange} ${r.inputs.cidrIp}`).sort();
    expect(rules).toEqual(["22/22 203.0.113.7/32", "443/443 172.16.1.0/24", "443/443 172.16.2.0/24"]);
  });

  it("whitelists every server's private address at the RDS instance", () => {
    expect(one(fleet.resources, T.rds).inputs.securityIps).toEqual(["172.16.1.23/32", "172.16.9.22/32", "172.16.9.23/32"]);
    expect(one(single.resources, T.rds).inputs.securityIps).toEqual(["172.16.1.23/32"]);
  });

  it("passes the policy pack, the fleet's rules included, exactly as registered", async () => {
    expect(await policyViolations(fleet.resources)).toEqual([]);
    expect(await policyViolations(single.resources)).toEqual([]);
  });
});

describe("fleet variants", () => {
  it("one server: no load balancer, its address the only one", async () => {
    const r = await run("one", fleetConfig(withDnsZone({ count: 1, zones: undefined })));
    expect(r.resources.filter((x) => x.type.startsWith("alicloud:alb/") || x.type.startsWith("alicloud:cas/"))).toEqual([]);
    expect(r.serverAddresses).toEqual([EIP_ADDRESS]);
    expect(r.loadBalancerDnsName).toBeUndefined();
  });

  it("two servers in three zones: a vSwitch per zone, the ALB in all three; a staging ALB is not protected", async () => {
    const r = await run("two", fleetConfig(withDnsZone({ count: 2, zones: ["cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"] }), "staging"));
    expect(ofType(r.resources, T.instance).map((x) => x.name).sort()).toEqual(["two-server", "two-server-2"]);
    expect(one(r.resources, T.alb).inputs.zoneMappings.map((z: { zoneId: string }) => z.zoneId)).toEqual(["cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"]);
    expect(ofType(r.resources, T.vswitch).map((x) => x.inputs.cidrBlock).sort()).toEqual(["172.16.1.0/24", "172.16.2.0/24", "172.16.3.0/24"]);
    expect(one(r.resources, T.alb).inputs.deletionProtectionEnabled).toBe(false);
    expect(named(r.resources, T.group, "two-servers").inputs.healthCheckConfig.healthCheckPath).toBe("/api/health");
  });

  it("a custom health check path reaches the server group", async () => {
    const r = await run("hc", fleetConfig(alicloudFleetRaw({}, { healthCheckPath: "/healthz" })));
    expect(named(r.resources, T.group, "hc-servers").inputs.healthCheckConfig.healthCheckPath).toBe("/healthz");
    expect(ofType(r.resources, T.dns)).toEqual([]);
  });
});
