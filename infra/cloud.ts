// The cloud side of a stack, from config: one explicit Alibaba Cloud provider in the configured
// region, handed to a new server (AlicloudServer) or an adopted one (AdoptedServer) through
// resource options, and the data that must outlive the server (DataStore: data disk, backup bucket,
// RDS) as the server component's child. The local stack has no cloud side.
import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "@pulumi/alicloud";
import type { AistudioConfig } from "./config";
import { AdoptedServer, AlicloudServer, CloudServer, ingressRules } from "./components/cloud";
import { DataOutputs, DataStore, DataStoreArgs } from "./components/data-cloud";

/** Days the backup bucket keeps an overwritten or deleted object's old version. */
export const BACKUP_VERSION_DAYS = 30;

/** The server's component, carrying what the program exports about the data. */
export type DeclaredCloud = CloudServer & pulumi.ComponentResource & DataOutputs;

export function declareCloud(name: string, cfg: AistudioConfig, opts: pulumi.ComponentResourceOptions = {}): DeclaredCloud | undefined {
  const c = cfg.cloud;
  if (cfg.target !== "alicloud" || !c) return undefined;
  // The provider used to be the component's child: the alias keeps its identity in existing stacks.
  const provider = new alicloud.Provider(`${name}-provider`, { region: c.region }, {
    aliases: [{ parent: pulumi.createUrn(name, "aistudio:cloud:AlicloudServer") }],
  });
  const o = { ...opts, providers: { alicloud: provider } };
  const ingress = ingressRules(cfg);
  const tags = { app: "aistudio", stack: cfg.stack };
  const server = c.adopt
    ? new AdoptedServer(name, { address: c.adopt.address, securityGroupId: c.adopt.securityGroupId, ingress }, o)
    : new AlicloudServer(name, {
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
        tags,
      },
      ingress,
      dns: c.dnsZone ? { zone: c.dnsZone, domain: cfg.domain } : undefined,
      protectAddress: cfg.stack === "prod",
    }, o);

  const args = dataStoreArgs(cfg, server instanceof AlicloudServer ? server : undefined, tags);
  // A child of the server's component (inheriting its provider): the program's dependsOn on that
  // component then waits for the data too, the disk attached before the server mounts it.
  const data = args.disk || args.bucket || args.rds ? new DataStore(name, args, { parent: server }) : undefined;
  // The component itself is returned (the program's dependsOn needs the resource), with the data outputs on it.
  const outputs: DataOutputs = { dataDiskId: data?.dataDiskId, backupBucket: data?.backupBucket, databaseHost: data?.databaseHost };
  return Object.assign(server, outputs);
}

/** The data resources a config asks for; a server is given only when this stack created it (not adopt mode). */
export function dataStoreArgs(cfg: AistudioConfig, server: DataStoreArgs["server"], tags: Record<string, string>): DataStoreArgs {
  const v = cfg.volume;
  const db = cfg.database;
  return {
    server,
    disk: server && v ? { sizeGb: v.sizeGb, category: v.category, snapshotRetentionDays: v.snapshotRetentionDays, snapshotHour: v.snapshotHour } : undefined,
    bucket: cfg.backup?.bucket ? { name: cfg.backup.bucket, noncurrentDays: BACKUP_VERSION_DAYS } : undefined,
    // RDS admits only the server's private IP, which an adopted server does not give: adopt mode declares none.
    rds: server && db.mode === "external" && db.rds
      ? { ...db.rds, database: db.name, user: db.user, password: pulumi.secret(db.password ?? "") }
      : undefined,
    protect: v?.protect ?? cfg.stack === "prod",
    tags,
  };
}
