// What the doctor checks, taken from a deployed stack: the domain, the server's address and SSH
// access, the trust for test certificates, the security group rules in the state, the app contract
// (port, admin paths), the smoke request, and the secrets to keep out of the evidence.
import type { DoctorTarget } from "../checks/doctor/index";
import { wechatDomainLists } from "../infra/outputs";
import { secretValues } from "../infra/steps";
import { readStack, StackView } from "./read-stack";

export interface TargetExtras {
  miniprogram?: string;
  configFile?: string;
  hostsFile?: string;
}

/** Pure: the doctor's target for a stack view. */
export function doctorTarget(v: StackView, extra: TargetExtras = {}): DoctorTarget {
  const c = v.config;
  const ip = String(v.outputs.publicIp ?? c.server.host);
  return {
    domain: c.domain,
    serverIp: ip,
    connectTo: c.smoke.connectTo ?? (c.target === "local" ? ip : undefined),
    ca: c.tls.caBundle ?? (c.tls.mode === "self-signed" ? "server-cert" : undefined),
    wechat: c.wechat.checks,
    minCertDays: c.wechat.minCertDays,
    tlsMode: c.tls.mode,
    ssh: { host: ip, port: c.server.port, user: c.server.user, hostKey: c.server.hostKey, privateKey: c.server.privateKey },
    securityGroupRules: v.securityGroupRules,
    miniprogramDir: extra.miniprogram,
    hostsFile: extra.hostsFile,
    wechatApp: c.wechat.appId && c.wechat.appSecret ? { appId: c.wechat.appId, appSecret: c.wechat.appSecret } : undefined,
    wechatDomains: wechatDomainLists(c.domain),
    // c.app?: hand-made partial views (test/unit/wechat.test.ts) have no app section
    appPort: c.app?.port,
    admin: c.app?.admin,
    request: c.smoke.request,
    redact: c.app ? secretValues(c) : undefined,
  };
}

export async function targetFromStack(stack: string, extra: TargetExtras = {}): Promise<DoctorTarget> {
  return doctorTarget(await readStack(stack, extra.configFile), extra);
}
