// ServerFleet: the servers of a stack after the first, and the Alibaba Cloud ALB in front of them all
// (issue #15, servers.count > 1). A child of the first server's component (AlicloudServer), which
// keeps every name it has with one server, so growing a stack from one server to several adds
// resources and replaces none:
//
//   a vSwitch in each further zone (servers.zones; the first zone's is the first server's)
//   -> servers 2..N (ECS, the first server's spec, round-robin over the zones) with an EIP each (SSH
//   from the admin networks, outbound traffic)
//   -> CAS certificate (tls.certificate, uploaded to Certificate Management Service)
//   -> ALB (internet-facing, one zone mapping per zone) -> server group (every server, HTTPS to nginx
//   on 443, health check GET servers.healthCheckPath, connection draining)
//   -> HTTPS listener on 443 (TLS 1.2/1.3 security policy, HTTP/2) forwarding to the group, HTTP
//   listener on 80 whose one rule redirects everything to https (301; its default action, which
//   must forward to an HTTP group, forwards to an empty one)
//   -> the domain's DNS record, now a CNAME to the ALB (the same record as the A record of one server)
//
// The servers' security group admits 443 only from the zones' vSwitches (ingressRules), no longer
// from the world. Not done here, and not pretended: the certificate is the provided one only (ACME
// DNS-01 issuance and its renewal without a gap are not built), each server still runs its own nginx
// with the site's certificate (the ALB does not verify it), the server group's weights are static
// (the rolling deploy that drains a server is not built), and only the first server is provisioned
// by the program (infra/index.ts); the config refuses a fleet until shared uploads exist.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "@pulumi/alicloud";
import { INSTANCE_OPTIONS, ServerSpec } from "./cloud";
import { CIPHERS } from "../../provision/nginx";
import type { FleetZone } from "../config-fleet";

/** The TLS 1.2 cipher suites an ALB security policy accepts (ALB's documentation). */
const ALB_TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384",
  "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA",
  "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA256", "AES256-SHA256", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA",
];
/** TLS 1.3's suites (all AEAD). */
const TLS13_CIPHERS = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

/**
 * The listener's security policy: TLS 1.2 and 1.3 only, and for 1.2 nginx's Mozilla intermediate
 * list (provision/nginx.ts CIPHERS) as far as ALB offers it (ECDHE with AES-GCM: ALB has no CHACHA20
 * for TLS 1.2), so clients meet the same ciphers with one server or several.
 */
export const ALB_TLS_VERSIONS = ["TLSv1.2", "TLSv1.3"];
export const ALB_CIPHERS = [...CIPHERS.split(":").filter((c) => ALB_TLS12_CIPHERS.includes(c)), ...TLS13_CIPHERS];

/** How the listener names a CAS certificate: `<id>-<region of CAS>` (cn-hangzhou for mainland China, else ap-southeast-1). */
export function casCertificateRegion(region: string): string {
  return region.startsWith("cn-") && region !== "cn-hongkong" ? "cn-hangzhou" : "ap-southeast-1";
}

/** Which zone server k (1-based) is in: round-robin, the first server in the first zone. */
export const zoneIndexOf = (k: number, zones: number): number => (k - 1) % zones;

export interface FleetArgs {
  vpcId: pulumi.Input<string>;
  /** The first server, AlicloudServer's: server 1 of the fleet, in zones[0] and its vSwitch. */
  first: { instanceId: pulumi.Input<string>; vswitchId: pulumi.Input<string>; publicIp: pulumi.Output<string>; privateIp: pulumi.Output<string> };
  /** Every zone with its vSwitch CIDR, zones[0] the first server's (its vSwitch exists already). */
  zones: FleetZone[];
  /** How many servers in all, the first included. */
  count: number;
  /** How the other servers are made (the first server's spec) and their EIPs' bandwidth, Mbit/s. */
  server: { spec: ServerSpec; bandwidthMbps: number };
  /** The server group's health check: HTTPS GET of this path with Host `domain`, 2xx healthy. */
  healthCheckPath: string;
  domain: string;
  /** The listener's certificate: PEM with its chain, and its key (secret), for Certificate Management Service. */
  certificate: { cert: string; key: pulumi.Input<string>; region: string };
  /** The domain's record in this Alibaba Cloud DNS zone; `formerParent`: where the one-server A record was declared. */
  dns?: { zone: string; domain: string; formerParent?: pulumi.Resource };
  /** Deletion protection on the load balancer (prod: its name is in DNS and the WeChat console). */
  protect: boolean;
  tags: Record<string, string>;
}

export class ServerFleet extends pulumi.ComponentResource {
  /** The ALB's DNS name: what the domain points at. */
  public readonly loadBalancerDnsName: pulumi.Output<string>;
  public readonly loadBalancerId: pulumi.Output<string>;
  /** The server group and the HTTPS listener: the rolling deploy's pool (core/lb/alb.ts) sets weights and reads health there. */
  public readonly serverGroupId: pulumi.Output<string>;
  public readonly listenerId: pulumi.Output<string>;
  /** Every server's instance id, public and private address, the first server's first. */
  public readonly instanceIds: pulumi.Output<string[]>;
  public readonly publicIps: pulumi.Output<string[]>;
  public readonly privateIps: pulumi.Output<string[]>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aistudio:cloud:ServerFleet", name, {}, opts);
    const o = { parent: this };
    const tags = args.tags;
    if (args.zones.length < 2) throw new Error("ServerFleet: an ALB needs two zones at least");

    // a vSwitch for each zone after the first, named by its zone (reordering servers.zones renames nothing)
    const vswitchIds: pulumi.Input<string>[] = args.zones.map((z, i) => i === 0
      ? args.first.vswitchId
      : new alicloud.vpc.Switch(`${name}-vswitch-${z.zoneId}`, { vswitchName: `${name}-vswitch-${z.zoneId}`, vpcId: args.vpcId, cidrBlock: z.vswitchCidr, zoneId: z.zoneId }, o).id);

    const instanceIds: pulumi.Input<string>[] = [args.first.instanceId];
    const publicIps: pulumi.Input<string>[] = [args.first.publicIp];
    const privateIps: pulumi.Input<string>[] = [args.first.privateIp];
    for (let k = 2; k <= args.count; k++) {
      const instance = new alicloud.ecs.Instance(`${name}-server-${k}`, {
        instanceName: `${name}-server-${k}`,
        hostName: `${name}-${k}`,
        vswitchId: vswitchIds[zoneIndexOf(k, args.zones.length)],
        ...args.server.spec,
      }, { ...o, ...INSTANCE_OPTIONS });
      const eip = new alicloud.ecs.EipAddress(`${name}-eip-${k}`, {
        addressName: `${name}-eip-${k}`,
        bandwidth: String(args.server.bandwidthMbps),
        internetChargeType: "PayByTraffic",
        paymentType: "PayAsYouGo",
      }, o);
      const assoc = new alicloud.ecs.EipAssociation(`${name}-eip-assoc-${k}`, { allocationId: eip.id, instanceId: instance.id, instanceType: "EcsInstance" }, o);
      instanceIds.push(instance.id);
      publicIps.push(pulumi.all([eip.ipAddress, assoc.id]).apply(([ip]) => ip));
      privateIps.push(instance.privateIp);
    }

    // The certificate's name carries its fingerprint: a renewed certificate is a new CAS certificate,
    // created (and swapped into the listener) before the old one is deleted.
    const fingerprint = createHash("sha256").update(args.certificate.cert).digest("hex").slice(0, 12);
    const cert = new alicloud.cas.ServiceCertificate(`${name}-cert`, {
      certificateName: `${name}-${fingerprint}`,
      cert: args.certificate.cert,
      key: pulumi.secret(args.certificate.key),
      tags,
    }, { ...o, additionalSecretOutputs: ["key"] });

    const alb = new alicloud.alb.LoadBalancer(`${name}-alb`, {
      loadBalancerName: `${name}-alb`,
      vpcId: args.vpcId,
      addressType: "Internet",
      addressAllocatedMode: "Dynamic",
      loadBalancerEdition: "Standard",
      loadBalancerBillingConfig: { payType: "PayAsYouGo" },
      zoneMappings: args.zones.map((z, i) => ({ zoneId: z.zoneId, vswitchId: vswitchIds[i] })),
      deletionProtectionEnabled: args.protect,
      tags,
    }, { ...o, protect: args.protect });

    const group = new alicloud.alb.ServerGroup(`${name}-servers`, {
      serverGroupName: `${name}-servers`,
      serverGroupType: "Instance",
      vpcId: args.vpcId,
      // HTTPS to each server's nginx on 443, as WeChat's requests reach one server today
      protocol: "HTTPS",
      scheduler: "Wrr",
      healthCheckConfig: {
        healthCheckEnabled: true,
        healthCheckProtocol: "HTTPS",
        healthCheckMethod: "GET",
        healthCheckPath: args.healthCheckPath,
        healthCheckHost: args.domain,
        healthCheckHttpVersion: "HTTP1.1",
        healthCheckCodes: ["http_2xx"],
        healthCheckInterval: 2,
        healthCheckTimeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
      // a server taken out (weight 0, or removed) finishes its requests first
      connectionDrainConfig: { connectionDrainEnabled: true, connectionDrainTimeout: 30 },
      // ALB's default weight is 0 (no traffic): every server is given its share explicitly
      servers: instanceIds.map((serverId, i) => ({ serverType: "Ecs", serverId, port: 443, weight: 100, description: `${name}-server${i === 0 ? "" : `-${i + 1}`}` })),
      tags,
    }, {
      ...o,
      // the rolling deploy owns the weights after creation (infra/fleet/rollout.ts): a server a failed
      // rollout left at 0 goes back only through its restore, after its smoke test, never because a
      // refresh made this declaration "put it back" beside the rollout
      ignoreChanges: ["servers[*].weight"],
    });

    const policy = new alicloud.alb.SecurityPolicy(`${name}-tls`, {
      securityPolicyName: `${name}-tls12`,
      tlsVersions: ALB_TLS_VERSIONS,
      ciphers: ALB_CIPHERS,
      tags,
    }, o);
    const https = new alicloud.alb.Listener(`${name}-https`, {
      loadBalancerId: alb.id,
      listenerProtocol: "HTTPS",
      listenerPort: 443,
      listenerDescription: `${name} HTTPS`,
      certificates: { certificateId: pulumi.interpolate`${cert.id}-${casCertificateRegion(args.certificate.region)}` },
      securityPolicyId: policy.id,
      http2Enabled: true,
      defaultActions: [{ type: "ForwardGroup", forwardGroupConfig: { serverGroupTuples: [{ serverGroupId: group.id }] } }],
      // the servers see the client's address and that it came over https
      xForwardedForConfig: { xForwardedForEnabled: true, xForwardedForProtoEnabled: true },
      tags,
    }, o);
    // An ALB listener's default action can only forward, and an HTTP listener only to an HTTP server
    // group: it forwards to an empty one, never reached, since its one rule redirects every path.
    const none = new alicloud.alb.ServerGroup(`${name}-redirect-only`, {
      serverGroupName: `${name}-redirect-only`,
      serverGroupType: "Instance",
      vpcId: args.vpcId,
      protocol: "HTTP",
      healthCheckConfig: { healthCheckEnabled: false },
      servers: [],
      tags,
    }, o);
    const http = new alicloud.alb.Listener(`${name}-http`, {
      loadBalancerId: alb.id,
      listenerProtocol: "HTTP",
      listenerPort: 80,
      listenerDescription: `${name} HTTP, redirected to HTTPS`,
      defaultActions: [{ type: "ForwardGroup", forwardGroupConfig: { serverGroupTuples: [{ serverGroupId: none.id }] } }],
      tags,
    }, o);
    new alicloud.alb.Rule(`${name}-http-to-https`, {
      listenerId: http.id,
      ruleName: `${name}-http-to-https`,
      priority: 1,
      ruleConditions: [{ type: "Path", pathConfig: { values: ["/*"] } }],
      ruleActions: [{ order: 1, type: "Redirect", redirectConfig: { protocol: "HTTPS", port: "443", httpCode: "301" } }],
    }, o);

    if (args.dns) {
      const { zone, domain, formerParent } = args.dns;
      const rr = domain === zone ? "@" : domain.slice(0, -(zone.length + 1));
      // The one-server A record, updated in place into the CNAME (a new record would clash with it).
      new alicloud.dns.AlidnsRecord(`${name}-dns`, { domainName: zone, rr, type: "CNAME", value: alb.dnsName, ttl: 600 }, {
        ...o, aliases: formerParent ? [{ parent: formerParent }] : [],
      });
    }

    this.loadBalancerDnsName = alb.dnsName;
    this.loadBalancerId = alb.id;
    this.serverGroupId = group.id;
    this.listenerId = https.id;
    this.instanceIds = pulumi.output(instanceIds);
    this.publicIps = pulumi.output(publicIps);
    this.privateIps = pulumi.output(privateIps);
    this.registerOutputs({ loadBalancerDnsName: this.loadBalancerDnsName, instanceIds: this.instanceIds, publicIps: this.publicIps });
  }
}
