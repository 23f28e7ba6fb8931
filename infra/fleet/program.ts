// A fleet (servers.count > 1, issue #15) in the program: the servers, each provisioned with the same
// steps and rolled one batch at a time (rollout.ts) through the load balancer's pool, and the site's
// smoke test through the load balancer once every server is back. The load balancer is the ALB on
// Alibaba Cloud (declared by infra/components/fleet-cloud.ts) and HAProxy on the local stack's test
// host <testhost>-lb (provisioned here, loadBalancerSteps), driven through the same ServerPool.
import * as pulumi from "@pulumi/pulumi";
import type { AistudioConfig } from "../config";
import type { DeclaredCloud } from "../cloud";
import type { AppFile } from "../../provision/app";
import type { Step } from "../../provision/step";
import type { PoolSpec } from "../../core/lb/open";
import { ServerProvisioning } from "../components/server";
import { SmokeTest } from "../components/smoke-test";
import { buildSteps, secretValues, serverConnection, smokeSpec, withNeeds } from "../steps";
import { ALB_DRAIN_SECONDS, FleetServer, declareRollout, releaseOf } from "./rollout";
import { LOAD_BALANCER_PACKAGES, packagesStep } from "../../provision/packages";
import { updatesStep } from "../../provision/updates";
import { firewallStep } from "../../provision/firewall";
import { sshStep } from "../../provision/ssh";
import { fail2banStep } from "../../provision/fail2ban";
import { baselineStep } from "../../provision/baseline";
import { loadBalancerStep } from "../../provision/loadbalancer";
import { LB_BACKEND } from "../../core/constants";

export interface FleetProgram {
  servers: ServerProvisioning[];
  /** The site's smoke test through the load balancer, after every server is back in rotation. */
  site: SmokeTest;
  /** The load balancer's address (local: the test host's; cloud: the ALB's DNS name). */
  loadBalancer: pulumi.Input<string>;
  /** Every server's address, in order. */
  addresses: pulumi.Input<string>[];
}

/** Resource name of server k (1-based): the first keeps the one-server stack's name. */
export const serverName = (k: number): string => (k === 1 ? "aistudio" : `aistudio-${k}`);

/** The local fleet's load balancer host: the servers' protection, and HAProxy in front of them. */
export function loadBalancerSteps(cfg: AistudioConfig, servers: { name: string; address: string }[]): Step[] {
  const firewall = { sshPort: cfg.server.port, adminCidrs: cfg.firewall.adminCidrs };
  return withNeeds([
    updatesStep({ rebootCalendar: cfg.os.rebootCalendar }),
    packagesStep({ base: LOAD_BALANCER_PACKAGES, app: [] }),
    firewallStep(firewall),
    sshStep({ hostKey: cfg.server.hostKey, extraConfig: cfg.ssh.extraConfig }),
    fail2banStep({ sshPort: cfg.server.port, adminCidrs: cfg.firewall.adminCidrs, minAdminPrefix: cfg.firewall.minAdminPrefix }),
    baselineStep(),
    loadBalancerStep({
      domain: cfg.domain,
      certificate: cfg.tls.certificate!,
      privateKey: cfg.tls.privateKey!,
      servers,
      healthCheckPath: cfg.servers.healthCheckPath,
    }),
  ]);
}

export function declareFleet(cfg: AistudioConfig, appFiles: AppFile[], cloud?: DeclaredCloud): FleetProgram {
  const steps = buildSteps(cfg, appFiles);
  const redact = secretValues(cfg);
  const fleetServer = (k: number, member: pulumi.Input<string>, host: pulumi.Input<string>, hostKey: string, serverId: pulumi.Input<string>): FleetServer => ({
    member,
    name: serverName(k),
    provisioning: {
      connection: { ...serverConnection(cfg, host), hostKey },
      serverId,
      steps,
      redact,
      // each server smoke-tested directly, before it is back in the load balancer
      smoke: { ...smokeSpec(cfg, undefined), connectTo: host },
    },
  });

  if (cloud) {
    const at = <T>(list: pulumi.Output<T[]>, i: number) => list.apply((l) => l[i]);
    const ids = cloud.instanceIds!;
    const servers = Array.from({ length: cfg.servers.count }, (_, i) =>
      fleetServer(i + 1, at(ids, i), at(cloud.serverAddresses, i), cfg.server.hostKey, at(ids, i)));
    const pool: pulumi.Input<PoolSpec> = pulumi.all([cloud.serverGroupId!, cloud.listenerId!]).apply(([serverGroupId, listenerId]) =>
      ({ kind: "alb" as const, region: cfg.cloud!.region, serverGroupId, listenerId }));
    return finish(cfg, servers, pool, ALB_DRAIN_SECONDS, [cloud], cloud.loadBalancerDnsName!, undefined);
  }

  const hosts = cfg.servers.testhosts!;
  const lb = hosts.loadBalancer;
  const servers = hosts.servers.map((h, i) => fleetServer(i + 1, h.name, h.host, h.hostKey, h.hostKey));
  const lbConnection = { ...serverConnection(cfg, lb.host), hostKey: lb.hostKey };
  const balancer = new ServerProvisioning("aistudio-lb", {
    connection: lbConnection,
    serverId: lb.hostKey,
    steps: loadBalancerSteps(cfg, hosts.servers.map((h) => ({ name: h.name, address: h.host }))),
    redact,
  });
  const pool: PoolSpec = { kind: "haproxy", connection: { ...lbConnection, port: cfg.server.port }, backend: LB_BACKEND };
  return finish(cfg, servers, pool, 0, [balancer], lb.host, lb.host);
}

function finish(
  cfg: AistudioConfig, servers: FleetServer[], pool: pulumi.Input<PoolSpec>, drainSeconds: number,
  poolReady: pulumi.Resource[], loadBalancer: pulumi.Input<string>, connectTo: string | undefined,
): FleetProgram {
  const rollout = declareRollout({ pool, servers, maxUnavailable: cfg.servers.maxUnavailable, drainSeconds, poolReady });
  const first = servers[0].provisioning;
  // the site as the mini program sees it: through the load balancer (DNS on the cloud, the LB host locally)
  const site = new SmokeTest("aistudio-site-smoke", {
    ...smokeSpec(cfg, connectTo),
    connection: pulumi.secret(first.connection),
    redact: pulumi.secret(first.redact),
    triggers: servers.map((s) => releaseOf(s.provisioning.steps)),
  }, { dependsOn: rollout.restores });
  return { servers: rollout.servers, site, loadBalancer, addresses: servers.map((s) => s.provisioning.connection.host) };
}
