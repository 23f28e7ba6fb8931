// aistudio-infra: the WeChat mini program backend at https://<domain>.
//
//   1. config     read once, validated (infra/config.ts)
//   2. cloud      Alibaba Cloud network, security group, ECS, EIP, DNS (infra/cloud.ts →
//                 infra/components/cloud.ts), with servers.count > 1 the other servers and the ALB
//                 (infra/components/fleet-cloud.ts); the local stack uses a test host instead
//   3. server     the steps for this config (infra/steps.ts, builders in provision/) run over SSH,
//                 then the smoke test (infra/components/server.ts)
//   4. outputs    URLs for config.js, the WeChat console's domain lists (request, uploadFile,
//                 downloadFile合法域名), SSH command
import { readConfig } from "./read-config";
import { ServerProvisioning } from "./components/server";
import { declareCloud } from "./cloud";
import { buildSteps, secretValues, serverConnection, smokeSpec } from "./steps";
import { miniProgramUrls, wechatDomainLists } from "./outputs";
import { declareFleet } from "./fleet/program";

// config and the app's files, every problem of both reported together before any resource
const { cfg, appFiles } = readConfig();

const cloud = declareCloud("aistudio", cfg);
const host = cloud ? cloud.publicIp : cfg.server.host;

// servers.count > 1: every server, rolled one batch at a time through the load balancer (issue #15)
const fleet = cfg.servers.count > 1 ? declareFleet(cfg, appFiles, cloud) : undefined;
const server = fleet ? fleet.servers[0] : new ServerProvisioning("aistudio", {
  connection: serverConnection(cfg, host),
  serverId: cloud?.instanceId ?? cfg.server.hostKey,
  steps: buildSteps(cfg, appFiles),
  redact: secretValues(cfg),
  smoke: smokeSpec(cfg, cfg.server.host),
}, cloud ? { dependsOn: [cloud] } : undefined);
// A rebuild's standby beside the server (aistudio:standby converge or switch, stacks/rebuild-standby.ts): the
// same steps and smoke test, at its temporary address; named aistudio-standby, the twin of aistudio.
if (cloud?.standby && cfg.cloud?.standby !== "boot") new ServerProvisioning("aistudio-standby", {
  connection: serverConnection(cfg, cloud.standby.publicIp),
  serverId: cloud.standby.instanceId,
  steps: buildSteps(cfg, appFiles, undefined, { standby: true }),
  redact: secretValues(cfg),
  smoke: { ...smokeSpec(cfg, undefined), connectTo: cloud.standby.publicIp },
}, { dependsOn: [cloud] });
// the site's smoke test: through the load balancer for a fleet
const smoke = fleet ? fleet.site : server.smoke!;

export const domain = cfg.domain;
export const publicIp = host;
export const urls = miniProgramUrls(cfg.domain);
/** The admin backend's login page (the app's own, through nginx). */
export const adminUrl = `https://${cfg.domain}${cfg.app.admin.loginPath}`;
const wechatLists = wechatDomainLists(cfg.domain);
/** 服务器域名 → request合法域名, uploadFile合法域名, downloadFile合法域名: paste each into the WeChat console. */
export const wechatRequestDomains = wechatLists.request;
export const wechatUploadDomains = wechatLists.upload;
export const wechatDownloadDomains = wechatLists.download;
export const sshCommand = cloud ? cloud.publicIp.apply((ip) => `ssh ${cfg.server.user}@${ip}`) : `ssh -p ${cfg.server.port} ${cfg.server.user}@${cfg.server.host}`;
export const securityGroupId = cloud ? cloud.securityGroupId : "(local stack: no security group)";
/** Every server's public address (one with servers.count 1), and the load balancer's DNS name (a fleet, issue #15). */
export const serverAddresses = fleet ? fleet.addresses : cloud ? cloud.serverAddresses : [cfg.server.host];
export const loadBalancerDnsName = fleet ? fleet.loadBalancer : "(one server: no load balancer)";
export const smokeTest = { status: smoke.status, body: smoke.body, seconds: smoke.seconds };
/** The data: the ECS data disk, the OSS bucket of the backups, the RDS instance's address (when declared). */
export const dataDiskId = cloud?.dataDiskId ?? (cfg.volume ? `(test host volume at ${cfg.volume.device})` : "(no data volume: the system disk)");
/** Where the users' uploads live: the OSS bucket this stack declares, another S3 store, or the server's disk. */
export const uploadsBucket = cloud?.uploadsBucket ?? (cfg.uploads.s3 ? `${cfg.uploads.s3.endpoint}/${cfg.uploads.s3.bucket}` : "(the server's disk: <app.dataDir>/media/uploads)");
export const backupBucket = cloud?.backupBucket ?? (cfg.backup ? cfg.backup.repository : "(no backups)");
export const databaseHost = cloud?.databaseHost ?? (cfg.database.mode === "local" ? "(local PostgreSQL, unix socket)" : cfg.database.mode === "none" ? "(the app's own file database)" : "(external: aistudio:databaseUrl)");
/** A fleet on Alibaba Cloud: the servers' instance ids and the ALB's server group and listener (the doctor reads the pool there). */
export const fleetPool = fleet && cloud ? { region: cfg.cloud!.region, serverGroupId: cloud.serverGroupId, listenerId: cloud.listenerId, serverIds: cloud.instanceIds } : undefined;
/** During a rebuild (aistudio:standby): the standby's temporary address. */
export const standbyAddress = cloud?.standby?.publicIp;
export const stepHashes = server.stepHashes;
export const fingerprint = server.fingerprint;
