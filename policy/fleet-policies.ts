// The rules of a fleet behind an Alibaba Cloud ALB (servers.count > 1, issue #15), checked with the
// rest of the pack (policy/index.ts). A stack without an ALB (one server) has nothing to check here.
//
//   alb-https-listener       every ALB has an HTTPS listener on 443, and every HTTPS listener a TLS
//                            security policy of TLS 1.2 or later only: a built-in tls_cipher_policy_1_2*
//                            or an in-stack SecurityPolicy whose tlsVersions are TLSv1.2/TLSv1.3 (none
//                            set is ALB's default, tls_cipher_policy_1_0)
//   alb-http-redirects       an HTTP listener redirects every path to HTTPS (a rule with a Redirect to
//                            HTTPS for /*): no request is served over plain HTTP
//   fleet-servers-not-world  behind a load balancer no security group rule admits 80 or 443 from the
//                            world: the servers take HTTPS from the ALB's vSwitches only
//   fleet-servers-in-group   every ECS instance is a server of an ALB server group, with a weight (ALB's
//                            default weight is 0: a server without one gets no requests)
//
// Which listener belongs to which ALB, which rule to which listener and which instance is in a group
// is read from the engine's propertyDependencies (ids are unknown in a preview).
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { INSTANCE, LOAD_BALANCER, RuleProps, SECURITY_GROUP_RULE, admitsTcpPort, fromWorld, isAcceptingIngress } from "./policies";

export const ALB = LOAD_BALANCER;
export const ALB_LISTENER = "alicloud:alb/listener:Listener";
export const ALB_RULE = "alicloud:alb/rule:Rule";
export const ALB_SERVER_GROUP = "alicloud:alb/serverGroup:ServerGroup";
export const ALB_SECURITY_POLICY = "alicloud:alb/securityPolicy:SecurityPolicy";

/** ALB's built-in policies that offer no TLS version below 1.2. */
export const TLS12_BUILTIN_POLICIES = ["tls_cipher_policy_1_2", "tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3"];
const MODERN_TLS = ["TLSv1.2", "TLSv1.3"];

/** The in-stack resources of `type` that the property `prop` of `r` refers to. */
function refersTo(r: PolicyResource, prop: string, type: string, all: PolicyResource[]): PolicyResource[] {
  const urns = new Set((r.propertyDependencies?.[prop] ?? []).filter((d) => d.type === type).map((d) => d.urn));
  return all.filter((x) => urns.has(x.urn));
}

const ofType = (args: StackValidationArgs, type: string) => args.resources.filter((r) => r.type === type);
const protocolOf = (l: PolicyResource) => String(l.props.listenerProtocol ?? "").toUpperCase();

/** Why a listener's security policy may offer TLS below 1.2, or undefined when it cannot. */
export function weakTlsPolicy(listener: PolicyResource, all: PolicyResource[]): string | undefined {
  const id = listener.props.securityPolicyId;
  const custom = refersTo(listener, "securityPolicyId", ALB_SECURITY_POLICY, all)[0];
  if (custom) {
    const versions = (custom.props.tlsVersions as string[] | undefined) ?? [];
    if (versions.length > 0 && versions.every((v) => MODERN_TLS.includes(v))) return undefined;
    return `its security policy ${custom.name} allows ${versions.length > 0 ? versions.join(", ") : "no listed TLS version"}`;
  }
  if (typeof id === "string" && TLS12_BUILTIN_POLICIES.includes(id)) return undefined;
  if (id === undefined || id === null || id === "") return "it sets no securityPolicyId, so ALB uses tls_cipher_policy_1_0 (TLS 1.0 and 1.1)";
  return `its security policy ${JSON.stringify(id)} is neither a built-in TLS 1.2 policy nor a SecurityPolicy of this stack`;
}

export const albHttpsListener: StackValidationPolicy = {
  name: "alb-https-listener",
  description: "Every ALB has an HTTPS listener on 443, and every HTTPS listener a security policy of TLS 1.2 or later only.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    const listeners = ofType(args, ALB_LISTENER);
    for (const alb of ofType(args, ALB)) {
      const https = listeners.filter((l) => protocolOf(l) === "HTTPS" && Number(l.props.listenerPort) === 443 && refersTo(l, "loadBalancerId", ALB, args.resources).includes(alb));
      if (https.length === 0) {
        reportViolation(`load balancer ${alb.name} has no HTTPS listener on 443: WeChat only calls https://<domain> on 443. Declare one (infra/components/fleet-cloud.ts).`, alb.urn);
      }
    }
    for (const l of listeners.filter((x) => protocolOf(x) === "HTTPS")) {
      const weak = weakTlsPolicy(l, args.resources);
      if (weak) {
        reportViolation(`HTTPS listener ${l.name} may offer TLS below 1.2: ${weak}. Use a SecurityPolicy with tlsVersions TLSv1.2/TLSv1.3 or ${TLS12_BUILTIN_POLICIES.join(", ")}.`, l.urn);
      }
    }
  },
};

/** Whether an ALB rule sends every path to HTTPS. */
function redirectsAllToHttps(rule: PolicyResource): boolean {
  const actions = (rule.props.ruleActions as { type?: string; redirectConfig?: { protocol?: string } }[] | undefined) ?? [];
  const conditions = (rule.props.ruleConditions as { type?: string; pathConfig?: { values?: string[] } }[] | undefined) ?? [];
  const redirect = actions.some((a) => a.type === "Redirect" && String(a.redirectConfig?.protocol ?? "").toUpperCase() === "HTTPS");
  const everyPath = conditions.length === 1 && conditions[0].type === "Path" && (conditions[0].pathConfig?.values ?? []).includes("/*");
  return redirect && everyPath;
}

export const albHttpRedirects: StackValidationPolicy = {
  name: "alb-http-redirects",
  description: "An ALB's HTTP listener redirects every path to HTTPS: nothing is served over plain HTTP.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    const rules = ofType(args, ALB_RULE);
    for (const l of ofType(args, ALB_LISTENER).filter((x) => protocolOf(x) === "HTTP")) {
      if (!rules.some((r) => refersTo(r, "listenerId", ALB_LISTENER, args.resources).includes(l) && redirectsAllToHttps(r))) {
        reportViolation(`HTTP listener ${l.name} does not redirect every path to HTTPS: add a rule with a Path condition /* and a Redirect action to protocol HTTPS, port 443 (infra/components/fleet-cloud.ts).`, l.urn);
      }
    }
  },
};

export const fleetServersNotWorld: StackValidationPolicy = {
  name: "fleet-servers-not-world",
  description: "Behind a load balancer, no security group rule admits 80 or 443 from the world: the servers take HTTPS from the ALB only.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    if (ofType(args, ALB).length === 0) return;
    for (const rule of ofType(args, SECURITY_GROUP_RULE)) {
      const r = rule.props as RuleProps;
      const ports = [80, 443].filter((p) => admitsTcpPort(r, p));
      if (isAcceptingIngress(r) && ports.length > 0 && fromWorld(r)) {
        reportViolation(`${rule.name} admits ${ports.join(" and ")} from the whole Internet to servers behind a load balancer: admit 443 from the ALB's vSwitches only (infra/components/cloud.ts ingressRules).`, rule.urn);
      }
    }
  },
};

export const fleetServersInGroup: StackValidationPolicy = {
  name: "fleet-servers-in-group",
  description: "With an ALB server group, every ECS instance is one of its servers, each with a weight.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    const groups = ofType(args, ALB_SERVER_GROUP);
    if (groups.length === 0) return;
    const inGroup = new Set(groups.flatMap((g) => refersTo(g, "servers", INSTANCE, args.resources).map((i) => i.urn)));
    for (const instance of ofType(args, INSTANCE).filter((i) => !inGroup.has(i.urn))) {
      reportViolation(`server ${instance.name} is in no ALB server group: the load balancer would never send it a request, and a rollout would not see it. Add it to the group's servers (infra/components/fleet-cloud.ts).`, instance.urn);
    }
    for (const g of groups) {
      const servers = (g.props.servers as { serverId?: string; weight?: number }[] | undefined) ?? [];
      for (const [i, s] of servers.entries()) {
        if (typeof s.weight !== "number") {
          reportViolation(`server ${i + 1} of ${g.name} has no weight: ALB's default is 0, no requests. Set weight (e.g. 100).`, g.urn);
        }
      }
    }
  },
};

export const fleetPolicies = [albHttpsListener, albHttpRedirects, fleetServersNotWorld, fleetServersInGroup];
