// The security group as it is, not as it was: the rules from the stack state say so (a rule deleted
// in the console since is not seen), and a live reading (a refresh of the rule resources through the
// stack driver) fails a deployed rule that is gone. The Alibaba Cloud provider plugin is not
// installable here, so the live path runs with an injected reader and made-up preview steps.
import { describe, expect, it } from "vitest";
import { CHECKS, CheckResult, DoctorTarget, SecurityGroupRule, firstFailure } from "../../checks/doctor/index";
import { FROM_STATE } from "../../checks/doctor/security-group";
import { liveRulesFromSteps } from "../../stacks/doctor-target";
import type { PlannedStep } from "../../stacks/driver";

const check = CHECKS.find((c) => c.id === "security-group")!;
const base: DoctorTarget = { domain: "photogooo.com", wechat: true, minCertDays: 20 };
const run = async (tg: Partial<DoctorTarget>): Promise<CheckResult> => ({ id: check.id, title: check.title, ms: 0, ...(await check.run({ ...base, ...tg }, {})) });

/** What the last deploy made (infra/components/cloud.ts names each rule by its port). */
const DEPLOYED: SecurityGroupRule[] = [
  { name: "aistudio-in-443", portRange: "443/443", cidrIp: "0.0.0.0/0", policy: "accept", type: "ingress" },
  { name: "aistudio-in-80", portRange: "80/80", cidrIp: "0.0.0.0/0", policy: "accept", type: "ingress" },
  { name: "aistudio-in-22-203-0-113-7-32", portRange: "22/22", cidrIp: "203.0.113.7/32", policy: "accept", type: "ingress" },
];
const reader = (rules: SecurityGroupRule[]) => async () => rules;

describe('check "security-group": where the rules come from', () => {
  it("from the state only: ok, with the note that a rule deleted in the console since is not seen", async () => {
    const r = await run({ securityGroupRules: DEPLOYED });
    expect(r.status).toBe("ok");
    expect(r.found).toBe("443/tcp from 0.0.0.0/0 (from the stack state (last deploy); a rule deleted in the console since is not seen — run `npm run drift`)");
  });

  it("read live and all there: ok, saying it was read from the cloud", async () => {
    expect(await run({ securityGroupRules: DEPLOYED, liveSecurityGroupRules: reader(DEPLOYED) })).toMatchObject({ status: "ok", found: "443/tcp from 0.0.0.0/0 (read from the cloud just now)" });
  });

  it("443 deleted in the console: the state still has it, the live reading fails it, naming the rule", async () => {
    const r = await run({ securityGroupRules: DEPLOYED, liveSecurityGroupRules: reader(DEPLOYED.slice(1)) });
    expect(r.status).toBe("fail");
    expect(r.expected).toBe("the deployed rules: 443/443 0.0.0.0/0, 80/80 0.0.0.0/0, 22/22 203.0.113.7/32");
    expect(r.found).toBe("deleted in the console: aistudio-in-443 443/443 0.0.0.0/0 (read from the cloud just now)");
    expect(r.cause!.en).toBe("deleted in the console since the last deploy: aistudio-in-443 443/443 0.0.0.0/0; with 443 gone, phones cannot connect (net::ERR_CONNECTION_TIMED_OUT)");
    expect(r.fix!.en).toMatch(/^pulumi up restores them \(`npm run drift` lists everything that changed\)/);
    expect(firstFailure([r], "net::ERR_CONNECTION_TIMED_OUT")?.id).toBe("security-group");
    // the same stack without the live reader: the state says all is well, and that it may be stale
    expect((await run({ securityGroupRules: DEPLOYED })).status).toBe("ok");
  });

  it("another deployed rule deleted (80: certbot's renewals): a failure too, without the 443 sentence", async () => {
    const r = await run({ securityGroupRules: DEPLOYED, liveSecurityGroupRules: reader([DEPLOYED[0], DEPLOYED[2]]) });
    expect(r).toMatchObject({ status: "fail", found: "deleted in the console: aistudio-in-80 80/80 0.0.0.0/0 (read from the cloud just now)" });
    expect(r.cause!.en).not.toContain("443 gone");
  });

  it("443 changed in the console (still there, narrowed to one network): judged on the live rule", async () => {
    const narrowed = [{ ...DEPLOYED[0], cidrIp: "10.0.0.0/8" }, ...DEPLOYED.slice(1)];
    const r = await run({ securityGroupRules: DEPLOYED, liveSecurityGroupRules: reader(narrowed) });
    expect(r).toMatchObject({ status: "fail", expected: "ingress 443/tcp from 0.0.0.0/0", found: "443/443 10.0.0.0/8, 80/80 0.0.0.0/0, 22/22 203.0.113.7/32 (read from the cloud just now)" });
  });

  it("rules without names (hand-made targets) are matched by port range and source", async () => {
    const r = await run({ securityGroupRules: [{ portRange: "443/443" }, { portRange: "22/22", cidrIp: "203.0.113.7/32" }], liveSecurityGroupRules: reader([{ portRange: "443/443", cidrIp: "0.0.0.0/0" }]) });
    expect(r.found).toBe("deleted in the console: rule 22/22 203.0.113.7/32 (read from the cloud just now)");
  });

  it("the live reading fails (no credentials, no plugin): the state's verdict, saying why it is not live", async () => {
    const r = await run({ securityGroupRules: DEPLOYED, liveSecurityGroupRules: async () => { throw new Error("error: no resource plugin 'pulumi-resource-alicloud' found\nmore"); } });
    expect(r.status).toBe("ok");
    expect(r.found).toBe(`443/tcp from 0.0.0.0/0 (the cloud could not be read (error: no resource plugin 'pulumi-resource-alicloud' found); ${FROM_STATE})`);
  });
});

describe("stacks/doctor-target liveRulesFromSteps (a preview --refresh of the rule resources)", () => {
  const urn = (name: string) => `urn:pulumi:prod::aistudio-infra::aistudio:cloud:AlicloudServer$alicloud:ecs/securityGroupRule:SecurityGroupRule::${name}`;
  const TYPE = "alicloud:ecs/securityGroupRule:SecurityGroupRule";
  const outputs = (portRange: string, cidrIp: string) => ({ portRange, cidrIp, policy: "accept", type: "ingress", securityGroupId: "sg-bp1abc" });

  it("each rule's refreshed state (oldState of the update-phase step); a rule gone from the cloud is re-created, so absent", () => {
    const steps: PlannedStep[] = [
      // the refresh's own steps: the state before it, ignored
      { op: "refresh", urn: urn("aistudio-in-443"), oldState: { type: TYPE, outputs: outputs("443/443", "0.0.0.0/0") } },
      { op: "refresh", urn: urn("aistudio-in-80"), oldState: { type: TYPE, outputs: outputs("80/80", "0.0.0.0/0") } },
      { op: "create", urn: urn("aistudio-in-443"), newState: { type: TYPE, inputs: outputs("443/443", "0.0.0.0/0") } },
      { op: "update", urn: urn("aistudio-in-80"), oldState: { type: TYPE, outputs: outputs("80/80", "10.0.0.0/8") }, newState: { type: TYPE, inputs: outputs("80/80", "0.0.0.0/0") } },
      { op: "same", urn: urn("aistudio-in-22"), oldState: { type: TYPE, outputs: outputs("22/22", "203.0.113.7/32") } },
      { op: "same", urn: "urn:pulumi:prod::aistudio-infra::alicloud:ecs/instance:Instance::aistudio", oldState: { type: "alicloud:ecs/instance:Instance", outputs: {} } },
    ];
    expect(liveRulesFromSteps(steps)).toEqual([
      { name: "aistudio-in-80", portRange: "80/80", cidrIp: "10.0.0.0/8", policy: "accept", type: "ingress" },
      { name: "aistudio-in-22", portRange: "22/22", cidrIp: "203.0.113.7/32", policy: "accept", type: "ingress" },
    ]);
  });

  it("no steps (nothing refreshed): no live rules", () => {
    expect(liveRulesFromSteps([])).toEqual([]);
  });
});
