// What every doctor check is and returns: one Check interface, one CheckResult, and the small
// builders the checks use to say ok / fail / warn / skip with expected vs found, cause and fix.
import { Bilingual } from "../../core/text";
import type { Connection } from "../../core/ssh";
import type { HttpClient } from "../wechat";
import type { ServerFacts } from "./server-facts";

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
  ms: number;
}

export interface DoctorTarget {
  /** The configured request domain (may be wrong: it is the first thing checked). */
  domain: string;
  /** The server's public address, to compare DNS with and to connect to. */
  serverIp?: string;
  /** Connect here instead of resolving DNS (test hosts). Defaults to what DNS says. */
  connectTo?: string;
  /** Extra trusted CA for test stacks; "server-cert" trusts the deployed certificate (local stack). */
  ca?: string;
  /** Is this a stack whose certificate must satisfy WeChat (no self-signed)? */
  wechat: boolean;
  minCertDays: number;
  ssh?: Connection;
  /** Ingress rules of the server's security group, from the stack state (cloud stacks). */
  securityGroupRules?: SecurityGroupRule[];
  /** Mini program source directory to lint. */
  miniprogramDir?: string;
  /** Hosts file consulted before DNS (tests; like an /etc/hosts override on the machine). */
  hostsFile?: string;
  /** Mini program AppID + AppSecret: read request合法域名 from the WeChat API (optional). */
  wechatApp?: { appId: string; appSecret: string; http?: HttpClient; baseUrl?: string };
}

export interface SecurityGroupRule {
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

/** A check's verdict before the runner adds its id, title and duration. */
export type CheckOutcome = Omit<CheckResult, "id" | "title" | "ms">;

export interface Check {
  id: string;
  title: Bilingual;
  run(target: DoctorTarget, ctx: DoctorContext): Promise<CheckOutcome>;
}

export const ok = (found?: string, expected?: string): CheckOutcome => ({ status: "ok", found, expected });

export const fail = (expected: string, found: string, cause: Bilingual, fix: Bilingual): CheckOutcome => ({
  status: "fail", expected, found, cause, fix,
});

export const warn = (expected: string | undefined, found: string, cause: Bilingual, fix: Bilingual): CheckOutcome => ({
  status: "warn", expected, found, cause, fix,
});

export const skip = (why: string): CheckOutcome => ({ status: "skip", found: why });

/** Where the network checks connect: what DNS found, else the test stack's or the server's address. */
export const addressOf = (tg: DoctorTarget, ctx: DoctorContext): string => ctx.address ?? tg.connectTo ?? tg.serverIp ?? tg.domain;

/** A check's run, skipped once TCP 443 was found unreachable (instead of timing out again). */
export const needs443 = (run: Check["run"]): Check["run"] => async (tg, ctx) => (ctx.no443 ? skip(`needs TCP 443 (${ctx.no443})`) : run(tg, ctx));

/** A server check's run, skipped on a stack without SSH access. */
export const needsSsh = (run: Check["run"]): Check["run"] => async (tg, ctx) => (tg.ssh ? run(tg, ctx) : skip("no SSH access configured"));
