// The Pulumi mocks the cloud-layer tests share (cloud, cloud-data, cloud-fleet): no provider plugin,
// no credentials, no network. Every registered resource is recorded as {type, name, inputs}, every
// invoke as {token, inputs}; ids name the resource (`id-<name>`) so wiring is checked by value, and
// the outputs the program passes on (an EIP's address, an instance's private IP, the RDS host, the
// ALB's DNS name) get fixed values. Then the helpers to await outputs and to run the policy pack over
// what was recorded.
import { expect } from "vitest";
import type * as pulumiType from "@pulumi/pulumi";

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
  id: string;
}
export interface Invoked {
  token: string;
  inputs: Record<string, any>;
}

export const ZONE = "cn-hangzhou-i";
/** The zone getSwitches gives an existing vSwitch. */
export const EXISTING_VSWITCH_ZONE = "cn-hangzhou-k";
export const IMAGE_ID = "ubuntu_22_04_x64_20G_alibase_20240710.vhd";
/** The first server's EIP and private address; server K of a fleet gets 198.51.100.(10+K) and 172.16.9.(20+K). */
export const EIP_ADDRESS = "198.51.100.7";
export const PRIVATE_IP = "172.16.1.23";
/** A rebuild's standby (names with "-standby-"): its temporary EIP and its private address. */
export const STANDBY_EIP = "198.51.100.99";
export const STANDBY_PRIVATE_IP = "172.16.1.99";
export const RDS_HOST = "pgm-bp1abcdef.pg.rds.aliyuncs.com";
export const ALB_DNS_NAME = "alb-aistudio0123.cn-hangzhou.alb.aliyuncs.com";

/** How a secret value looks to the mock monitor (the SDK's wire format). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** The inputs with every secret-wrapped value cut out: what would be plaintext in the state. */
export function withoutSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (v && typeof v === "object") {
    if (SECRET_SIG in (v as Record<string, unknown>)) return "[secret]";
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, withoutSecrets(x)]));
  }
  return v;
}

/** The value under a secret wrapper, or the value itself. */
export const unwrapSecret = (v: any): any => (v && typeof v === "object" && SECRET_SIG in v ? v.value : v);

/** Mock ids name the resource, so wiring can be checked by value: `id-<name>`. */
export const idOf = (name: string) => `id-${name}`;

/** The number K of a fleet's server `<name>-server-K` / `<name>-eip-K`, or undefined for the first. */
const serverNumber = (name: string): number | undefined => {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
};

/** The outputs a resource of this type gets beyond its inputs. */
function outputsOf(type: string, name: string): Record<string, any> {
  const k = serverNumber(name);
  if (name.includes("-standby-")) {
    if (type === "alicloud:ecs/eipAddress:EipAddress") return { ipAddress: STANDBY_EIP };
    if (type === "alicloud:ecs/instance:Instance") return { privateIp: STANDBY_PRIVATE_IP };
  }
  switch (type) {
    case "alicloud:ecs/eipAddress:EipAddress": return { ipAddress: k ? `198.51.100.${10 + k}` : EIP_ADDRESS };
    case "alicloud:ecs/instance:Instance": return { privateIp: k ? `172.16.9.${20 + k}` : PRIVATE_IP };
    case "alicloud:rds/instance:Instance": return { connectionString: RDS_HOST };
    case "alicloud:alb/loadBalancer:LoadBalancer": return { dnsName: ALB_DNS_NAME };
    default: return {};
  }
}

/** A recording mock monitor: `recorded` and `invoked` fill as the program registers and invokes. */
export function recordingMocks(): { mocks: pulumiType.runtime.Mocks; recorded: Recorded[]; invoked: Invoked[]; clear(): void } {
  const recorded: Recorded[] = [];
  const invoked: Invoked[] = [];
  const mocks: pulumiType.runtime.Mocks = {
    async newResource(args) {
      const id = args.type.startsWith("aistudio:") ? "" : idOf(args.name);
      recorded.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, id });
      return { id, state: { ...args.inputs, ...outputsOf(args.type, args.name) } };
    },
    async call(args) {
      invoked.push({ token: args.token, inputs: args.inputs });
      switch (args.token) {
        case "alicloud:index/getZones:getZones":
          return {
            id: "zones",
            ids: [ZONE, "cn-hangzhou-j"],
            zones: [
              { id: ZONE, localName: "杭州 可用区I", availableInstanceTypes: ["ecs.e-c1m2.large"], availableResourceCreations: ["VSwitch", "Instance"], availableDiskCategories: ["cloud_essd"], multiZoneIds: [], slbSlaveZoneIds: [] },
              { id: "cn-hangzhou-j", localName: "杭州 可用区J", availableInstanceTypes: ["ecs.e-c1m2.large"], availableResourceCreations: ["VSwitch", "Instance"], availableDiskCategories: ["cloud_essd"], multiZoneIds: [], slbSlaveZoneIds: [] },
            ],
          };
        case "alicloud:ecs/getImages:getImages":
          return {
            id: "images",
            ids: [IMAGE_ID],
            images: [{ id: IMAGE_ID, imageId: IMAGE_ID, name: IMAGE_ID, osType: "linux", osName: "Ubuntu  22.04 64位", architecture: "x86_64", owners: "system", status: "Available", size: 20 }],
            mostRecent: true,
            nameRegex: args.inputs.nameRegex,
            owners: "system",
          };
        case "alicloud:vpc/getSwitches:getSwitches":
          return { id: "vswitches", ids: args.inputs.ids, vswitches: (args.inputs.ids as string[]).map((id) => ({ id, zoneId: EXISTING_VSWITCH_ZONE })) };
        default:
          throw new Error(`unexpected invoke ${args.token}`);
      }
    },
  };
  return { mocks, recorded, invoked, clear: () => { recorded.length = 0; invoked.length = 0; } };
}

/** An output's value, awaited (never an assertion inside an un-awaited apply). */
export const outputValue = <T>(o: pulumiType.Output<T>): Promise<T> => new Promise<T>((r) => o.apply((v) => { r(v); return v; }));

/** Waits until every outstanding registration has reached the mock monitor. */
export async function settle(pulumi: typeof pulumiType): Promise<void> {
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

export const ofType = (rs: Recorded[], type: string) => rs.filter((r) => r.type === type);
export const one = (rs: Recorded[], type: string): Recorded => {
  const found = ofType(rs, type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0];
};

const SECURITY_GROUP = "alicloud:ecs/securityGroup:SecurityGroup";
const SECURITY_GROUP_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule";

/**
 * Which inputs of a recorded resource came from which other recorded resources, as the engine
 * reports it to the policy pack (propertyDependencies): a value equal to another resource's mock id
 * (or a list holding such values, or objects of the list holding them) depends on that resource.
 */
function dependenciesOf(r: Recorded, byId: Map<string, Recorded>, urnOf: (x: Recorded) => string): Record<string, { type: string; urn: string }[]> {
  const deps: Record<string, { type: string; urn: string }[]> = {};
  const found = (v: unknown): Recorded[] => {
    if (typeof v === "string") return byId.has(v) ? [byId.get(v)!] : [];
    if (Array.isArray(v)) return v.flatMap(found);
    if (v && typeof v === "object") return Object.values(v).flatMap(found);
    return [];
  };
  for (const [k, v] of Object.entries(r.inputs)) {
    const on = found(v).filter((x) => x !== r);
    if (on.length > 0) deps[k] = on.map((x) => ({ type: x.type, urn: urnOf(x) }));
  }
  return deps;
}

/** Runs every policy of the pack (policy/policies.ts, policy/fleet-policies.ts) over the recorded Alibaba Cloud resources; returns the violations. */
export async function policyViolations(recorded: Recorded[]): Promise<string[]> {
  const pol = await import("../../policy/policies");
  const fleet = await import("../../policy/fleet-policies");
  const cloud = recorded.filter((r) => r.type.startsWith("alicloud:"));
  const urnOf = (r: Recorded) => `urn:pulumi:prod::aistudio::${r.type}::${r.name}`;
  const byId = new Map(cloud.map((r) => [r.id, r] as const));
  const resources = cloud.map((r) => ({
    type: r.type, name: r.name, urn: urnOf(r), props: r.inputs,
    // the rules' group (as before: only securityGroupId), and every other reference by id
    propertyDependencies: r.type === SECURITY_GROUP_RULE
      ? Object.fromEntries(Object.entries(dependenciesOf(r, byId, urnOf)).filter(([k, d]) => k === "securityGroupId" && d[0].type === SECURITY_GROUP))
      : dependenciesOf(r, byId, urnOf),
  }));
  const found: string[] = [];
  const report = (m: string) => { found.push(m); };
  for (const p of [...pol.policies, ...fleet.fleetPolicies]) {
    if ("validateStack" in p) await p.validateStack({ resources, getConfig: () => ({}) } as any, report);
    else for (const r of resources) await (p.validateResource as any)({ ...r, getConfig: () => ({}) }, report);
  }
  return found;
}
