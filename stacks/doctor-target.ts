// What the doctor checks, taken from a deployed stack: the domain, the server's address and SSH
// access, the trust for test certificates, the security group rules (in the state, and a reader of
// them live from the cloud), the app contract (port, admin paths), the smoke request, the WeChat
// domain lists, and the secrets to keep out of the evidence.
import type { DoctorTarget, SecurityGroupRule } from "../checks/doctor/index";
import { redact } from "../core/ssh";
import { wechatDomainLists } from "../infra/outputs";
import { secretValues, serverConnection, smokeConnectTo } from "../infra/steps";
import { LB_BACKEND } from "../core/constants";
import type { FleetTarget } from "../checks/doctor/fleet";
import { PlannedStep, StackDriver } from "./driver";
import { readStack, SECURITY_GROUP_RULE_TYPE, StackView } from "./read-stack";

export interface TargetExtras {
  miniprogram?: string;
  configFile?: string;
  hostsFile?: string;
}

/** Pure: the doctor's target for a stack view. */
export function doctorTarget(v: StackView, extra: TargetExtras = {}): DoctorTarget {
  const c = v.config;
  const ip = String(v.outputs.publicIp ?? c.server.host);
  const fleet = fleetTarget(v);
  return {
    domain: c.domain,
    serverIp: ip,
    // a local fleet's site is its load balancer's test host; a cloud fleet's, what DNS says (the ALB)
    connectTo: c.servers.testhosts ? c.servers.testhosts.loadBalancer.host : smokeConnectTo(c, ip),
    fleet,
    ca: c.tls.caBundle ?? (c.tls.mode === "self-signed" ? "server-cert" : undefined),
    wechat: c.wechat.checks,
    minCertDays: c.wechat.minCertDays,
    tlsMode: c.tls.mode,
    ssh: serverConnection(c, ip),
    securityGroupRules: v.securityGroupRules,
    miniprogramDir: extra.miniprogram,
    hostsFile: extra.hostsFile,
    wechatApp: c.wechat.appId && c.wechat.appSecret ? { appId: c.wechat.appId, appSecret: c.wechat.appSecret } : undefined,
    wechatDomains: wechatDomainLists(c.domain),
    appPort: c.app.port,
    admin: c.app.admin,
    request: c.smoke.request,
    redact: secretValues(c),
    data: { dataDir: c.app.dataDir, volume: !!c.volume, database: c.database.mode, backup: c.backup && { maxAgeHours: c.backup.maxAgeHours } },
  };
}

const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** A fleet's pool and servers: the local HAProxy test host from config, the ALB from the stack's outputs. */
export function fleetTarget(v: StackView): FleetTarget | undefined {
  const c = v.config;
  if (c.servers.count < 2) return undefined;
  const healthCheckPath = c.servers.healthCheckPath;
  const local = c.servers.testhosts;
  if (local) {
    const lb = local.loadBalancer;
    return {
      pool: { kind: "haproxy", connection: { ...serverConnection(c, lb.host), hostKey: lb.hostKey }, backend: LB_BACKEND },
      servers: local.servers.map((h) => ({ member: h.name, address: h.host })),
      healthCheckPath,
    };
  }
  const p = v.outputs.fleetPool as { region?: string; serverGroupId?: string; listenerId?: string; serverIds?: string[] } | undefined;
  const addresses = (v.outputs.serverAddresses as string[] | undefined) ?? [];
  if (!p?.serverGroupId || !p.listenerId || !p.serverIds) return undefined;
  return {
    pool: { kind: "alb", region: p.region ?? c.cloud?.region ?? "", serverGroupId: p.serverGroupId, listenerId: p.listenerId },
    servers: p.serverIds.map((member, i) => ({ member, address: addresses[i] ?? "" })),
    healthCheckPath,
  };
}

/**
 * The security group rules as the cloud has them now, from a preview with refresh: each rule's
 * step carries its refreshed state in oldState (drift reads the same steps); a rule the refresh no
 * longer found would be re-created (op "create" without oldState), so it is not in the answer.
 */
export function liveRulesFromSteps(steps: PlannedStep[]): SecurityGroupRule[] {
  const live = new Map<string, SecurityGroupRule | undefined>();
  for (const s of steps) {
    // the refresh's own steps hold the state from before it
    if (s.op === "refresh" || s.op === "read" || (s.oldState?.type ?? s.newState?.type) !== SECURITY_GROUP_RULE_TYPE) continue;
    const o = s.oldState?.outputs;
    live.set(s.urn, o ? { name: s.urn.split("::").pop(), portRange: text(o.portRange) ?? "", cidrIp: text(o.cidrIp), policy: text(o.policy), type: text(o.type) } : undefined);
  }
  return [...live.values()].filter((r): r is SecurityGroupRule => r !== undefined);
}

/**
 * The rules read live: `preview --refresh` targeted at the rule resources, through the stack driver
 * (the Alibaba Cloud provider re-reads each rule; the state is not changed). It needs the provider
 * plugin and cloud credentials. The plugin is not installable where the unit tests run, so this
 * path is tested through liveRulesFromSteps and an injected reader (test/unit/doctor-sg.test.ts).
 */
async function readLiveRules(driver: StackDriver, urns: string[], secrets: string[]): Promise<SecurityGroupRule[]> {
  const r = await driver.preview({ refresh: true, target: urns });
  if (r.errors.length > 0 || (r.code !== 0 && r.steps.length === 0)) {
    throw new Error(redact(r.errors.join("; ") || r.stderr.trim().split("\n").pop() || `pulumi preview exited ${r.code}`, secrets));
  }
  return liveRulesFromSteps(r.steps);
}

/** The target for a deployed stack; on a cloud stack, with the live reader of its security group rules. */
export async function targetFromStack(stack: string, extra: TargetExtras = {}): Promise<DoctorTarget> {
  // one driver for the state and, later, the live reading
  const driver = await StackDriver.open({ name: stack, configFile: extra.configFile });
  const view = await readStack(driver);
  const tg = doctorTarget(view, extra);
  const urns = (view.securityGroupRules ?? []).flatMap((r) => (r.urn ? [r.urn] : []));
  if (urns.length > 0) tg.liveSecurityGroupRules = () => readLiveRules(driver, urns, tg.redact ?? []);
  return tg;
}
