// The cloud side of a stack, from config: one explicit Alibaba Cloud provider in the configured
// region, handed to a new server (AlicloudServer) or an adopted one (AdoptedServer) through
// resource options, with servers.count > 1 the other servers and the load balancer (ServerFleet,
// the first server's child), and the data that must outlive the servers (DataStore: data disk,
// backup bucket, RDS) as the server component's child. The local stack has no cloud side.
import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "@pulumi/alicloud";
import type { AistudioConfig } from "./config";
import { AdoptedServer, AlicloudServer, CloudServer, ingressRules } from "./components/cloud";
import { DataOutputs, DataStore, DataStoreArgs } from "./components/data-cloud";
import { ServerFleet } from "./components/fleet-cloud";

/** Days the backup bucket (and the uploads bucket) keeps an overwritten or deleted object's old version. */
export const BACKUP_VERSION_DAYS = 30;

/** What the program exports about the servers: every server's public address, the load balancer's name (a fleet). */
export interface FleetOutputs {
  serverAddresses: pulumi.Output<string[]>;
  loadBalancerDnsName?: pulumi.Output<string>;
  /** A fleet: every server's ECS instance id, the ALB's server group and HTTPS listener (the rollout's pool). */
  instanceIds?: pulumi.Output<string[]>;
  serverGroupId?: pulumi.Output<string>;
  listenerId?: pulumi.Output<string>;
  /** A rebuild's standby beside the server (aistudio:standby): its instance and temporary address. */
  standby?: { instanceId: pulumi.Output<string>; publicIp: pulumi.Output<string> };
}

/** The server's component, carrying what the program exports about the data and the servers. */
export type DeclaredCloud = CloudServer & pulumi.ComponentResource & DataOutputs & FleetOutputs;

export function declareCloud(name: string, cfg: AistudioConfig, opts: pulumi.ComponentResourceOptions = {}): DeclaredCloud | undefined {
  const c = cfg.cloud;
  if (cfg.target !== "alicloud" || !c) return undefined;
  // The provider used to be the component's child: the alias keeps its identity in existing stacks.
  const provider = new alicloud.Provider(`${name}-provider`, { region: c.region }, {
    aliases: [{ parent: pulumi.createUrn(name, "aistudio:cloud:AlicloudServer") }],
  });
  const o = { ...opts, providers: { alicloud: provider } };
  const zones = cfg.servers.count > 1 ? cfg.servers.zones : undefined;
  // behind a load balancer the servers admit 443 from its vSwitches (the zones') only
  const ingress = ingressRules(cfg, zones?.map((z) => z.vswitchCidr));
  const tags = { app: "aistudio", stack: cfg.stack };
  const dns = c.dnsZone ? { zone: c.dnsZone, domain: cfg.domain } : undefined;
  const server = c.adopt
    ? new AdoptedServer(name, { address: c.adopt.address, securityGroupId: c.adopt.securityGroupId, ingress }, o)
    : new AlicloudServer(name, {
      network: { vpcId: c.vpcId, vswitchId: c.vswitchId, zoneId: c.zoneId ?? zones?.[0].zoneId, vpcCidr: c.vpcCidr, vswitchCidr: c.vswitchCidr },
      instance: {
        instanceType: c.instanceType,
        image: c.image,
        systemDiskCategory: c.systemDiskCategory,
        systemDiskSize: c.systemDiskSize,
        bandwidthMbps: c.internetMaxBandwidthOut,
        sshPublicKey: c.sshPublicKey,
        hostKey: cfg.server.hostKey,
        hostPrivateKey: c.hostPrivateKey,
        tags,
      },
      ingress,
      // a fleet's domain points at the load balancer: the record is the fleet's
      dns: zones ? undefined : dns,
      protectAddress: cfg.stack === "prod",
      standby: c.standby !== undefined,
    }, o);

  const fleet = zones && server instanceof AlicloudServer ? declareFleet(name, cfg, server, zones, dns, tags) : undefined;
  const placement = server instanceof AlicloudServer
    // RDS admits every server of a fleet
    ? (fleet ? { instanceId: server.instanceId, zoneId: server.zoneId, vswitchId: server.vswitchId, privateIp: server.privateIp, privateIps: fleet.privateIps } : server)
    : undefined;
  const args = dataStoreArgs(cfg, placement, tags);
  // A child of the server's component (inheriting its provider): the program's dependsOn on that
  // component then waits for the data too, the disk attached before the server mounts it.
  const data = args.disk || args.bucket || args.uploadsBucket || args.rds ? new DataStore(name, args, { parent: server }) : undefined;
  // The component itself is returned (the program's dependsOn needs the resource), with the data outputs on it.
  const outputs: DataOutputs & FleetOutputs = {
    dataDiskId: data?.dataDiskId, backupBucket: data?.backupBucket, uploadsBucket: data?.uploadsBucket, databaseHost: data?.databaseHost,
    serverAddresses: fleet?.publicIps ?? server.publicIp.apply((ip) => [ip]),
    loadBalancerDnsName: fleet?.loadBalancerDnsName,
    instanceIds: fleet?.instanceIds, serverGroupId: fleet?.serverGroupId, listenerId: fleet?.listenerId,
    standby: server instanceof AlicloudServer ? server.standby : undefined,
  };
  return Object.assign(server, outputs);
}

/** servers.count > 1: the other servers and the ALB, as the first server's child (it keeps its own names). */
function declareFleet(
  name: string, cfg: AistudioConfig, server: AlicloudServer, zones: AistudioConfig["servers"]["zones"],
  dns: { zone: string; domain: string } | undefined, tags: Record<string, string>,
): ServerFleet {
  return new ServerFleet(name, {
    vpcId: server.vpcId,
    first: { instanceId: server.instanceId, vswitchId: server.vswitchId, publicIp: server.publicIp, privateIp: server.privateIp },
    zones,
    count: cfg.servers.count,
    server: { spec: server.serverSpec, bandwidthMbps: cfg.cloud!.internetMaxBandwidthOut },
    healthCheckPath: cfg.servers.healthCheckPath,
    domain: cfg.domain,
    certificate: { cert: cfg.tls.certificate ?? "", key: pulumi.secret(cfg.tls.privateKey ?? ""), region: cfg.cloud!.region },
    dns: dns ? { ...dns, formerParent: server } : undefined,
    protect: cfg.stack === "prod",
    tags,
  }, { parent: server });
}

/** The data resources a config asks for; a server is given only when this stack created it (not adopt mode). */
export function dataStoreArgs(cfg: AistudioConfig, server: DataStoreArgs["server"], tags: Record<string, string>): DataStoreArgs {
  const v = cfg.volume;
  const db = cfg.database;
  return {
    server,
    disk: server && v ? { sizeGb: v.sizeGb, category: v.category, snapshotRetentionDays: v.snapshotRetentionDays, snapshotHour: v.snapshotHour } : undefined,
    bucket: cfg.backup?.bucket ? { name: cfg.backup.bucket, noncurrentDays: BACKUP_VERSION_DAYS } : undefined,
    // the uploads' own bucket when this stack declares it (uploads.bucket without uploads.endpoint)
    uploadsBucket: cfg.uploads.s3?.declare ? { name: cfg.uploads.s3.bucket, noncurrentDays: BACKUP_VERSION_DAYS } : undefined,
    // RDS admits only the server's private IP, which an adopted server does not give: adopt mode declares none.
    rds: server && db.mode === "external" && db.rds
      ? { ...db.rds, database: db.name, user: db.user, password: pulumi.secret(db.password ?? "") }
      : undefined,
    protect: v?.protect ?? cfg.stack === "prod",
    tags,
  };
}
