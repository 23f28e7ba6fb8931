// The Alibaba Cloud layer (infra/components/cloud.ts) under Pulumi mocks: no provider plugin, no
// credentials, no network. Every registered resource is recorded as {type, name, inputs} and the
// resource graph is checked: the exact security group rules, the wiring of instance, key pair,
// vSwitch, EIP and DNS, adopt mode, existing networks, and that the local stack (the whole program,
// infra/index.ts) creates no Alibaba Cloud resource at all. The data resources (disk, backup bucket,
// RDS) are checked in cloud-data.test.ts; here they only appear in the graphs.
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type * as pulumiType from "@pulumi/pulumi";
import type { AistudioConfig, Raw } from "../../infra/config";
import { ALICLOUD_BACKUP, HOST_KEY, HOST_PRIVATE_KEY, SSH_KEY, SSH_PUBLIC_KEY, allConfigOf } from "./fixtures";
import { EIP_ADDRESS, IMAGE_ID, Invoked, Recorded, SECRET_SIG, SECRET_VALUE, ZONE, one, ofType, outputValue, policyViolations, recordingMocks, settle } from "./pulumi-mocks";

const { mocks, recorded, invoked, clear } = recordingMocks();

let pulumi: typeof pulumiType;
let cloudMod: typeof import("../../infra/components/cloud");
let declareMod: typeof import("../../infra/cloud");
let configMod: typeof import("../../infra/config");

// ---- fixtures: real keys, raw config as Pulumi would give it -------------------------------------
// matching pairs made by ssh-keygen: the deploy key and cloud.sshPublicKey, the host key and server.hostKey

function createRaw(over: { cloud?: Raw; firewall?: Raw; domain?: string } = {}): Raw {
  return {
    target: "alicloud",
    domain: over.domain ?? "photogooo.com",
    server: { hostKey: HOST_KEY },
    sshPrivateKey: SSH_KEY,
    sshHostPrivateKey: HOST_PRIVATE_KEY,
    tls: { mode: "acme", email: "ops@photogooo.com" },
    app: { dir: "provision/sample-app" },
    firewall: over.firewall ?? { adminCidrs: ["203.0.113.10/32"] },
    cloud: { region: "cn-hangzhou", image: "ubuntu2204", instanceType: "ecs.e-c1m2.large", sshPublicKey: SSH_PUBLIC_KEY, ...over.cloud },
    ...ALICLOUD_BACKUP,
  };
}

function adoptRaw(cloud: Raw, firewall: Raw = { adminCidrs: ["203.0.113.10/32"] }): Raw {
  return {
    target: "alicloud",
    domain: "photogooo.com",
    server: { hostKey: HOST_KEY },
    sshPrivateKey: SSH_KEY,
    tls: { mode: "acme", email: "ops@photogooo.com" },
    app: { dir: "provision/sample-app" },
    firewall,
    cloud: { region: "cn-hangzhou", ...cloud },
    ...ALICLOUD_BACKUP,
  };
}

// ---- running the component -----------------------------------------------------------------------

const protectedNames: string[] = [];

interface Run {
  cfg: AistudioConfig;
  resources: Recorded[];
  publicIp: string;
  securityGroupId: string | undefined;
  instanceId?: string;
  protectedNames: string[];
  invoked: Invoked[];
}

async function runComponent(name: string, raw: Raw, stack = "prod"): Promise<Run> {
  clear();
  const cfg = configMod.parseConfig(raw, stack);
  protectedNames.length = 0;
  // A (legacy, in-process) transformation sees the resource options that mocks do not: protect.
  const server = declareMod.declareCloud(name, cfg, {
    transformations: [(a) => {
      if (a.opts.protect) protectedNames.push(a.name);
      return undefined;
    }],
  });
  if (!server) throw new Error("declareCloud declared nothing for an alicloud config");
  const publicIp = await outputValue(server.publicIp);
  const securityGroupId = await outputValue(server.securityGroupId);
  const instanceId = server.instanceId ? await outputValue(server.instanceId) : undefined;
  await settle(pulumi);
  return { cfg, resources: [...recorded], publicIp, securityGroupId, instanceId, protectedNames: [...protectedNames], invoked: [...invoked] };
}

const T = {
  provider: "pulumi:providers:alicloud",
  vpc: "alicloud:vpc/network:Network",
  vswitch: "alicloud:vpc/switch:Switch",
  sg: "alicloud:ecs/securityGroup:SecurityGroup",
  rule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
  key: "alicloud:ecs/ecsKeyPair:EcsKeyPair",
  instance: "alicloud:ecs/instance:Instance",
  eip: "alicloud:ecs/eipAddress:EipAddress",
  assoc: "alicloud:ecs/eipAssociation:EipAssociation",
  dns: "alicloud:dns/alidnsRecord:AlidnsRecord",
};

/** The data resources of a created server with the default data block and ALICLOUD_BACKUP's bucket. */
const DATA_GRAPH = (name: string) => [
  `alicloud:ecs/autoSnapshotPolicy:AutoSnapshotPolicy ${name}-data-snapshots`,
  `alicloud:ecs/ecsAutoSnapshotPolicyAttachment:EcsAutoSnapshotPolicyAttachment ${name}-data-snapshots-attach`,
  `alicloud:ecs/ecsDisk:EcsDisk ${name}-data`,
  `alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment ${name}-data-attach`,
  ...BUCKET_GRAPH(name),
];
const BUCKET_GRAPH = (name: string) => [
  `alicloud:oss/bucket:Bucket ${name}-backup`,
  `alicloud:oss/bucketAcl:BucketAcl ${name}-backup-acl`,
  `alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock ${name}-backup-no-public`,
];

/** A rule reduced to what decides who can reach what. */
const ruleKey = (r: Recorded) => {
  const i = r.inputs;
  return `${i.type} ${i.ipProtocol} ${i.portRange} ${i.cidrIp} ${i.nicType} ${i.policy}`;
};

function portRangeContains(range: string, port: number): boolean {
  if (range === "-1/-1") return true;
  const [lo, hi] = range.split("/").map(Number);
  return lo <= port && port <= hi;
}

/** Nothing dangerous, whatever the config: 22 never from the world, 8000 never at all. */
function expectSafeRules(rules: Recorded[]) {
  for (const r of rules) {
    expect(r.inputs.type).toBe("ingress");
    expect(portRangeContains(r.inputs.portRange, 8000), `${r.name} must not open 8000`).toBe(false);
    if (portRangeContains(r.inputs.portRange, 22)) {
      expect(r.inputs.cidrIp, `${r.name} opens 22`).toBeDefined();
      expect(r.inputs.cidrIp).not.toBe("0.0.0.0/0");
    }
  }
}

beforeAll(async () => {
  // Mocks first, then the modules that register resources (they capture the runtime on import).
  pulumi = await import("@pulumi/pulumi");
  await pulumi.runtime.setMocks(mocks, "aistudio", "prod", false);
  cloudMod = await import("../../infra/components/cloud");
  declareMod = await import("../../infra/cloud");
  configMod = await import("../../infra/config");
});

beforeEach(() => {
  clear();
});

describe("AlicloudServer: a new server (default config)", () => {
  let run: Run;
  beforeAll(async () => {
    run = await runComponent("aistudio", createRaw({ cloud: { dnsZone: "photogooo.com" } }));
  });

  it("registers exactly the expected resource graph", () => {
    const graph = run.resources.map((r) => `${r.type} ${r.name}`).sort();
    expect(graph).toEqual([
      "alicloud:dns/alidnsRecord:AlidnsRecord aistudio-dns",
      "alicloud:ecs/ecsKeyPair:EcsKeyPair aistudio-key",
      "alicloud:ecs/eipAddress:EipAddress aistudio-eip",
      "alicloud:ecs/eipAssociation:EipAssociation aistudio-eip-assoc",
      "alicloud:ecs/instance:Instance aistudio-server",
      "alicloud:ecs/securityGroup:SecurityGroup aistudio-sg",
      "alicloud:ecs/securityGroupRule:SecurityGroupRule aistudio-in-22-203-0-113-10-32",
      "alicloud:ecs/securityGroupRule:SecurityGroupRule aistudio-in-443",
      "alicloud:ecs/securityGroupRule:SecurityGroupRule aistudio-in-80",
      "alicloud:vpc/network:Network aistudio-vpc",
      "alicloud:vpc/switch:Switch aistudio-vswitch",
      ...DATA_GRAPH("aistudio"),
      "aistudio:cloud:AlicloudServer aistudio",
      "aistudio:cloud:DataStore aistudio",
      "pulumi:providers:alicloud aistudio-provider",
    ].sort());
  });

  it("uses one explicit provider in the configured region for every Alibaba Cloud resource", () => {
    const provider = one(run.resources, T.provider);
    expect(provider.inputs.region).toBe("cn-hangzhou");
    // the provider comes through resource options (a top-level resource), not as the component's child
    const ref = `${"urn:pulumi:prod::aistudio::pulumi:providers:alicloud::aistudio-provider"}::${provider.id}`;
    for (const r of run.resources.filter((x) => x.type.startsWith("alicloud:"))) expect(r.provider, r.name).toBe(ref);
    expect(run.invoked.map((i) => i.token).sort()).toEqual(["alicloud:ecs/getImages:getImages", "alicloud:index/getZones:getZones"]);
  });

  it("has exactly 443 and 80 from the world and 22 from the admin CIDR, nothing else", () => {
    const sg = one(run.resources, T.sg);
    const rules = ofType(run.resources, T.rule);
    expect(rules.map(ruleKey).sort()).toEqual([
      "ingress tcp 22/22 203.0.113.10/32 intranet accept",
      "ingress tcp 443/443 0.0.0.0/0 intranet accept",
      "ingress tcp 80/80 0.0.0.0/0 intranet accept",
    ]);
    for (const r of rules) expect(r.inputs.securityGroupId).toBe(sg.id);
    expectSafeRules(rules);
    expect(run.securityGroupId).toBe(sg.id);
  });

  it("creates the VPC and vSwitch from the config CIDRs in a zone from getZones", () => {
    const vpc = one(run.resources, T.vpc);
    const vsw = one(run.resources, T.vswitch);
    expect(vpc.inputs.cidrBlock).toBe("172.16.0.0/16");
    expect(vsw.inputs).toMatchObject({ vpcId: vpc.id, cidrBlock: "172.16.1.0/24", zoneId: ZONE });
    expect(one(run.resources, T.sg).inputs.vpcId).toBe(vpc.id);
    const zones = run.invoked.filter((i) => i.token === "alicloud:index/getZones:getZones");
    expect(zones).toHaveLength(1);
    expect(zones[0].inputs).toMatchObject({ availableResourceCreation: "VSwitch", availableInstanceType: "ecs.e-c1m2.large" });
  });

  it("wires the instance to the key pair, vSwitch, security group and the system image", () => {
    const inst = one(run.resources, T.instance);
    const key = one(run.resources, T.key);
    expect(key.inputs).toMatchObject({ keyPairName: "aistudio-deploy", publicKey: SSH_PUBLIC_KEY });
    expect(inst.inputs.keyName).toBe(key.inputs.keyPairName);
    expect(inst.inputs.vswitchId).toBe(one(run.resources, T.vswitch).id);
    expect(inst.inputs.securityGroups).toEqual([one(run.resources, T.sg).id]);
    expect(inst.inputs.imageId).toBe(IMAGE_ID);
    expect(inst.inputs.instanceType).toBe("ecs.e-c1m2.large");
    const images = run.invoked.filter((i) => i.token === "alicloud:ecs/getImages:getImages");
    expect(images).toHaveLength(1);
    expect(images[0].inputs).toMatchObject({ owners: "system", nameRegex: "^ubuntu_22_04_x64", mostRecent: true });
    expect(run.instanceId).toBe(inst.id);
  });

  it("sets charge types explicitly, encrypts the system disk and installs the pinned host key", () => {
    const inst = one(run.resources, T.instance);
    expect(inst.inputs).toMatchObject({
      instanceChargeType: "PostPaid",
      internetChargeType: "PayByTraffic",
      internetMaxBandwidthOut: 0,
      systemDiskEncrypted: true,
      systemDiskCategory: "cloud_essd",
      systemDiskSize: 40,
    });
    const eip = one(run.resources, T.eip);
    expect(eip.inputs).toMatchObject({ paymentType: "PayAsYouGo", internetChargeType: "PayByTraffic", bandwidth: "5" });
    // userData carries the host private key: it reaches the engine as a secret.
    expect(inst.inputs.userData[SECRET_SIG]).toBe(SECRET_VALUE);
    const userData = String(inst.inputs.userData.value);
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    expect(userData).toContain(`ed25519_public: ${HOST_KEY}`);
    expect(userData).toContain("ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----");
  });

  it("associates the EIP with the instance and publishes the EIP as the public IP", () => {
    const assoc = one(run.resources, T.assoc);
    expect(assoc.inputs).toEqual({ allocationId: one(run.resources, T.eip).id, instanceId: one(run.resources, T.instance).id, instanceType: "EcsInstance" });
    expect(run.publicIp).toBe(EIP_ADDRESS);
  });

  it("passes the policy pack (policy/policies.ts) exactly as registered", async () => {
    expect(await policyViolations(run.resources)).toEqual([]);
  });

  it("matches the policy pack's offline fixture policy/fixtures/state-ok.json (rules and instance)", () => {
    const fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../policy/fixtures/state-ok.json"), "utf8"));
    const fx = fixture.deployment.resources as { type: string; urn: string; inputs: Record<string, any> }[];
    const withoutSg = ({ securityGroupId: _sg, ...rest }: Record<string, any>) => rest;
    const fxRules = fx.filter((r) => r.type === T.rule).map((r) => ({ name: r.urn.split("::").pop(), inputs: withoutSg(r.inputs) }));
    const ourRules = ofType(run.resources, T.rule).map((r) => ({ name: r.name, inputs: withoutSg(r.inputs) }));
    const byName = (a: { name?: string }, b: { name?: string }) => String(a.name).localeCompare(String(b.name));
    expect(fxRules.sort(byName)).toEqual(ourRules.sort(byName));
    const fxInstance = fx.find((r) => r.type === T.instance)!.inputs;
    const { userData: _u, imageId: _i, vswitchId: _v, securityGroups: _s, ...ours } = one(run.resources, T.instance).inputs;
    expect(fxInstance).toMatchObject(ours);
  });

  it("points the apex A record (rr @) at the EIP address", () => {
    expect(one(run.resources, T.dns).inputs).toEqual({ domainName: "photogooo.com", rr: "@", type: "A", value: EIP_ADDRESS, ttl: 600 });
  });
});

describe("AlicloudServer: variants", () => {
  it("custom config: two admin CIDRs get 22 each, the world still only 443 and 80", async () => {
    const run = await runComponent("two", createRaw({ firewall: { adminCidrs: ["203.0.113.10/32", "198.51.100.0/24"] } }));
    const rules = ofType(run.resources, T.rule);
    expect(rules.map(ruleKey).sort()).toEqual([
      "ingress tcp 22/22 198.51.100.0/24 intranet accept",
      "ingress tcp 22/22 203.0.113.10/32 intranet accept",
      "ingress tcp 443/443 0.0.0.0/0 intranet accept",
      "ingress tcp 80/80 0.0.0.0/0 intranet accept",
    ]);
    expect(rules.map((r) => r.name).sort()).toEqual(["two-in-22-198-51-100-0-24", "two-in-22-203-0-113-10-32", "two-in-443", "two-in-80"]);
    expectSafeRules(rules);
    // no dnsZone: no DNS record
    expect(ofType(run.resources, T.dns)).toEqual([]);
  });

  it("a subdomain gets rr api in the zone photogooo.com", async () => {
    const run = await runComponent("api", createRaw({ domain: "api.photogooo.com", cloud: { dnsZone: "photogooo.com" } }));
    expect(one(run.resources, T.dns).inputs).toMatchObject({ domainName: "photogooo.com", rr: "api", type: "A", value: EIP_ADDRESS });
  });

  it("an explicit zoneId skips getZones; debian12 selects the Debian image", async () => {
    const run = await runComponent("zoned", createRaw({ cloud: { zoneId: "cn-hangzhou-k", image: "debian12" } }));
    expect(one(run.resources, T.vswitch).inputs.zoneId).toBe("cn-hangzhou-k");
    expect(invoked.map((i) => i.token)).toEqual(["alicloud:ecs/getImages:getImages"]);
    expect(invoked[0].inputs.nameRegex).toBe("^debian_12_\\d+_x64");
  });

  it("existing vpcId/vswitchId: no VPC, no vSwitch, the group and instance use the given ids", async () => {
    const run = await runComponent("existing", createRaw({ cloud: { vpcId: "vpc-bp1existing", vswitchId: "vsw-bp1existing" } }));
    expect(ofType(run.resources, T.vpc)).toEqual([]);
    expect(ofType(run.resources, T.vswitch)).toEqual([]);
    expect(invoked.map((i) => i.token)).not.toContain("alicloud:index/getZones:getZones");
    expect(one(run.resources, T.sg).inputs.vpcId).toBe("vpc-bp1existing");
    expect(one(run.resources, T.instance).inputs.vswitchId).toBe("vsw-bp1existing");
    expect(ofType(run.resources, T.rule)).toHaveLength(3);
  });

  it("only the prod stack protects the EIP (the address in the WeChat console and DNS), and its data", async () => {
    expect((await runComponent("p", createRaw(), "prod")).protectedNames.sort()).toEqual(["p-backup", "p-data", "p-eip"]);
    expect((await runComponent("s", createRaw(), "staging")).protectedNames).toEqual([]);
  });

  it("adopt mode with a security group: no VPC/instance/EIP, only the rules of that group", async () => {
    const run = await runComponent("adopt", adoptRaw({ adoptAddress: "47.96.1.2", adoptSecurityGroupId: "sg-bp1abc" }, { adminCidrs: ["203.0.113.10/32"] }));
    const types = new Set(run.resources.map((r) => r.type));
    for (const t of [T.vpc, T.vswitch, T.sg, T.key, T.instance, T.eip, T.assoc, T.dns]) expect(types.has(t), t).toBe(false);
    const rules = ofType(run.resources, T.rule);
    expect(rules.map(ruleKey).sort()).toEqual([
      "ingress tcp 22/22 203.0.113.10/32 intranet accept",
      "ingress tcp 443/443 0.0.0.0/0 intranet accept",
      "ingress tcp 80/80 0.0.0.0/0 intranet accept",
    ]);
    for (const r of rules) expect(r.inputs.securityGroupId).toBe("sg-bp1abc");
    expectSafeRules(rules);
    expect(run.publicIp).toBe("47.96.1.2");
    expect(run.securityGroupId).toBe("sg-bp1abc");
    expect(run.instanceId).toBeUndefined();
    expect(invoked).toEqual([]);
  });

  it("adopt mode without a security group id creates nothing on Alibaba Cloud but the backup bucket", async () => {
    const run = await runComponent("adopt2", adoptRaw({ adoptAddress: "47.96.1.3" }));
    expect(run.resources.filter((r) => r.type.startsWith("alicloud:")).map((r) => `${r.type} ${r.name}`).sort()).toEqual(BUCKET_GRAPH("adopt2"));
    expect(run.publicIp).toBe("47.96.1.3");
    expect(run.securityGroupId).toBeUndefined();
  });
});

describe("ingressRules (pure)", () => {
  it("never contains 8000 and never 22 from the world", () => {
    const rules = cloudMod.ingressRules({ firewall: { adminCidrs: ["203.0.113.10/32"], allowSshFromAnywhere: false, minAdminPrefix: 16 }, server: { port: 22 } as AistudioConfig["server"] });
    expect(rules.map((r) => `${r.port} ${r.cidr}`)).toEqual(["443 0.0.0.0/0", "80 0.0.0.0/0", "22 203.0.113.10/32"]);
  });

  it("behind a load balancer: 443 from its vSwitches only, no 80, nothing from the world", () => {
    const rules = cloudMod.ingressRules({ firewall: { adminCidrs: ["203.0.113.10/32"], allowSshFromAnywhere: false, minAdminPrefix: 16 }, server: { port: 22 } as AistudioConfig["server"] }, ["172.16.1.0/24", "172.16.2.0/24"]);
    expect(rules.map((r) => `${r.port} ${r.cidr}`)).toEqual(["443 172.16.1.0/24", "443 172.16.2.0/24", "22 203.0.113.10/32"]);
  });
});

describe("the whole program, local stack", () => {
  it("registers no Alibaba Cloud resource, only the provisioning steps and the smoke test", async () => {
    // The engine gives config as strings (objects as JSON); target local with an explicit host so no
    // test host record is needed. The program reads it on import. RemoteStep and SmokeTest are real
    // dynamic resources here: their provider closures (which only call loadImpl) serialize fine under
    // vitest, so nothing is stubbed; the mock monitor records them as pulumi-nodejs:dynamic:Resource.
    await pulumi.runtime.setMocks(mocks, "aistudio", "local", false);
    pulumi.runtime.setAllConfig({
      "aistudio:target": "local",
      "aistudio:domain": "photogooo.com",
      "aistudio:server": JSON.stringify({ host: "198.18.0.250", hostKey: HOST_KEY }),
      "aistudio:sshPrivateKey": SSH_KEY,
      "aistudio:tls": JSON.stringify({ mode: "self-signed" }),
      "aistudio:wechat": JSON.stringify({ checks: false }),
      "aistudio:app": JSON.stringify({ dir: "provision/sample-app", workers: 2 }),
    }, ["aistudio:sshPrivateKey"]);
    clear();
    const program = await import("../../infra/index");
    expect(await outputValue(pulumi.output(program.publicIp))).toBe("198.18.0.250");
    await outputValue(program.stepHashes);
    await settle(pulumi);
    const types = recorded.map((r) => r.type);
    expect(types.filter((t) => t.startsWith("alicloud:") || t === T.provider || t.startsWith("aistudio:cloud:"))).toEqual([]);
    expect(invoked).toEqual([]);
    expect(types).toContain("aistudio:server:Provisioning");
    expect(types.filter((t) => t === "pulumi-nodejs:dynamic:Resource").length).toBeGreaterThanOrEqual(5);
    expect(program.securityGroupId).toBe("(local stack: no security group)");
  });
});

describe("the whole program, a prod-like alicloud stack", () => {
  it("creates the cloud layer first and provisions the server at the EIP address", async () => {
    // A fresh copy of the program (and of @pulumi/pulumi; the runtime's store is process-global).
    vi.resetModules();
    const p2: typeof pulumiType = await import("@pulumi/pulumi");
    await p2.runtime.setMocks(mocks, "aistudio", "prod", false);
    p2.runtime.setAllConfig({
      "aistudio:target": "alicloud",
      "aistudio:domain": "photogooo.com",
      "aistudio:server": JSON.stringify({ hostKey: HOST_KEY }),
      "aistudio:sshPrivateKey": SSH_KEY,
      "aistudio:sshHostPrivateKey": HOST_PRIVATE_KEY,
      "aistudio:tls": JSON.stringify({ mode: "acme", email: "ops@photogooo.com" }),
      "aistudio:app": JSON.stringify({ dir: "provision/sample-app", workers: 2 }),
      "aistudio:firewall": JSON.stringify({ adminCidrs: ["203.0.113.10/32"] }),
      "aistudio:cloud": JSON.stringify({ region: "cn-hangzhou", image: "ubuntu2204", instanceType: "ecs.e-c1m2.large", sshPublicKey: SSH_PUBLIC_KEY, dnsZone: "photogooo.com" }),
      ...allConfigOf(ALICLOUD_BACKUP),
    }, ["aistudio:sshPrivateKey", "aistudio:sshHostPrivateKey", "aistudio:backupPassword", "aistudio:backupSecretAccessKey"]);
    clear();
    const program = await import("../../infra/index");
    const out = <T>(o: pulumiType.Output<T>) => new Promise<T>((r) => o.apply((v) => { r(v); return v; }));
    expect(await out(p2.output(program.publicIp))).toBe(EIP_ADDRESS);
    expect(await out(p2.output(program.sshCommand))).toBe(`ssh root@${EIP_ADDRESS}`);
    await out(program.stepHashes);
    await (p2.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

    const cloudTypes = recorded.filter((r) => r.type.startsWith("alicloud:")).map((r) => `${r.type} ${r.name}`).sort();
    expect(cloudTypes).toEqual([
      "alicloud:dns/alidnsRecord:AlidnsRecord aistudio-dns",
      "alicloud:ecs/ecsKeyPair:EcsKeyPair aistudio-key",
      "alicloud:ecs/eipAddress:EipAddress aistudio-eip",
      "alicloud:ecs/eipAssociation:EipAssociation aistudio-eip-assoc",
      "alicloud:ecs/instance:Instance aistudio-server",
      "alicloud:ecs/securityGroup:SecurityGroup aistudio-sg",
      "alicloud:ecs/securityGroupRule:SecurityGroupRule aistudio-in-22-203-0-113-10-32",
      "alicloud:ecs/securityGroupRule:SecurityGroupRule aistudio-in-443",
      "alicloud:ecs/securityGroupRule:SecurityGroupRule aistudio-in-80",
      "alicloud:vpc/network:Network aistudio-vpc",
      "alicloud:vpc/switch:Switch aistudio-vswitch",
      ...DATA_GRAPH("aistudio"),
    ].sort());
    const steps = recorded.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
    expect(steps.length).toBeGreaterThanOrEqual(5);
    for (const s of steps) {
      // the connection is secret (it holds the deploy key) and targets the EIP with the pinned host key
      expect(s.inputs.connection[SECRET_SIG]).toBe(SECRET_VALUE);
      expect(s.inputs.connection.value).toMatchObject({ host: EIP_ADDRESS, port: 22, user: "root", hostKey: HOST_KEY });
    }
    // The server steps register only after the whole cloud layer (dependsOn the component).
    const firstStep = recorded.findIndex((r) => r.type === "pulumi-nodejs:dynamic:Resource");
    const lastCloud = Math.max(...recorded.map((r, i) => (r.type.startsWith("alicloud:") ? i : -1)));
    expect(firstStep).toBeGreaterThan(lastCloud);
    // AISTUDIO_PRINT_GRAPH=1 npx vitest run test/unit/cloud.test.ts prints the recorded graph.
    if (process.env.AISTUDIO_PRINT_GRAPH) console.log(recorded.map((r) => `${r.type}  ${r.name}`).join("\n"));
  });
});
