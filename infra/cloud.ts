// The cloud side of a stack, from config: one explicit Alibaba Cloud provider in the configured
// region, handed to a new server (AlicloudServer) or an adopted one (AdoptedServer) through
// resource options. The local stack has no cloud side.
import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "@pulumi/alicloud";
import type { AistudioConfig } from "./config";
import { AdoptedServer, AlicloudServer, CloudServer, ingressRules } from "./components/cloud";

export function declareCloud(name: string, cfg: AistudioConfig, opts: pulumi.ComponentResourceOptions = {}): (CloudServer & pulumi.ComponentResource) | undefined {
  const c = cfg.cloud;
  if (cfg.target !== "alicloud" || !c) return undefined;
  // The provider used to be the component's child: the alias keeps its identity in existing stacks.
  const provider = new alicloud.Provider(`${name}-provider`, { region: c.region }, {
    aliases: [{ parent: pulumi.createUrn(name, "aistudio:cloud:AlicloudServer") }],
  });
  const o = { ...opts, providers: { alicloud: provider } };
  const ingress = ingressRules(cfg);
  if (c.adopt) return new AdoptedServer(name, { address: c.adopt.address, securityGroupId: c.adopt.securityGroupId, ingress }, o);
  return new AlicloudServer(name, {
    network: { vpcId: c.vpcId, vswitchId: c.vswitchId, zoneId: c.zoneId, vpcCidr: c.vpcCidr, vswitchCidr: c.vswitchCidr },
    instance: {
      instanceType: c.instanceType,
      image: c.image,
      systemDiskCategory: c.systemDiskCategory,
      systemDiskSize: c.systemDiskSize,
      bandwidthMbps: c.internetMaxBandwidthOut,
      sshPublicKey: c.sshPublicKey,
      hostKey: cfg.server.hostKey,
      hostPrivateKey: c.hostPrivateKey,
      tags: { app: "aistudio", stack: cfg.stack },
    },
    ingress,
    dns: c.dnsZone ? { zone: c.dnsZone, domain: cfg.domain } : undefined,
    protectAddress: cfg.stack === "prod",
  }, o);
}
