// The rules that keep the server reachable by WeChat and closed to everything else, and its data
// private and encrypted, checked by `pulumi preview/up --policy-pack policy` before anything changes
// on Alibaba Cloud:
//
//   https-open             the server's security group admits tcp 443 from 0.0.0.0/0 (WeChat requires
//                          https://<domain> on 443; the guide's first server-side failure was a group
//                          without it); behind a load balancer WeChat reaches the ALB instead, and the
//                          fleet's rules (policy/fleet-policies.ts) check its listener
//   no-ssh-from-world      no ingress rule opens 22 to 0.0.0.0/0 (or to everyone by omitting the source)
//   ssh-admin-networks     22 is admitted from no more addresses than one /minAdminPrefix network (default
//                          /16), neither by one rule nor by all of a group's rules together (0.0.0.0/1 +
//                          128.0.0.0/1 is 0.0.0.0/0); the config's firewall.adminCidrs rule, measured alike
//   no-app-port            no ingress rule opens 8000: gunicorn listens on 127.0.0.1 behind nginx
//   encrypted-system-disk  ECS instances encrypt their system disk
//   data-disk-encrypted    every ECS data disk (EcsDisk) is encrypted: it holds the database and uploads
//   oss-bucket-private     no OSS bucket is public-read or public-read-write, by its acl field or a
//                          BucketAcl resource: the backup bucket holds every user's data
//   oss-bucket-versioned   (advisory) OSS buckets keep old versions, so a deleted or overwritten backup
//                          can be recovered
//   rds-whitelist-private  an RDS instance's whitelist (securityIps) admits no network wider than a /16,
//                          never the world (0.0.0.0/0, 0.0.0.0); only the server should reach it
//
// Resource types are matched by their type token, so the pack does not load @pulumi/alicloud.
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { ALL_ADDRESSES, Cidr, parseCidr, sizeOfPrefix, unionSize } from "../core/cidr";

export const SECURITY_GROUP = "alicloud:ecs/securityGroup:SecurityGroup";
export const SECURITY_GROUP_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule";
export const INSTANCE = "alicloud:ecs/instance:Instance";
export const DISK = "alicloud:ecs/ecsDisk:EcsDisk";
export const BUCKET = "alicloud:oss/bucket:Bucket";
export const BUCKET_ACL = "alicloud:oss/bucketAcl:BucketAcl";
export const RDS_INSTANCE = "alicloud:rds/instance:Instance";
export const LOAD_BALANCER = "alicloud:alb/loadBalancer:LoadBalancer";

/** The fields of an alicloud.ecs.SecurityGroupRule that decide what it admits. */
export interface RuleProps {
  type?: string;
  ipProtocol?: string;
  portRange?: string;
  cidrIp?: string;
  ipv6CidrIp?: string;
  sourceSecurityGroupId?: string;
  prefixListId?: string;
  policy?: string;
  securityGroupId?: string;
}

/**
 * A rule that lets traffic in: not egress, and not policy "drop" ("accept" is the default). A rule whose
 * type the policy cannot read counts as ingress, so the "must not open" checks fail closed.
 */
export function isAcceptingIngress(r: RuleProps): boolean {
  return r.type !== "egress" && String(r.policy ?? "accept").toLowerCase() !== "drop";
}

const protocol = (r: RuleProps) => String(r.ipProtocol ?? "").toLowerCase();

/** icmp, icmpv6 and gre rules admit no port; anything else (tcp, udp, all, or unreadable) may. */
function hasPorts(r: RuleProps): boolean {
  return !["icmp", "icmpv6", "gre"].includes(protocol(r));
}

/** Parses a port range "FROM/TO"; "-1/-1" (the range of ipProtocol "all") is every port. */
export function parsePortRange(range: string | undefined): { from: number; to: number } | undefined {
  if (typeof range !== "string") return undefined;
  const m = /^\s*(-?\d+)\s*\/\s*(-?\d+)\s*$/.exec(range);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from === -1 && to === -1) return { from: 1, to: 65535 };
  return { from, to };
}

/**
 * Whether a port range admits `port`. A missing or unreadable range counts as every port, so a rule
 * that the policy cannot read fails the "must not open" checks instead of slipping through.
 */
export function portRangeContains(range: string | undefined, port: number): boolean {
  const r = parsePortRange(range);
  return r === undefined || (r.from <= port && port <= r.to);
}

/** Whether the rule may admit `port` over TCP (tcp, all, or an unreadable protocol). */
export function admitsTcpPort(r: RuleProps, port: number): boolean {
  return hasPorts(r) && protocol(r) !== "udp" && portRangeContains(r.portRange, port);
}

const isWorldCidr = (c: string) => /\/0$/.test(c.trim()) || c.trim() === "0.0.0.0" || c.trim() === "::";

/**
 * Whether the rule's source is the whole Internet: cidrIp 0.0.0.0/0 (or ipv6CidrIp ::/0), or no source
 * at all (no cidrIp, no ipv6CidrIp, no source security group, no prefix list), which Alibaba Cloud
 * treats as 0.0.0.0/0.
 */
export function fromWorld(r: RuleProps): boolean {
  const set = (v?: string) => typeof v === "string" && v.trim() !== "";
  if (set(r.cidrIp) && isWorldCidr(r.cidrIp!)) return true;
  if (set(r.ipv6CidrIp) && isWorldCidr(r.ipv6CidrIp!)) return true;
  return !set(r.cidrIp) && !set(r.ipv6CidrIp) && !set(r.sourceSecurityGroupId) && !set(r.prefixListId);
}

/** Only IPv4 0.0.0.0/0 (explicit or by omission) reaches every WeChat client. */
function fromWorldV4(r: RuleProps): boolean {
  const set = (v?: string) => typeof v === "string" && v.trim() !== "";
  if (set(r.cidrIp)) return isWorldCidr(r.cidrIp!);
  return !set(r.ipv6CidrIp) && !set(r.sourceSecurityGroupId) && !set(r.prefixListId);
}

/** The rule WeChat needs: tcp 443 from 0.0.0.0/0, accepted. */
export function admitsHttpsFromWorld(r: RuleProps): boolean {
  // Here an unreadable protocol or range proves nothing: it must be tcp (or all) over a range with 443.
  const range = parsePortRange(r.portRange);
  return r.type === "ingress" && isAcceptingIngress(r) && ["tcp", "all"].includes(protocol(r)) && range !== undefined && range.from <= 443 && 443 <= range.to && fromWorldV4(r);
}

const describeRule = (r: RuleProps) =>
  `${r.ipProtocol ?? "?"} ${r.portRange ?? "(no portRange)"} from ${r.cidrIp ?? r.ipv6CidrIp ?? r.sourceSecurityGroupId ?? r.prefixListId ?? "(no source = 0.0.0.0/0)"}`;

/** Which security group a rule belongs to: the in-stack group it depends on, or the literal id (adopt mode). */
function groupOf(rule: PolicyResource): { key: string; sg?: PolicyResource; id?: string } {
  const deps = rule.propertyDependencies?.["securityGroupId"] ?? [];
  const sg = deps.find((d) => d.type === SECURITY_GROUP);
  if (sg) return { key: sg.urn, sg };
  // No in-stack dependency: the id is a literal (an adopted server's group), known even in preview.
  const id = String((rule.props as RuleProps).securityGroupId ?? "");
  return { key: `id:${id}`, id };
}

export const httpsOpen: StackValidationPolicy = {
  name: "https-open",
  description: "The server's security group must allow tcp 443 from 0.0.0.0/0 (unless an ALB serves the stack): WeChat only calls https://<domain> on 443.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    // A fleet: the servers take 443 from the load balancer only (fleet-servers-not-world), and the
    // ALB's HTTPS listener is what must be open (alb-https-listener).
    if (args.resources.some((r) => r.type === LOAD_BALANCER)) return;
    const groups = new Map<string, { sg?: PolicyResource; id?: string; https: boolean }>();
    for (const sg of args.resources.filter((r) => r.type === SECURITY_GROUP)) groups.set(sg.urn, { sg, https: false });
    for (const rule of args.resources.filter((r) => r.type === SECURITY_GROUP_RULE)) {
      const g = groupOf(rule);
      const entry = groups.get(g.key) ?? { sg: g.sg, id: g.id, https: false };
      if (admitsHttpsFromWorld(rule.props as RuleProps)) entry.https = true;
      groups.set(g.key, entry);
    }
    // No security group in the stack (the local stack, or adopting a server without its group): nothing to check.
    for (const g of groups.values()) {
      if (g.https) continue;
      const which = g.sg ? `security group ${g.sg.name}` : `security group ${g.id}`;
      reportViolation(
        `${which} has no ingress rule allowing tcp 443 from 0.0.0.0/0. WeChat mini programs only call https://<domain> on port 443 ` +
          `(request合法域名); add the rule (infra/components/cloud.ts ingressRules) instead of removing this policy.`,
        g.sg?.urn,
      );
    }
  },
};

export const noSshFromWorld: ResourceValidationPolicy = {
  name: "no-ssh-from-world",
  description: "No security group rule may open SSH (22) to 0.0.0.0/0; list admin CIDRs in aistudio:firewall.adminCidrs.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (args.type !== SECURITY_GROUP_RULE) return;
    const r = args.props as RuleProps;
    if (isAcceptingIngress(r) && admitsTcpPort(r, 22) && fromWorld(r)) {
      reportViolation(
        `${args.name} opens SSH to the whole Internet (${describeRule(r)}). Allow 22 only from your admin networks: ` +
          "`pulumi config set --path 'aistudio:firewall.adminCidrs[0]' 203.0.113.10/32`.",
      );
    }
  },
};

/** The widest admin network SSH may be opened to, unless the pack is configured otherwise: a /16. */
export const DEFAULT_MIN_ADMIN_PREFIX = 16;

export const sshAdminNetworks: StackValidationPolicy = {
  name: "ssh-admin-networks",
  description: "SSH (22) may be admitted from no more addresses than one /minAdminPrefix network (default /16), by one rule or by all rules of a security group together.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { minAdminPrefix: { type: "integer", minimum: 1, maximum: 32, default: DEFAULT_MIN_ADMIN_PREFIX } } },
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    const min = args.getConfig<{ minAdminPrefix?: number }>().minAdminPrefix ?? DEFAULT_MIN_ADMIN_PREFIX;
    const fix = "Allow 22 only from your admin networks (aistudio:firewall.adminCidrs, e.g. 203.0.113.10/32); to admit wider networks on purpose, " +
      "raise the limit for both the config (aistudio:firewall.minAdminPrefix) and this pack (its minAdminPrefix).";
    const groups = new Map<string, { label: string; urn?: string; cidrs: Cidr[]; wide: boolean }>();
    for (const rule of args.resources.filter((r) => r.type === SECURITY_GROUP_RULE)) {
      const r = rule.props as RuleProps;
      // no IPv4 source: the whole world by omission (no-ssh-from-world) or a source this rule does not measure
      if (!isAcceptingIngress(r) || !admitsTcpPort(r, 22) || typeof r.cidrIp !== "string" || r.cidrIp.trim() === "") continue;
      const c = parseCidr(r.cidrIp.trim());
      if (c?.bits === 0) continue; // no-ssh-from-world's
      if (!c) {
        reportViolation(`${rule.name} admits SSH from ${JSON.stringify(r.cidrIp)}, which is not an IPv4 CIDR this policy can measure. ${fix}`, rule.urn);
        continue;
      }
      const g = groupOf(rule);
      const entry = groups.get(g.key) ?? { label: `security group ${g.sg?.name ?? g.id}`, urn: g.sg?.urn, cidrs: [], wide: false };
      entry.cidrs.push(c);
      if (c.bits < min) {
        reportViolation(`${rule.name} admits SSH from ${r.cidrIp.trim()}, a /${c.bits} (${c.size} addresses), wider than a /${min}. ${fix}`, rule.urn);
        entry.wide = true;
      }
      groups.set(g.key, entry);
    }
    for (const g of groups.values()) {
      const total = unionSize(g.cidrs);
      if (g.cidrs.length < 2 || total <= sizeOfPrefix(min) || (g.wide && total < ALL_ADDRESSES)) continue;
      const list = g.cidrs.map((c) => `${c.addr}/${c.bits}`).join(" + ");
      const what = total === ALL_ADDRESSES ? "the whole Internet, like 0.0.0.0/0" : `${total} addresses, more than one /${min} (${sizeOfPrefix(min)})`;
      reportViolation(`the SSH rules of ${g.label} together admit ${what}: ${list}. ${fix}`, g.urn);
    }
  },
};

export const noAppPort: ResourceValidationPolicy = {
  name: "no-app-port",
  description: "No security group rule may admit port 8000: the app (gunicorn) listens on 127.0.0.1 behind nginx, never on the Internet.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (args.type !== SECURITY_GROUP_RULE) return;
    const r = args.props as RuleProps;
    if (isAcceptingIngress(r) && hasPorts(r) && portRangeContains(r.portRange, 8000)) {
      reportViolation(
        `${args.name} admits port 8000 (${describeRule(r)}). The app is served by nginx on 443 only; ` +
          "open single ports (443/443, 80/80), not ranges that include 8000.",
      );
    }
  },
};

export const encryptedSystemDisk: ResourceValidationPolicy = {
  name: "encrypted-system-disk",
  description: "ECS instances must encrypt their system disk (systemDiskEncrypted: true).",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (args.type !== INSTANCE) return;
    if (args.props.systemDiskEncrypted !== true) {
      reportViolation(`${args.name} has an unencrypted system disk: set systemDiskEncrypted: true (it holds the app's secrets and TLS key).`);
    }
  },
};

export const dataDiskEncrypted: ResourceValidationPolicy = {
  name: "data-disk-encrypted",
  description: "ECS data disks must be encrypted (encrypted: true).",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (args.type !== DISK) return;
    if (args.props.encrypted !== true) {
      reportViolation(`${args.name} is an unencrypted data disk: set encrypted: true (it holds the app's database and uploads; encryption cannot be added to an existing disk).`);
    }
  },
};

const PUBLIC_ACLS = ["public-read", "public-read-write"];

export const ossBucketPrivate: ResourceValidationPolicy = {
  name: "oss-bucket-private",
  description: "OSS buckets must not be public-read or public-read-write, neither by the bucket's acl nor by a BucketAcl.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (args.type !== BUCKET && args.type !== BUCKET_ACL) return;
    const acl = String(args.props.acl ?? "").trim().toLowerCase();
    if (PUBLIC_ACLS.includes(acl)) {
      reportViolation(`${args.name} makes bucket ${args.props.bucket ?? "(unnamed)"} ${acl}: anyone could read the backups. Use acl private; the backup client signs its requests.`);
    }
  },
};

export const ossBucketVersioned: ResourceValidationPolicy = {
  name: "oss-bucket-versioned",
  description: "OSS buckets should keep old versions (versioning Enabled), so a deleted or overwritten backup can be recovered.",
  enforcementLevel: "advisory",
  validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (args.type !== BUCKET) return;
    const status = (args.props.versioning as { status?: string } | undefined)?.status;
    if (status !== "Enabled") {
      reportViolation(`${args.name} does not keep old versions (versioning ${status ?? "unset"}): set versioning: { status: "Enabled" } with a lifecycle rule that expires noncurrent versions.`);
    }
  },
};

/** The widest network an RDS whitelist may admit. */
export const RDS_MIN_PREFIX = 16;

/**
 * The whitelist entries that admit too much: unreadable ones, the world, networks wider than a
 * /RDS_MIN_PREFIX. An entry may itself be comma-separated (the API's form); a bare IP is a /32.
 */
export function wideRdsEntries(securityIps: unknown): string[] {
  if (securityIps === undefined || securityIps === null) return []; // unset: RDS admits only 127.0.0.1
  const list = Array.isArray(securityIps) ? securityIps : [securityIps];
  const entries = list.flatMap((e) => String(e).split(",")).map((e) => e.trim()).filter((e) => e !== "");
  return entries.filter((e) => {
    const c = parseCidr(e.includes("/") ? e : `${e}/32`);
    return !c || c.ip === 0 || c.bits < RDS_MIN_PREFIX;
  });
}

export const rdsWhitelistPrivate: ResourceValidationPolicy = {
  name: "rds-whitelist-private",
  description: `An RDS instance's whitelist (securityIps) must admit no network wider than a /${RDS_MIN_PREFIX}, never 0.0.0.0/0: only the server should reach the database.`,
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (args.type !== RDS_INSTANCE) return;
    const wide = wideRdsEntries(args.props.securityIps);
    if (wide.length > 0) {
      reportViolation(
        `${args.name} admits ${wide.map((e) => JSON.stringify(e)).join(", ")} to the database: the whitelist may hold the server's private IP (/32) ` +
          `or networks of at most a /${RDS_MIN_PREFIX}, never the world (infra/components/data-cloud.ts rdsWhitelist).`,
      );
    }
  },
};

export const policies = [
  httpsOpen, noSshFromWorld, sshAdminNetworks, noAppPort, encryptedSystemDisk,
  dataDiskEncrypted, ossBucketPrivate, ossBucketVersioned, rdsWhitelistPrivate,
];
