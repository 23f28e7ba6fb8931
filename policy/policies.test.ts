// Each policy called directly, as the policy host would call it: a fake args object and a
// reportViolation spy. Every test checks the exact violations (message and urn).
import { describe, expect, it, vi } from "vitest";
import type { PolicyResource, ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { stackArgs, stackResource as sharedStackResource, stackViolations as violationsOf } from "./test-stack";
import {
  BUCKET, BUCKET_ACL, DISK, INSTANCE, RDS_INSTANCE, SECURITY_GROUP, SECURITY_GROUP_RULE, RuleProps,
  dataDiskEncrypted, encryptedSystemDisk, httpsOpen, noAppPort, noSshFromWorld, ossBucketPrivate, ossBucketVersioned,
  parsePortRange, policies, portRangeContains, rdsWhitelistPrivate, sshAdminNetworks, wideRdsEntries,
} from "./policies";

const urn = (type: string, name: string) => `urn:pulumi:prod::aistudio::aistudio:cloud:AlicloudServer$${type}::${name}`;

/** A resource as validateResource sees it. */
function resourceArgs(type: string, name: string, props: Record<string, unknown>): ResourceValidationArgs {
  return {
    type,
    name,
    props,
    urn: urn(type, name),
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason}`);
    },
  };
}

/** Runs a resource policy and returns the messages it reported. */
function violations(policy: { validateResource?: ResourceValidation | ResourceValidation[] }, args: ResourceValidationArgs): string[] {
  const report = vi.fn<ReportViolation>();
  const fns = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const f of fns) f(args, report);
  return report.mock.calls.map((c) => c[0]);
}

const rule = (name: string, props: RuleProps) => resourceArgs(SECURITY_GROUP_RULE, name, props as Record<string, unknown>);
const ours = (port: number, cidrIp: string): RuleProps => ({
  type: "ingress", ipProtocol: "tcp", nicType: "intranet", policy: "accept", portRange: `${port}/${port}`, priority: 1, cidrIp,
} as RuleProps);

// ---- stack resources for validateStack (policy/test-stack.ts) -------------------------------------
const stackResource = (type: string, name: string, props: Record<string, unknown>, deps: Record<string, PolicyResource[]> = {}) =>
  sharedStackResource(urn, type, name, props, deps);
const stackViolations = (resources: PolicyResource[]) => violationsOf(httpsOpen, resources);

const sg = stackResource(SECURITY_GROUP, "aistudio-sg", { securityGroupName: "aistudio-web", vpcId: "vpc-1" });
/** A rule of `group` (wired as the engine reports it: securityGroupId depends on the group). */
const sgRule = (name: string, props: RuleProps, group: PolicyResource = sg) =>
  stackResource(SECURITY_GROUP_RULE, name, { ...props, securityGroupId: undefined }, { securityGroupId: [group] });

describe("the pack", () => {
  it("has the nine policies, all mandatory but bucket versioning (advisory)", () => {
    expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["https-open", "mandatory"],
      ["no-ssh-from-world", "mandatory"],
      ["ssh-admin-networks", "mandatory"],
      ["no-app-port", "mandatory"],
      ["encrypted-system-disk", "mandatory"],
      ["data-disk-encrypted", "mandatory"],
      ["oss-bucket-private", "mandatory"],
      ["oss-bucket-versioned", "advisory"],
      ["rds-whitelist-private", "mandatory"],
    ]);
  });

  it("reads port ranges like Alibaba Cloud writes them", () => {
    expect(parsePortRange("443/443")).toEqual({ from: 443, to: 443 });
    expect(parsePortRange("-1/-1")).toEqual({ from: 1, to: 65535 });
    expect(parsePortRange("22")).toBeUndefined();
    expect(portRangeContains("7000/9000", 8000)).toBe(true);
    expect(portRangeContains("1/65535", 22)).toBe(true);
    expect(portRangeContains("8001/8080", 8000)).toBe(false);
    expect(portRangeContains(undefined, 8000)).toBe(true); // unreadable: fails closed
  });
});

describe("https-open (stack)", () => {
  it("passes the component's rules: 443 and 80 from the world, 22 from an admin CIDR", async () => {
    expect(await stackViolations([sg, sgRule("in-443", ours(443, "0.0.0.0/0")), sgRule("in-80", ours(80, "0.0.0.0/0")), sgRule("in-22", ours(22, "203.0.113.10/32"))])).toEqual([]);
  });

  it("passes when there is no security group at all (the local stack)", async () => {
    const step = stackResource("pulumi-nodejs:dynamic:Resource", "aistudio-nginx", { stepId: "nginx" });
    expect(await stackViolations([step])).toEqual([]);
    expect(await stackViolations([])).toEqual([]);
  });

  it("rejects a group without 443 (only 80 and 22): the guide's first failure", async () => {
    expect(await stackViolations([sg, sgRule("in-80", ours(80, "0.0.0.0/0")), sgRule("in-22", ours(22, "203.0.113.10/32"))])).toEqual([
      [
        "security group aistudio-sg has no ingress rule allowing tcp 443 from 0.0.0.0/0. WeChat mini programs only call https://<domain> on port 443 (request合法域名); add the rule (infra/components/cloud.ts ingressRules) instead of removing this policy.",
        sg.urn,
      ],
    ]);
  });

  it("rejects a group with no rules at all", async () => {
    expect((await stackViolations([sg])).map((v) => v[1])).toEqual([sg.urn]);
  });

  it("does not count 443 from an office CIDR, over udp, as egress, or dropped", async () => {
    for (const bad of [
      ours(443, "203.0.113.0/24"),
      { ...ours(443, "0.0.0.0/0"), ipProtocol: "udp" },
      { ...ours(443, "0.0.0.0/0"), type: "egress" },
      { ...ours(443, "0.0.0.0/0"), policy: "drop" },
    ]) {
      expect(await stackViolations([sg, sgRule("in", bad)]), JSON.stringify(bad)).toHaveLength(1);
    }
  });

  it("counts a missing cidrIp (no source group) as 0.0.0.0/0 and a wider range with 443", async () => {
    const { cidrIp: _omit, ...noSource } = ours(443, "x");
    expect(await stackViolations([sg, sgRule("in-443", noSource)])).toEqual([]);
    expect(await stackViolations([sg, sgRule("in-web", { ...ours(443, "0.0.0.0/0"), portRange: "80/443" })])).toEqual([]);
  });

  it("checks each group: a 443 rule on another group does not count", async () => {
    const other = stackResource(SECURITY_GROUP, "other-sg", {});
    const v = await stackViolations([sg, other, sgRule("in-443", ours(443, "0.0.0.0/0"), other)]);
    expect(v.map((x) => x[1])).toEqual([sg.urn]);
  });

  it("adopt mode: rules on a literal group id are checked against that id", async () => {
    const literal = (name: string, props: RuleProps) => stackResource(SECURITY_GROUP_RULE, name, { ...props, securityGroupId: "sg-bp1abc" });
    expect(await stackViolations([literal("in-443", ours(443, "0.0.0.0/0")), literal("in-80", ours(80, "0.0.0.0/0"))])).toEqual([]);
    const v = await stackViolations([literal("in-80", ours(80, "0.0.0.0/0"))]);
    expect(v).toHaveLength(1);
    expect(v[0][0]).toMatch(/^security group sg-bp1abc has no ingress rule allowing tcp 443 from 0\.0\.0\.0\/0/);
    expect(v[0][1]).toBeUndefined();
  });
});

describe("no-ssh-from-world", () => {
  it("accepts 22 from an admin CIDR and 443/80 from the world", () => {
    expect(violations(noSshFromWorld, rule("in-22", ours(22, "203.0.113.10/32")))).toEqual([]);
    expect(violations(noSshFromWorld, rule("in-443", ours(443, "0.0.0.0/0")))).toEqual([]);
    expect(violations(noSshFromWorld, rule("in-80", ours(80, "0.0.0.0/0")))).toEqual([]);
  });

  it("rejects 22 from 0.0.0.0/0", () => {
    expect(violations(noSshFromWorld, rule("aistudio-in-22", ours(22, "0.0.0.0/0")))).toEqual([
      "aistudio-in-22 opens SSH to the whole Internet (tcp 22/22 from 0.0.0.0/0). Allow 22 only from your admin networks: `pulumi config set --path 'aistudio:firewall.adminCidrs[0]' 203.0.113.10/32`.",
    ]);
  });

  it("rejects 22 with no source (missing cidrIp means 0.0.0.0/0), and ranges or all-protocol rules that include 22", () => {
    const { cidrIp: _omit, ...noSource } = ours(22, "x");
    expect(violations(noSshFromWorld, rule("nosrc", noSource))).toEqual([
      "nosrc opens SSH to the whole Internet (tcp 22/22 from (no source = 0.0.0.0/0)). Allow 22 only from your admin networks: `pulumi config set --path 'aistudio:firewall.adminCidrs[0]' 203.0.113.10/32`.",
    ]);
    expect(violations(noSshFromWorld, rule("range", { ...ours(22, "0.0.0.0/0"), portRange: "1/65535" }))).toHaveLength(1);
    expect(violations(noSshFromWorld, rule("all", { ...ours(22, "0.0.0.0/0"), ipProtocol: "all", portRange: "-1/-1" }))).toHaveLength(1);
    expect(violations(noSshFromWorld, rule("v6", { ...ours(22, "x"), cidrIp: undefined, ipv6CidrIp: "::/0" }))).toHaveLength(1);
  });

  it("ignores a source security group, drop rules, egress, udp and other resources", () => {
    const { cidrIp: _omit, ...noSource } = ours(22, "x");
    expect(violations(noSshFromWorld, rule("peer", { ...noSource, sourceSecurityGroupId: "sg-bastion" }))).toEqual([]);
    expect(violations(noSshFromWorld, rule("drop", { ...ours(22, "0.0.0.0/0"), policy: "drop" }))).toEqual([]);
    expect(violations(noSshFromWorld, rule("egress", { ...ours(22, "0.0.0.0/0"), type: "egress" }))).toEqual([]);
    expect(violations(noSshFromWorld, rule("udp", { ...ours(22, "0.0.0.0/0"), ipProtocol: "udp" }))).toEqual([]);
    expect(violations(noSshFromWorld, resourceArgs(INSTANCE, "server", { portRange: "22/22" }))).toEqual([]);
  });
});

describe("ssh-admin-networks (stack)", () => {
  /** Runs the policy over the resources (with the pack's config) and returns [message, urn] pairs. */
  async function admin(resources: PolicyResource[], config: Record<string, unknown> = {}): Promise<[string, string | undefined][]> {
    const report = vi.fn<ReportViolation>();
    await sshAdminNetworks.validateStack({ ...stackArgs(resources), getConfig: <T extends object>() => config as T }, report);
    return report.mock.calls.map((c) => [c[0], c[1]]);
  }
  const ssh = (name: string, cidr: string) => sgRule(name, ours(22, cidr));
  const FIX = "Allow 22 only from your admin networks (aistudio:firewall.adminCidrs, e.g. 203.0.113.10/32); to admit wider networks on purpose, " +
    "raise the limit for both the config (aistudio:firewall.minAdminPrefix) and this pack (its minAdminPrefix).";

  it("passes the component's rules and a few office networks (a /16 at most, together)", async () => {
    expect(await admin([sg, sgRule("in-443", ours(443, "0.0.0.0/0")), ssh("in-22", "203.0.113.10/32")])).toEqual([]);
    expect(await admin([sg, ssh("a", "10.0.0.0/17"), ssh("b", "10.0.128.0/17")])).toEqual([]);
    expect(await admin([sg, ssh("a", "10.0.0.0/16")])).toEqual([]);
  });

  it("rejects one rule wider than a /16", async () => {
    const wide = ssh("aistudio-in-22-10-0-0-0-8", "10.0.0.0/8");
    expect(await admin([sg, wide])).toEqual([[`aistudio-in-22-10-0-0-0-8 admits SSH from 10.0.0.0/8, a /8 (16777216 addresses), wider than a /16. ${FIX}`, wide.urn]]);
  });

  it("rejects two halves of the Internet: each rule, and the two together like 0.0.0.0/0", async () => {
    const lo = ssh("lo", "0.0.0.0/1");
    const hi = ssh("hi", "128.0.0.0/1");
    expect(await admin([sg, lo, hi])).toEqual([
      [`lo admits SSH from 0.0.0.0/1, a /1 (2147483648 addresses), wider than a /16. ${FIX}`, lo.urn],
      [`hi admits SSH from 128.0.0.0/1, a /1 (2147483648 addresses), wider than a /16. ${FIX}`, hi.urn],
      [`the SSH rules of security group aistudio-sg together admit the whole Internet, like 0.0.0.0/0: 0.0.0.0/1 + 128.0.0.0/1. ${FIX}`, sg.urn],
    ]);
  });

  it("rejects narrow rules that together admit more than a /16 (three /17s), counting overlaps once", async () => {
    expect(await admin([sg, ssh("a", "10.0.0.0/17"), ssh("b", "10.0.128.0/17"), ssh("c", "10.1.0.0/17")])).toEqual([
      [`the SSH rules of security group aistudio-sg together admit 98304 addresses, more than one /16 (65536): 10.0.0.0/17 + 10.0.128.0/17 + 10.1.0.0/17. ${FIX}`, sg.urn],
    ]);
    expect(await admin([sg, ssh("a", "10.0.0.0/17"), ssh("b", "10.0.0.0/17"), ssh("c", "10.0.64.0/18")])).toEqual([]);
  });

  it("takes the limit from the pack's config (minAdminPrefix)", async () => {
    expect(await admin([sg, ssh("a", "10.0.0.0/12")], { minAdminPrefix: 8 })).toEqual([]);
    expect(await admin([sg, ssh("a", "203.0.113.0/24")], { minAdminPrefix: 28 })).toHaveLength(1);
  });

  it("measures each group on its own, and only accepted tcp ingress to 22 from an IPv4 source", async () => {
    const other = stackResource(SECURITY_GROUP, "other-sg", {});
    expect(await admin([sg, other, ssh("a", "10.0.0.0/17"), ssh("b", "10.0.128.0/17"), sgRule("c", ours(22, "10.1.0.0/17"), other)])).toEqual([]);
    const { cidrIp: _omit, ...noSource } = ours(22, "x");
    expect(await admin([sg,
      ssh("world", "0.0.0.0/0"), // no-ssh-from-world's
      sgRule("nosrc", noSource),
      sgRule("drop", { ...ours(22, "10.0.0.0/8"), policy: "drop" }),
      sgRule("egress", { ...ours(22, "10.0.0.0/8"), type: "egress" }),
      sgRule("udp", { ...ours(22, "10.0.0.0/8"), ipProtocol: "udp" }),
      sgRule("web", ours(443, "10.0.0.0/8")),
    ])).toEqual([]);
    expect((await admin([sg, sgRule("range", { ...ours(22, "10.0.0.0/8"), portRange: "1/1024" })])).map((v) => v[0])).toEqual([expect.stringMatching(/^range admits SSH from 10\.0\.0\.0\/8/)]);
  });

  it("reports a source it cannot measure", async () => {
    const odd = ssh("odd", "10.0.0.0/8 ");
    expect(await admin([sg, ssh("garbled", "10.0.0/8")])).toEqual([[`garbled admits SSH from "10.0.0/8", which is not an IPv4 CIDR this policy can measure. ${FIX}`, expect.any(String)]]);
    expect(await admin([sg, odd])).toHaveLength(1); // trimmed, then measured: a /8
  });
});

describe("no-app-port", () => {
  it("accepts the component's rules", () => {
    for (const [p, c] of [[443, "0.0.0.0/0"], [80, "0.0.0.0/0"], [22, "203.0.113.10/32"]] as const) {
      expect(violations(noAppPort, rule(`in-${p}`, ours(p, c)))).toEqual([]);
    }
    expect(violations(noAppPort, rule("near", { ...ours(8001, "0.0.0.0/0"), portRange: "8001/8080" }))).toEqual([]);
    expect(violations(noAppPort, rule("icmp", { ...ours(0, "0.0.0.0/0"), ipProtocol: "icmp", portRange: "-1/-1" }))).toEqual([]);
  });

  it("rejects 8000 from anywhere, even from an admin CIDR", () => {
    expect(violations(noAppPort, rule("aistudio-in-8000", ours(8000, "203.0.113.10/32")))).toEqual([
      "aistudio-in-8000 admits port 8000 (tcp 8000/8000 from 203.0.113.10/32). The app is served by nginx on 443 only; open single ports (443/443, 80/80), not ranges that include 8000.",
    ]);
  });

  it("rejects ranges that include 8000 and all-protocol rules", () => {
    expect(violations(noAppPort, rule("wide", { ...ours(0, "0.0.0.0/0"), portRange: "1/65535" }))).toEqual([
      "wide admits port 8000 (tcp 1/65535 from 0.0.0.0/0). The app is served by nginx on 443 only; open single ports (443/443, 80/80), not ranges that include 8000.",
    ]);
    expect(violations(noAppPort, rule("mid", { ...ours(0, "0.0.0.0/0"), portRange: "7000/9000" }))).toHaveLength(1);
    expect(violations(noAppPort, rule("udp", { ...ours(0, "0.0.0.0/0"), ipProtocol: "udp", portRange: "7000/9000" }))).toHaveLength(1);
    expect(violations(noAppPort, rule("all", { ...ours(0, "0.0.0.0/0"), ipProtocol: "all", portRange: "-1/-1" }))).toEqual([
      "all admits port 8000 (all -1/-1 from 0.0.0.0/0). The app is served by nginx on 443 only; open single ports (443/443, 80/80), not ranges that include 8000.",
    ]);
  });
});

describe("encrypted-system-disk", () => {
  it("accepts systemDiskEncrypted true", () => {
    expect(violations(encryptedSystemDisk, resourceArgs(INSTANCE, "aistudio-server", { systemDiskEncrypted: true, instanceType: "ecs.e-c1m2.large" }))).toEqual([]);
  });

  it("rejects a missing or false systemDiskEncrypted", () => {
    const msg = "aistudio-server has an unencrypted system disk: set systemDiskEncrypted: true (it holds the app's secrets and TLS key).";
    expect(violations(encryptedSystemDisk, resourceArgs(INSTANCE, "aistudio-server", { instanceType: "ecs.e-c1m2.large" }))).toEqual([msg]);
    expect(violations(encryptedSystemDisk, resourceArgs(INSTANCE, "aistudio-server", { systemDiskEncrypted: false }))).toEqual([msg]);
  });

  it("ignores other resource types", () => {
    expect(violations(encryptedSystemDisk, resourceArgs(SECURITY_GROUP, "aistudio-sg", {}))).toEqual([]);
  });
});

describe("data-disk-encrypted", () => {
  const disk = (props: Record<string, unknown>) => resourceArgs(DISK, "aistudio-data", { zoneId: "cn-hangzhou-i", category: "cloud_essd", size: 40, ...props });
  const msg = "aistudio-data is an unencrypted data disk: set encrypted: true (it holds the app's database and uploads; encryption cannot be added to an existing disk).";

  it("accepts an encrypted disk", () => {
    expect(violations(dataDiskEncrypted, disk({ encrypted: true }))).toEqual([]);
  });

  it("rejects a disk without encrypted, or with encrypted false (or a string)", () => {
    expect(violations(dataDiskEncrypted, disk({}))).toEqual([msg]);
    expect(violations(dataDiskEncrypted, disk({ encrypted: false }))).toEqual([msg]);
    expect(violations(dataDiskEncrypted, disk({ encrypted: "true" }))).toEqual([msg]);
  });

  it("ignores instances (encrypted-system-disk's) and other types", () => {
    expect(violations(dataDiskEncrypted, resourceArgs(INSTANCE, "aistudio-server", {}))).toEqual([]);
  });
});

describe("oss-bucket-private", () => {
  it("accepts a bucket without acl (private by default) and private ACLs", () => {
    expect(violations(ossBucketPrivate, resourceArgs(BUCKET, "aistudio-backup", { bucket: "photogooo-backup", versioning: { status: "Enabled" } }))).toEqual([]);
    expect(violations(ossBucketPrivate, resourceArgs(BUCKET, "b", { bucket: "b", acl: "private" }))).toEqual([]);
    expect(violations(ossBucketPrivate, resourceArgs(BUCKET_ACL, "aistudio-backup-acl", { bucket: "photogooo-backup", acl: "private" }))).toEqual([]);
  });

  it("rejects a public-read bucket acl", () => {
    expect(violations(ossBucketPrivate, resourceArgs(BUCKET, "aistudio-backup", { bucket: "photogooo-backup", acl: "public-read" }))).toEqual([
      "aistudio-backup makes bucket photogooo-backup public-read: anyone could read the backups. Use acl private; the backup client signs its requests.",
    ]);
  });

  it("rejects a public BucketAcl resource, whatever the case or spacing", () => {
    expect(violations(ossBucketPrivate, resourceArgs(BUCKET_ACL, "acl", { bucket: "photogooo-backup", acl: "public-read-write" }))).toEqual([
      "acl makes bucket photogooo-backup public-read-write: anyone could read the backups. Use acl private; the backup client signs its requests.",
    ]);
    expect(violations(ossBucketPrivate, resourceArgs(BUCKET_ACL, "acl", { bucket: "b", acl: " Public-Read " }))).toHaveLength(1);
  });

  it("ignores other resources with an acl field", () => {
    expect(violations(ossBucketPrivate, resourceArgs("alicloud:oss/bucketObject:BucketObject", "o", { bucket: "b", acl: "public-read" }))).toEqual([]);
  });
});

describe("oss-bucket-versioned (advisory)", () => {
  it("accepts versioning Enabled", () => {
    expect(violations(ossBucketVersioned, resourceArgs(BUCKET, "aistudio-backup", { bucket: "b", versioning: { status: "Enabled" } }))).toEqual([]);
  });

  it("reports a bucket without versioning or with it suspended", () => {
    expect(violations(ossBucketVersioned, resourceArgs(BUCKET, "aistudio-backup", { bucket: "b" }))).toEqual([
      'aistudio-backup does not keep old versions (versioning unset): set versioning: { status: "Enabled" } with a lifecycle rule that expires noncurrent versions.',
    ]);
    expect(violations(ossBucketVersioned, resourceArgs(BUCKET, "x", { versioning: { status: "Suspended" } }))).toEqual([
      'x does not keep old versions (versioning Suspended): set versioning: { status: "Enabled" } with a lifecycle rule that expires noncurrent versions.',
    ]);
  });

  it("ignores BucketAcl resources", () => {
    expect(violations(ossBucketVersioned, resourceArgs(BUCKET_ACL, "acl", { bucket: "b", acl: "private" }))).toEqual([]);
  });
});

describe("rds-whitelist-private", () => {
  const rds = (securityIps: unknown) => resourceArgs(RDS_INSTANCE, "aistudio-db", { engine: "PostgreSQL", securityIps });

  it("accepts the server's private IP as a /32 or bare, a /16 network, and an unset whitelist (127.0.0.1)", () => {
    expect(violations(rdsWhitelistPrivate, rds(["172.16.1.23/32"]))).toEqual([]);
    expect(violations(rdsWhitelistPrivate, rds(["172.16.1.23", "10.0.0.0/16"]))).toEqual([]);
    expect(violations(rdsWhitelistPrivate, rds(undefined))).toEqual([]);
  });

  it("rejects the world, written either way", () => {
    expect(violations(rdsWhitelistPrivate, rds(["172.16.1.23/32", "0.0.0.0/0"]))).toEqual([
      'aistudio-db admits "0.0.0.0/0" to the database: the whitelist may hold the server\'s private IP (/32) or networks of at most a /16, never the world (infra/components/data-cloud.ts rdsWhitelist).',
    ]);
    expect(violations(rdsWhitelistPrivate, rds(["0.0.0.0"]))).toHaveLength(1);
  });

  it("rejects networks wider than a /16, also inside a comma-separated entry, and entries it cannot read", () => {
    expect(wideRdsEntries(["10.0.0.0/8"])).toEqual(["10.0.0.0/8"]);
    expect(wideRdsEntries(["172.16.1.23/32,0.0.0.0/1"])).toEqual(["0.0.0.0/1"]);
    expect(wideRdsEntries("172.16.1.23,10.0.0.0/15")).toEqual(["10.0.0.0/15"]);
    expect(wideRdsEntries(["my-server"])).toEqual(["my-server"]);
    expect(violations(rdsWhitelistPrivate, rds(["10.0.0.0/8"]))).toHaveLength(1);
  });

  it("ignores ECS instances", () => {
    expect(violations(rdsWhitelistPrivate, resourceArgs(INSTANCE, "aistudio-server", { securityIps: ["0.0.0.0/0"] }))).toEqual([]);
  });
});
