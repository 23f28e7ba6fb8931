// The fleet's policies (fleet-policies.ts) called as the policy host would call them, each on a good
// stack (the fleet as infra/components/fleet-cloud.ts declares it) and on bad ones: every test
// checks the exact violations (message and urn). Plus https-open's exception for a stack with an ALB.
import { describe, expect, it, vi } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { stackArgs, stackResource, stackViolations as violations } from "./test-stack";
import {
  ALB, ALB_LISTENER, ALB_RULE, ALB_SECURITY_POLICY, ALB_SERVER_GROUP,
  albHttpRedirects, albHttpsListener, fleetPolicies, fleetServersInGroup, fleetServersNotWorld,
} from "./fleet-policies";
import { INSTANCE, SECURITY_GROUP, SECURITY_GROUP_RULE, httpsOpen } from "./policies";

const urn = (type: string, name: string) => `urn:pulumi:prod::aistudio::aistudio:cloud:AlicloudServer$aistudio:cloud:ServerFleet$${type}::${name}`;

/** A resource as validateStack sees it; `deps`: its propertyDependencies (policy/test-stack.ts). */
const res = (type: string, name: string, props: Record<string, unknown>, deps: Record<string, PolicyResource[]> = {}) => stackResource(urn, type, name, props, deps);

// ---- the fleet as the component declares it ------------------------------------------------------
const servers = ["aistudio-server", "aistudio-server-2"].map((n) => res(INSTANCE, n, { systemDiskEncrypted: true }));
const alb = res(ALB, "aistudio-alb", { addressType: "Internet" });
const group = res(ALB_SERVER_GROUP, "aistudio-servers", { servers: servers.map((s) => ({ serverType: "Ecs", port: 443, weight: 100 })) }, { servers });
const tls = res(ALB_SECURITY_POLICY, "aistudio-tls", { tlsVersions: ["TLSv1.2", "TLSv1.3"], ciphers: ["ECDHE-RSA-AES128-GCM-SHA256"] });
const https = (props: Record<string, unknown> = {}, deps: Record<string, PolicyResource[]> = { loadBalancerId: [alb], securityPolicyId: [tls] }) =>
  res(ALB_LISTENER, "aistudio-https", { listenerProtocol: "HTTPS", listenerPort: 443, http2Enabled: true, ...props }, deps);
const http = res(ALB_LISTENER, "aistudio-http", { listenerProtocol: "HTTP", listenerPort: 80 }, { loadBalancerId: [alb] });
const redirect = (over: Record<string, unknown> = {}) => res(ALB_RULE, "aistudio-http-to-https", {
  priority: 1,
  ruleConditions: [{ type: "Path", pathConfig: { values: ["/*"] } }],
  ruleActions: [{ order: 1, type: "Redirect", redirectConfig: { protocol: "HTTPS", port: "443", httpCode: "301" } }],
  ...over,
}, { listenerId: [http] });
const sg = res(SECURITY_GROUP, "aistudio-sg", {});
const rule = (name: string, port: number, cidrIp: string) =>
  res(SECURITY_GROUP_RULE, name, { type: "ingress", ipProtocol: "tcp", policy: "accept", portRange: `${port}/${port}`, cidrIp }, { securityGroupId: [sg] });
const fromAlb = [rule("aistudio-in-443-172-16-1-0-24", 443, "172.16.1.0/24"), rule("aistudio-in-443-172-16-2-0-24", 443, "172.16.2.0/24"), rule("aistudio-in-22", 22, "203.0.113.7/32")];
const FLEET = [...servers, alb, group, tls, https(), http, redirect(), sg, ...fromAlb];

describe("the fleet's policies", () => {
  it("are four, all mandatory, and in the pack (policy/index.ts)", () => {
    expect(fleetPolicies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["alb-https-listener", "mandatory"], ["alb-http-redirects", "mandatory"], ["fleet-servers-not-world", "mandatory"], ["fleet-servers-in-group", "mandatory"],
    ]);
    expect(fs.readFileSync(path.join(__dirname, "index.ts"), "utf8")).toMatch(/policies: \[\.\.\.policies, \.\.\.fleetPolicies\]/);
  });

  it("pass the fleet as declared, and a stack without a load balancer", async () => {
    for (const p of [...fleetPolicies, httpsOpen]) expect(await violations(p, FLEET), p.name).toEqual([]);
    const single = [servers[0], sg, rule("aistudio-in-443", 443, "0.0.0.0/0"), rule("aistudio-in-80", 80, "0.0.0.0/0")];
    for (const p of fleetPolicies) expect(await violations(p, single), p.name).toEqual([]);
  });
});

describe("alb-https-listener", () => {
  it("accepts ALB's built-in TLS 1.2 policies", async () => {
    for (const id of ["tls_cipher_policy_1_2", "tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3"]) {
      expect(await violations(albHttpsListener, [alb, https({ securityPolicyId: id }, { loadBalancerId: [alb] })]), id).toEqual([]);
    }
  });

  it("rejects a listener without a security policy: ALB's default offers TLS 1.0", async () => {
    const l = https({}, { loadBalancerId: [alb] });
    expect(await violations(albHttpsListener, [alb, l])).toEqual([[
      "HTTPS listener aistudio-https may offer TLS below 1.2: it sets no securityPolicyId, so ALB uses tls_cipher_policy_1_0 (TLS 1.0 and 1.1). Use a SecurityPolicy with tlsVersions TLSv1.2/TLSv1.3 or tls_cipher_policy_1_2, tls_cipher_policy_1_2_strict, tls_cipher_policy_1_2_strict_with_1_3.",
      l.urn,
    ]]);
  });

  it("rejects a custom policy that allows TLS 1.1, and built-in 1.0/1.1 policies", async () => {
    const old = res(ALB_SECURITY_POLICY, "aistudio-tls", { tlsVersions: ["TLSv1.1", "TLSv1.2"] });
    const v = await violations(albHttpsListener, [alb, old, https({}, { loadBalancerId: [alb], securityPolicyId: [old] })]);
    expect(v.map((x) => x[0])).toEqual([expect.stringContaining("its security policy aistudio-tls allows TLSv1.1, TLSv1.2")]);
    for (const id of ["tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "spy-custom"]) {
      expect((await violations(albHttpsListener, [alb, https({ securityPolicyId: id }, { loadBalancerId: [alb] })]))[0][0], id).toContain(`its security policy "${id}" is neither a built-in TLS 1.2 policy`);
    }
  });

  it("rejects an ALB without an HTTPS listener on 443 (only HTTP, or HTTPS on another port)", async () => {
    expect(await violations(albHttpsListener, [alb, http])).toEqual([[
      "load balancer aistudio-alb has no HTTPS listener on 443: WeChat only calls https://<domain> on 443. Declare one (infra/components/fleet-cloud.ts).",
      alb.urn,
    ]]);
    expect((await violations(albHttpsListener, [alb, tls, https({ listenerPort: 8443 })])).map((x) => x[1])).toEqual([alb.urn]);
  });
});

describe("alb-http-redirects", () => {
  it("rejects an HTTP listener without a redirect rule, or whose rule forwards or covers one path", async () => {
    const message = "HTTP listener aistudio-http does not redirect every path to HTTPS: add a rule with a Path condition /* and a Redirect action to protocol HTTPS, port 443 (infra/components/fleet-cloud.ts).";
    expect(await violations(albHttpRedirects, [alb, http])).toEqual([[message, http.urn]]);
    for (const bad of [
      redirect({ ruleActions: [{ order: 1, type: "ForwardGroup" }] }),
      redirect({ ruleActions: [{ order: 1, type: "Redirect", redirectConfig: { protocol: "HTTP" } }] }),
      redirect({ ruleConditions: [{ type: "Path", pathConfig: { values: ["/api/*"] } }] }),
    ]) {
      expect(await violations(albHttpRedirects, [alb, http, bad])).toEqual([[message, http.urn]]);
    }
  });

  it("rejects a redirect rule of another listener", async () => {
    const other = res(ALB_LISTENER, "other-http", { listenerProtocol: "HTTP", listenerPort: 8080 }, { loadBalancerId: [alb] });
    const onOther = res(ALB_RULE, "other-rule", redirect().props, { listenerId: [other] });
    expect((await violations(albHttpRedirects, [alb, http, other, onOther])).map((v) => v[1])).toEqual([http.urn]);
  });
});

describe("fleet-servers-not-world", () => {
  it("rejects 443 or 80 from the world (or from no source) behind a load balancer", async () => {
    const world443 = rule("aistudio-in-443", 443, "0.0.0.0/0");
    const world80 = rule("aistudio-in-80", 80, "0.0.0.0/0");
    const noSource = res(SECURITY_GROUP_RULE, "aistudio-in-all", { type: "ingress", ipProtocol: "all", portRange: "-1/-1" }, { securityGroupId: [sg] });
    expect(await violations(fleetServersNotWorld, [...FLEET, world443, world80, noSource])).toEqual([
      ["aistudio-in-443 admits 443 from the whole Internet to servers behind a load balancer: admit 443 from the ALB's vSwitches only (infra/components/cloud.ts ingressRules).", world443.urn],
      ["aistudio-in-80 admits 80 from the whole Internet to servers behind a load balancer: admit 443 from the ALB's vSwitches only (infra/components/cloud.ts ingressRules).", world80.urn],
      ["aistudio-in-all admits 80 and 443 from the whole Internet to servers behind a load balancer: admit 443 from the ALB's vSwitches only (infra/components/cloud.ts ingressRules).", noSource.urn],
    ]);
  });

  it("accepts world rules that are dropped or egress", async () => {
    const dropped = res(SECURITY_GROUP_RULE, "drop-443", { type: "ingress", ipProtocol: "tcp", policy: "drop", portRange: "443/443", cidrIp: "0.0.0.0/0" });
    const egress = res(SECURITY_GROUP_RULE, "out-443", { type: "egress", ipProtocol: "tcp", portRange: "443/443", cidrIp: "0.0.0.0/0" });
    expect(await violations(fleetServersNotWorld, [...FLEET, dropped, egress])).toEqual([]);
  });
});

describe("fleet-servers-in-group", () => {
  it("rejects a server left out of the group", async () => {
    const third = res(INSTANCE, "aistudio-server-3", { systemDiskEncrypted: true });
    expect(await violations(fleetServersInGroup, [...FLEET, third])).toEqual([[
      "server aistudio-server-3 is in no ALB server group: the load balancer would never send it a request, and a rollout would not see it. Add it to the group's servers (infra/components/fleet-cloud.ts).",
      third.urn,
    ]]);
  });

  it("rejects a server without a weight (ALB's default 0)", async () => {
    const noWeight = res(ALB_SERVER_GROUP, "aistudio-servers", { servers: [{ serverType: "Ecs", port: 443, weight: 100 }, { serverType: "Ecs", port: 443 }] }, { servers });
    expect(await violations(fleetServersInGroup, [...servers, noWeight])).toEqual([[
      "server 2 of aistudio-servers has no weight: ALB's default is 0, no requests. Set weight (e.g. 100).",
      noWeight.urn,
    ]]);
  });
});

describe("https-open with a load balancer", () => {
  it("does not ask the servers' group for 443 from the world when an ALB serves the stack, and still does without one", async () => {
    const report = vi.fn<ReportViolation>();
    await httpsOpen.validateStack(stackArgs(FLEET), report);
    expect(report).not.toHaveBeenCalled();
    await httpsOpen.validateStack(stackArgs(FLEET.filter((r) => r.type !== ALB)), report);
    expect(report.mock.calls.map((c) => c[1])).toEqual([sg.urn]);
  });
});
