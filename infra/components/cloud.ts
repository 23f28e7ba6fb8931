// AlicloudServer: the Alibaba Cloud side, declared so it is reviewed in `pulumi preview` and
// guarded by the policy pack (policy/). The guide's first server-side failure, a security group
// without 443, cannot come back: the rules below are the only ingress there is.
//
//   VPC + vSwitch (or existing ids) -> security group + ingress rules (80, 443 world; 22 admin CIDRs)
//   -> key pair -> ECS instance (system image by config) -> EIP + association -> optional DNS A record
// With servers.count > 1 this stays the first server, unchanged but for its rules (443 from the load
// balancer's vSwitches only) and its DNS record (the fleet's CNAME); the other servers and the ALB
// are its child ServerFleet (fleet-cloud.ts), made from its serverSpec.
// Or, in adopt mode (AdoptedServer), nothing is created for the server: the existing address (and
// optionally its security group, whose rules are then managed here) is used.
//
// The components take the few typed inputs they use, not the whole config (infra/cloud.ts maps
// config to them), and the Alibaba Cloud provider through resource options (`providers`).
import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "@pulumi/alicloud";
import type { AistudioConfig, CloudConfig } from "../config";

export interface IngressRule {
  port: number;
  cidr: string;
  description: string;
}

/**
 * The exact ingress rules of the server's security group. Port 8000 never appears. Behind a load
 * balancer (`loadBalancerCidrs`: the CIDRs of the ALB's vSwitches) nothing is open to the world but
 * to the admin networks: 443 only from those vSwitches (the ALB talks HTTPS to nginx; 80 is the
 * ALB's own redirect, no server needs it).
 */
export function ingressRules(cfg: Pick<AistudioConfig, "firewall" | "server">, loadBalancerCidrs?: string[]): IngressRule[] {
  const web = loadBalancerCidrs
    ? loadBalancerCidrs.map((cidr) => ({ port: 443, cidr, description: `HTTPS from the load balancer (ALB in vSwitch ${cidr})` }))
    : [
      { port: 443, cidr: "0.0.0.0/0", description: "HTTPS for the WeChat mini program (request合法域名)" },
      { port: 80, cidr: "0.0.0.0/0", description: "HTTP: ACME HTTP-01 challenges and the redirect to HTTPS" },
    ];
  return [...web, ...cfg.firewall.adminCidrs.map((cidr) => ({ port: cfg.server.port, cidr, description: `SSH from admin network ${cidr}` }))];
}

/** The instance's userData holds the SSH host private key. */
export const SERVER_SECRET_OUTPUTS = ["userData"];

/**
 * Every ECS instance's options. The image is the newest system image when the instance is created
 * and stays that one: a newer image changes imageId, which the provider applies by replacing the
 * running server's system disk in place (its steps would not even run again). A server moves to a
 * newer image by being rebuilt (`npm run rebuild`: a new instance).
 */
export const INSTANCE_OPTIONS = { additionalSecretOutputs: SERVER_SECRET_OUTPUTS, ignoreChanges: ["imageId"] };

export const IMAGE_REGEX: Record<CloudConfig["image"], string> = {
  debian12: "^debian_12_\\d+_x64",
  ubuntu2204: "^ubuntu_22_04_x64",
  ubuntu2404: "^ubuntu_24_04_x64",
};

/** cloud-init user data: installs the pinned SSH host key so the first connection can be verified. */
export function userData(hostPrivateKey: string, hostPublicKey: string): string {
  const indent = (s: string) => s.trim().split("\n").map((l) => "    " + l).join("\n");
  return `#cloud-config
ssh_deletekeys: true
ssh_genkeytypes: []
ssh_keys:
  ed25519_private: |
${indent(hostPrivateKey)}
  ed25519_public: ${hostPublicKey.trim()}
`;
}

/** Where the server lives: existing VPC/vSwitch ids, or CIDRs for new ones (in zoneId, else the first zone that has the instance type). */
export interface NetworkArgs {
  vpcId?: string;
  vswitchId?: string;
  zoneId?: string;
  vpcCidr: string;
  vswitchCidr: string;
}

export interface InstanceArgs {
  instanceType: string;
  image: CloudConfig["image"];
  systemDiskCategory: string;
  systemDiskSize: number;
  /** EIP bandwidth, Mbit/s. */
  bandwidthMbps: number;
  /** The deploy key's public half (ECS key pair). */
  sshPublicKey: string;
  /** The pinned SSH host key ("ssh-ed25519 AAAA…") and, secret, its private half for cloud-init. */
  hostKey: string;
  hostPrivateKey?: pulumi.Input<string>;
  tags: Record<string, string>;
}

export interface AlicloudServerArgs {
  network: NetworkArgs;
  instance: InstanceArgs;
  /** The security group's complete ingress (see ingressRules). */
  ingress: IngressRule[];
  /** An A record for `domain` in this Alibaba Cloud DNS zone, pointing at the EIP. */
  dns?: { zone: string; domain: string };
  /** Protect the EIP from deletion (prod: the address is in DNS and the WeChat console). */
  protectAddress: boolean;
  /**
   * A standby beside the server (a rebuild, stacks/rebuild-standby.ts): a second instance of the
   * same spec, name and host key, reachable at a temporary address of its own until the switch.
   */
  standby?: boolean;
}

/** How a server is made: every input of its ECS instance but its names and vSwitch (a fleet's servers are alike). */
export type ServerSpec = Omit<alicloud.ecs.InstanceArgs, "instanceName" | "hostName" | "vswitchId">;

/** What the rest of the program needs from the cloud side. */
export interface CloudServer {
  publicIp: pulumi.Output<string>;
  securityGroupId: pulumi.Output<string | undefined>;
  instanceId?: pulumi.Output<string>;
}

/** Where a created server sits, for what must sit next to it (its data disk, a database). */
export interface ServerPlacement {
  instanceId: pulumi.Output<string>;
  /** The vSwitch's zone, known at preview (not the instance's output, unknown while it is replaced). */
  zoneId: pulumi.Output<string>;
  vswitchId: pulumi.Output<string>;
  privateIp: pulumi.Output<string>;
  /** A fleet: every server's private address (the first server's first). */
  privateIps?: pulumi.Output<string[]>;
  /** The standby beside the server during a rebuild: what sits next to the server gets a twin for it. */
  standby?: StandbyServer;
}

/** The standby server of a rebuild: its instance, private address and temporary public address. */
export interface StandbyServer {
  instanceId: pulumi.Output<string>;
  privateIp: pulumi.Output<string>;
  publicIp: pulumi.Output<string>;
}

export class AlicloudServer extends pulumi.ComponentResource implements CloudServer, ServerPlacement {
  public readonly publicIp: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string | undefined>;
  public readonly instanceId: pulumi.Output<string>;
  public readonly zoneId: pulumi.Output<string>;
  public readonly vswitchId: pulumi.Output<string>;
  public readonly privateIp: pulumi.Output<string>;
  public readonly vpcId: pulumi.Output<string>;
  public readonly standby?: StandbyServer;
  /** The first server's spec, for the other servers of a fleet (infra/components/fleet-cloud.ts). */
  public readonly serverSpec: ServerSpec;

  constructor(name: string, args: AlicloudServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aistudio:cloud:AlicloudServer", name, {}, opts);
    const o = { parent: this };
    const n = args.network;
    const i = args.instance;

    let vpcId: pulumi.Input<string>;
    let vswitchId: pulumi.Input<string>;
    let zoneId: pulumi.Input<string>;
    if (n.vpcId && n.vswitchId) {
      vpcId = n.vpcId;
      vswitchId = n.vswitchId;
      // the existing vSwitch's own zone: a configured zoneId could disagree with it
      zoneId = alicloud.vpc.getSwitchesOutput({ ids: [n.vswitchId] }, o).vswitches[0].zoneId;
    } else {
      zoneId = n.zoneId ?? alicloud.getZonesOutput({ availableResourceCreation: "VSwitch", availableInstanceType: i.instanceType }, o).zones[0].id;
      const vpc = new alicloud.vpc.Network(`${name}-vpc`, { vpcName: `${name}-vpc`, cidrBlock: n.vpcCidr }, o);
      const vsw = new alicloud.vpc.Switch(`${name}-vswitch`, { vswitchName: `${name}-vswitch`, vpcId: vpc.id, cidrBlock: n.vswitchCidr, zoneId }, o);
      vpcId = vpc.id;
      vswitchId = vsw.id;
    }
    this.zoneId = pulumi.output(zoneId);
    this.vswitchId = pulumi.output(vswitchId);
    this.vpcId = pulumi.output(vpcId);

    const sg = new alicloud.ecs.SecurityGroup(`${name}-sg`, {
      securityGroupName: `${name}-web`,
      description: "aistudio: 443/80 from the world, 22 from admin networks only",
      vpcId,
    }, o);
    securityGroupRules(name, sg.id, args.ingress, o);

    const image = alicloud.ecs.getImagesOutput({ owners: "system", nameRegex: IMAGE_REGEX[i.image], mostRecent: true, instanceType: i.instanceType }, o);
    const keyPair = new alicloud.ecs.EcsKeyPair(`${name}-key`, { keyPairName: `${name}-deploy`, publicKey: i.sshPublicKey }, o);

    this.serverSpec = {
      instanceType: i.instanceType,
      imageId: image.images[0].id,
      securityGroups: [sg.id],
      systemDiskCategory: i.systemDiskCategory,
      systemDiskSize: i.systemDiskSize,
      systemDiskEncrypted: true,
      // Charge types are explicit: the provider no longer defaults them.
      instanceChargeType: "PostPaid",
      internetChargeType: "PayByTraffic",
      internetMaxBandwidthOut: 0, // public traffic goes through the EIP below
      keyName: keyPair.keyPairName,
      userData: i.hostPrivateKey ? pulumi.secret(pulumi.output(i.hostPrivateKey).apply((k) => userData(k, i.hostKey))) : undefined,
      securityEnhancementStrategy: "Active",
      tags: i.tags,
    };
    const instance = new alicloud.ecs.Instance(`${name}-server`, {
      instanceName: `${name}-server`,
      hostName: name,
      vswitchId,
      ...this.serverSpec,
    }, { ...o, ...INSTANCE_OPTIONS });
    this.instanceId = instance.id;
    this.privateIp = instance.privateIp;

    const eip = new alicloud.ecs.EipAddress(`${name}-eip`, {
      addressName: `${name}-eip`,
      bandwidth: String(i.bandwidthMbps),
      internetChargeType: "PayByTraffic",
      paymentType: "PayAsYouGo",
    }, { ...o, protect: args.protectAddress });
    // An EIP is associated with one instance at a time: a new instance gets it after the old one let it go.
    const assoc = new alicloud.ecs.EipAssociation(`${name}-eip-assoc`, { allocationId: eip.id, instanceId: instance.id, instanceType: "EcsInstance" }, { ...o, deleteBeforeReplace: true });

    // The standby of a rebuild: the same instance inputs (after the switch, under the server's own
    // resource name, it has nothing to change), and a temporary address the next normal `up` releases.
    if (args.standby) {
      const standby = new alicloud.ecs.Instance(`${name}-standby-server`, {
        instanceName: `${name}-server`,
        hostName: name,
        vswitchId,
        ...this.serverSpec,
      }, { ...o, ...INSTANCE_OPTIONS });
      const address = new alicloud.ecs.EipAddress(`${name}-standby-address`, {
        addressName: `${name}-standby-address`,
        bandwidth: String(i.bandwidthMbps),
        internetChargeType: "PayByTraffic",
        paymentType: "PayAsYouGo",
      }, o);
      const bound = new alicloud.ecs.EipAssociation(`${name}-standby-address-assoc`, { allocationId: address.id, instanceId: standby.id, instanceType: "EcsInstance" }, o);
      this.standby = { instanceId: standby.id, privateIp: standby.privateIp, publicIp: pulumi.all([address.ipAddress, bound.id]).apply(([ip]) => ip) };
    }

    if (args.dns) {
      const { zone, domain } = args.dns;
      const rr = domain === zone ? "@" : domain.slice(0, -(zone.length + 1));
      new alicloud.dns.AlidnsRecord(`${name}-dns`, { domainName: zone, rr, type: "A", value: eip.ipAddress, ttl: 600 }, { ...o, dependsOn: [assoc] });
    }

    this.publicIp = pulumi.all([eip.ipAddress, assoc.id]).apply(([ip]) => ip);
    this.securityGroupId = sg.id;
    this.registerOutputs({ publicIp: this.publicIp, securityGroupId: this.securityGroupId, instanceId: instance.id, zoneId: this.zoneId, privateIp: this.privateIp, vpcId: this.vpcId });
  }
}

export interface AdoptedServerArgs {
  /** The existing server's public address. */
  address: string;
  /** Its security group: when given, its ingress rules are managed here. */
  securityGroupId?: string;
  ingress: IngressRule[];
}

/** An existing server: nothing is created for it; the rules of its security group are managed when its id is given. */
export class AdoptedServer extends pulumi.ComponentResource implements CloudServer {
  public readonly publicIp: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string | undefined>;

  constructor(name: string, args: AdoptedServerArgs, opts?: pulumi.ComponentResourceOptions) {
    // adopted servers used to be an AlicloudServer: the alias keeps their rules' identity
    super("aistudio:cloud:AdoptedServer", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: "aistudio:cloud:AlicloudServer" }] });
    this.publicIp = pulumi.output(args.address);
    this.securityGroupId = pulumi.output(args.securityGroupId);
    if (args.securityGroupId) securityGroupRules(name, args.securityGroupId, args.ingress, { parent: this });
    this.registerOutputs({ publicIp: this.publicIp, securityGroupId: this.securityGroupId });
  }
}

/** One SecurityGroupRule per ingress rule, named by port (and CIDR when it is not the world). */
function securityGroupRules(name: string, sgId: pulumi.Input<string>, ingress: IngressRule[], o: pulumi.CustomResourceOptions): void {
  for (const r of ingress) {
    const id = r.cidr === "0.0.0.0/0" ? `${r.port}` : `${r.port}-${r.cidr.replace(/[./]/g, "-")}`;
    new alicloud.ecs.SecurityGroupRule(`${name}-in-${id}`, {
      securityGroupId: sgId,
      type: "ingress",
      ipProtocol: "tcp",
      nicType: "intranet",
      policy: "accept",
      portRange: `${r.port}/${r.port}`,
      priority: 1,
      cidrIp: r.cidr,
      description: r.description,
    }, o);
  }
}
