// What every doctor check is and returns: one Check interface, one CheckResult, and the small
// builders the checks use to say ok / fail / warn / skip with expected vs found, cause and fix.
import { APP_PORT } from "../../core/constants";
import { Bilingual, t } from "../../core/text";
import type { Connection } from "../../core/ssh";
import type { SmokeRequest, VisitTarget } from "../visit";
import type { DomainList, HttpClient } from "../wechat";
import type { ServerFacts } from "./server-facts";
import type { FleetTarget } from "./fleet";

export type Status = "ok" | "fail" | "warn" | "skip";

/** One check's verdict: expected vs found, and for a failure or warning the cause and the fix. */
export interface CheckResult {
  id: string;
  status: Status;
  title: Bilingual;
  expected?: string;
  found?: string;
  cause?: Bilingual;
  fix?: Bilingual;
  /** Server log lines read after the checks ran (a failing HTTP check), secrets redacted. */
  evidence?: Evidence[];
  /**
   * The checks this failure makes fail too (its symptoms), when it is not the check's usual reach
   * (EXPLAINS in cause.ts): a stopped app breaks the APIs only, a stopped nginx everything on 443.
   */
  explains?: string[];
  ms: number;
}

/** Lines of one server log, named by the command that printed them. */
export interface Evidence {
  source: string;
  lines: string[];
}

/** The server logs a failure can be explained by: the app's journal (tracebacks), nginx's error log. */
export type LogSource = "journal" | "nginx";

export interface DoctorTarget {
  /** The configured request domain (may be wrong: it is the first thing checked). */
  domain: string;
  /** The server's public address, to compare DNS with and to connect to. */
  serverIp?: string;
  /** Connect here instead of resolving DNS (test hosts). Defaults to what DNS says. */
  connectTo?: string;
  /** The HTTPS port (default 443; another one only for tests against a local server). */
  port?: number;
  /** gunicorn's port on 127.0.0.1 (app.port; default APP_PORT). */
  appPort?: number;
  /** The admin backend (app.admin): its login page and the JSON API its 小程序配置 page saves through. */
  admin?: { loginPath: string; apiPath: string };
  /** The API call to test (smoke.request); default the guide's visit call. */
  request?: SmokeRequest;
  /** Secret values of the stack: replaced with *** in the evidence read from the server. */
  redact?: string[];
  /** Extra trusted CA for test stacks; "server-cert" trusts the deployed certificate (local stack). */
  ca?: string;
  /** Is this a stack whose certificate must satisfy WeChat (no self-signed)? */
  wechat: boolean;
  /** Fewer days left than this is a warning (wechat.minCertDays); 7 or fewer fail (tls-cert.ts). */
  minCertDays: number;
  /** Who renews the certificate (tls.mode): certbot.timer (acme) or a person (provided). */
  tlsMode?: "acme" | "provided" | "self-signed";
  ssh?: Connection;
  /** Ingress rules of the server's security group, from the stack state: as the last deploy left them (cloud stacks). */
  securityGroupRules?: SecurityGroupRule[];
  /**
   * Reads the same rules from the cloud as they are now (stacks/doctor-target.ts: a refresh through
   * the stack driver). Without it, or when it fails, the check says its rules come from the state.
   */
  liveSecurityGroupRules?: () => Promise<SecurityGroupRule[]>;
  /** Mini program source directory to lint. */
  miniprogramDir?: string;
  /** Hosts file consulted before DNS (tests; like an /etc/hosts override on the machine). */
  hostsFile?: string;
  /** Mini program AppID + AppSecret: read the console's domain lists from the WeChat API (optional). */
  wechatApp?: { appId: string; appSecret: string; http?: HttpClient; baseUrl?: string };
  /** What each of the console's lists must hold (the stack's outputs); default https://<domain> in each. */
  wechatDomains?: Partial<Record<DomainList, string[]>>;
  /** The data: the app's data dir (a volume?), the database mode, the backups' freshness limit. */
  data?: { dataDir: string; volume: boolean; database: "none" | "local" | "external"; backup?: { maxAgeHours: number } };
  /** A fleet (servers.count > 1): the load balancer's pool and the servers behind it (fleet.ts). */
  fleet?: FleetTarget;
}

export interface SecurityGroupRule {
  /** The rule's resource name (its URN's last part), e.g. aistudio-in-443: how live and state rules are matched. */
  name?: string;
  portRange: string;
  cidrIp?: string;
  policy?: string;
  type?: string;
}

/** What the checks of one run share: each check may read what earlier ones found. */
export interface DoctorContext {
  /** The address DNS (or the test stack) says to connect to. */
  address?: string;
  /** TCP 443 was unreachable: the checks that need it are skipped instead of timing out again. */
  no443?: string;
  /** What the server said over SSH (read once, before the checks run). */
  server?: ServerFacts;
  /** The CA to trust for the TLS checks (the server's own certificate for the local stack). */
  ca?: string;
}

/**
 * A check's verdict before the runner adds its id, title, duration and evidence; `logs`: the server
 * logs that explain this failure (the runner's default for the check when absent).
 */
export type CheckOutcome = Omit<CheckResult, "id" | "title" | "ms" | "evidence"> & { logs?: LogSource[] };

export interface Check {
  id: string;
  /** The title with the defaults (app port, request); `titleFor` names the target's own when set. */
  title: Bilingual;
  titleFor?(target: DoctorTarget): Bilingual;
  run(target: DoctorTarget, ctx: DoctorContext): Promise<CheckOutcome>;
}

/** The title a check has for this target. */
export const titleOf = (c: Check, tg: DoctorTarget): Bilingual => c.titleFor?.(tg) ?? c.title;

export const ok = (found?: string, expected?: string): CheckOutcome => ({ status: "ok", found, expected });

export const fail = (expected: string, found: string, cause: Bilingual, fix: Bilingual): CheckOutcome => ({
  status: "fail", expected, found, cause, fix,
});

export const warn = (expected: string | undefined, found: string, cause: Bilingual, fix: Bilingual): CheckOutcome => ({
  status: "warn", expected, found, cause, fix,
});

export const skip = (why: string): CheckOutcome => ({ status: "skip", found: why });

/** The verdict of a server check when the doctor's SSH session failed (ServerFacts.error). */
export const sshFailure = (error: string): CheckOutcome =>
  fail("an SSH session", error, t("无法 SSH 登录服务器", "cannot SSH to the server"), t("检查安全组 22 端口和 aistudio:server 配置", "check port 22 in the security group and aistudio:server"));

/** Where the network checks connect: what DNS found, else the test stack's or the server's address. */
export const addressOf = (tg: DoctorTarget, ctx: DoctorContext): string => ctx.address ?? tg.connectTo ?? tg.serverIp ?? tg.domain;

/** The HTTPS port the network checks connect to. */
export const httpsPortOf = (tg: DoctorTarget): number => tg.port ?? 443;

/** gunicorn's port on 127.0.0.1. */
export const appPortOf = (tg: Pick<DoctorTarget, "appPort">): number => tg.appPort ?? APP_PORT;

/** Where the HTTP checks send their requests. */
export const httpsTargetOf = (tg: DoctorTarget, ctx: DoctorContext): VisitTarget => ({
  domain: tg.domain, connectTo: addressOf(tg, ctx), port: tg.port, ca: ctx.ca,
});

/** A check's run, skipped once TCP 443 was found unreachable (instead of timing out again). */
export const needs443 = (run: Check["run"]): Check["run"] => async (tg, ctx) => (ctx.no443 ? skip(`needs TCP 443 (${ctx.no443})`) : run(tg, ctx));

/** A server check's run, skipped on a stack without SSH access. */
export const needsSsh = (run: Check["run"]): Check["run"] => async (tg, ctx) => (tg.ssh ? run(tg, ctx) : skip("no SSH access configured"));

/** A server check's run on the facts the doctor's SSH session read: skipped without SSH, failed when the session failed. */
export const needsServer = (run: (tg: DoctorTarget, ctx: DoctorContext, s: ServerFacts) => Promise<CheckOutcome>): Check["run"] =>
  needsSsh(async (tg, ctx) => {
    const s = ctx.server ?? {};
    return s.error ? sshFailure(s.error) : run(tg, ctx, s);
  });
