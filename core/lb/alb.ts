// Alibaba Cloud's ALB server group as a ServerPool (core/lb/pool.ts), over ALB's OpenAPI (RPC style,
// version 2020-06-16, endpoint alb.<region>.aliyuncs.com, V3 signature: core/lb/alb-sign.ts).
//
//  - members(): ListServerGroupServers (weights) and GetListenerHealthStatus (health: a server not
//    among the listener's NonNormalServers is healthy; "Unhealthy" is unhealthy with its ReasonCode;
//    "Initial" and "Unused" (weight 0, not checked) are unknown). ALB does not say how many requests
//    a server still holds (active undefined): it drains a server by itself for its connection-drain
//    timeout, which drain() waits out (minMs).
//  - setWeight(): UpdateServerGroupServersAttribute, which is asynchronous (it answers a JobId); the
//    call returns once ListServerGroupServers reads the new weight back with the server Available
//    (bounded: settleTimeoutMs).
//
// Credentials come from the standard environment (ALIBABA_CLOUD_ACCESS_KEY_ID,
// ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN for STS); they are never logged nor
// put in an error message. Throttling and "the group is being changed" answers are retried (bounded).
import { randomUUID } from "node:crypto";
import { FULL_WEIGHT, MemberHealth, MemberState, ServerPool } from "./pool";
import { Credentials, acsDate, nonce, sign } from "./alb-sign";

export const ALB_VERSION = "2020-06-16";

export interface AlbPoolOptions {
  region: string;
  serverGroupId: string;
  listenerId: string;
  /** "https://alb.<region>.aliyuncs.com" unless given (a host, or a URL such as http://127.0.0.1:PORT in tests). */
  endpoint?: string;
  /** Defaults to the ALIBABA_CLOUD_* environment variables. */
  credentials?: Credentials;
  /** How long setWeight waits for the weight to read back (default 60 s), and how often it asks (1 s). */
  settleTimeoutMs?: number;
  pollMs?: number;
  /** One HTTP request's timeout (default 15 s). */
  requestTimeoutMs?: number;
}

interface AlbServer { ServerId: string; ServerType?: string; Port?: number; Weight?: number; Status?: string; ServerIp?: string }
interface NonNormal { ServerId: string; Port?: number; Status?: string; Reason?: { ReasonCode?: string; ActualResponse?: string; ExpectedResponse?: string } }

/** An answer of ALB's API that is an error (HTTP status, Code, Message, RequestId). */
export class AlbApiError extends Error {
  constructor(readonly action: string, readonly status: number, readonly code: string, message: string, readonly requestId: string) {
    super(`ALB ${action} failed: HTTP ${status} ${code}: ${message}${requestId ? ` (RequestId ${requestId})` : ""} / 阿里云 ALB 接口调用失败: ${hintFor(code, status)}`);
    this.name = "AlbApiError";
  }
}

/** What to do about an error code, in one line. */
export function hintFor(code: string, status: number): string {
  if (/^(InvalidAccessKeyId|SignatureDoesNotMatch|IncompleteSignature|InvalidSecurityToken|InvalidApi\.NotFound)/i.test(code)) {
    return "check ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS): the key is wrong, disabled or expired";
  }
  if (/^(Forbidden|NoPermission|Forbidden\.RAM)/i.test(code) || status === 403) {
    return "the RAM user lacks permission: grant it alb:ListServerGroupServers, alb:GetListenerHealthStatus and alb:UpdateServerGroupServersAttribute";
  }
  if (/NotFound|NotExist/i.test(code) || status === 404) return "the server group, listener or server does not exist in this region: check the stack's ALB outputs (serverGroupId, listenerId) and region";
  if (/Throttling|IncorrectStatus|Conflict|ServiceUnavailable|SystemBusy/i.test(code) || status >= 500) return "ALB is busy or the group is being changed: run the command again in a minute";
  return "see the message; the request's parameters are in the call above";
}

const RETRYABLE = /Throttling|IncorrectStatus|Conflict\.Lock|ServiceUnavailable|SystemBusy|InternalError/i;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? "";
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? "";
  if (!accessKeyId || !accessKeySecret) {
    throw new Error("ALB: no credentials / 缺少阿里云凭证: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS) in the environment of the command");
  }
  return { accessKeyId, accessKeySecret, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined };
}

export class AlbPool implements ServerPool {
  readonly name: string;
  private readonly url: URL;
  private readonly o: AlbPoolOptions;

  constructor(o: AlbPoolOptions) {
    this.o = o;
    const ep = o.endpoint ?? `alb.${o.region}.aliyuncs.com`;
    this.url = new URL(/^https?:\/\//.test(ep) ? ep : `https://${ep}`);
    this.name = `ALB server group ${o.serverGroupId} (listener ${o.listenerId}, ${o.region})`;
  }

  /** One signed RPC call; JSON answer, or an AlbApiError. Retries throttling and busy answers (3 tries). */
  async call<T = Record<string, unknown>>(action: string, params: Record<string, string>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(action, params);
      } catch (e) {
        const err = e as Error;
        const retry = err instanceof AlbApiError ? RETRYABLE.test(err.code) || err.status >= 500 : !/credentials/.test(err.message);
        if (!retry || attempt >= 3) throw err;
        await sleep(500 * 2 ** attempt);
      }
    }
  }

  private async once<T>(action: string, params: Record<string, string>): Promise<T> {
    const credentials = this.o.credentials ?? credentialsFromEnv();
    const s = sign({ method: "POST", host: this.url.host, action, version: ALB_VERSION, params, date: acsDate(), nonce: nonce(), credentials });
    const { host: _host, ...headers } = s.headers;
    let res: Response;
    try {
      res = await fetch(`${this.url.origin}/?${s.query}`, { method: "POST", headers, body: "", signal: AbortSignal.timeout(this.o.requestTimeoutMs ?? 15_000) });
    } catch (e) {
      throw new Error(`ALB ${action}: no answer from ${this.url.host}: ${(e as Error).message} / 无法访问阿里云 ALB 接口: check the network and the region (${this.o.region})`);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      if (res.ok) throw new Error(`ALB ${action}: the answer is not JSON (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      throw new AlbApiError(action, res.status, String(json.Code ?? "Unknown"), String(json.Message ?? text.slice(0, 200)), String(json.RequestId ?? ""));
    }
    return json as T;
  }

  private async servers(): Promise<AlbServer[]> {
    const out: AlbServer[] = [];
    let token = "";
    for (let page = 0; page < 50; page++) {
      const r = await this.call<{ Servers?: AlbServer[]; NextToken?: string }>("ListServerGroupServers", {
        ServerGroupId: this.o.serverGroupId, MaxResults: "100", ...(token ? { NextToken: token } : {}),
      });
      out.push(...(r.Servers ?? []));
      token = r.NextToken ?? "";
      if (!token) break;
    }
    return out;
  }

  /** The server group's non-normal servers behind the listener, or undefined when the group is not behind it. */
  private async nonNormal(): Promise<Map<string, NonNormal> | undefined> {
    const map = new Map<string, NonNormal>();
    let seen = false;
    let token = "";
    for (let page = 0; page < 50; page++) {
      type Answer = { ListenerHealthStatus?: { ServerGroupInfos?: { ServerGroupId?: string; NonNormalServers?: NonNormal[] }[] }[]; NextToken?: string };
      const r = await this.call<Answer>("GetListenerHealthStatus", { ListenerId: this.o.listenerId, MaxResults: "30", ...(token ? { NextToken: token } : {}) });
      for (const l of r.ListenerHealthStatus ?? []) {
        for (const g of l.ServerGroupInfos ?? []) {
          if (g.ServerGroupId !== this.o.serverGroupId) continue;
          seen = true;
          for (const s of g.NonNormalServers ?? []) map.set(s.ServerId, s);
        }
      }
      token = r.NextToken ?? "";
      if (!token) break;
    }
    return seen ? map : undefined;
  }

  async members(): Promise<MemberState[]> {
    const [servers, bad] = await Promise.all([this.servers(), this.nonNormal()]);
    return servers.map((s) => {
      let health: MemberHealth = "healthy";
      let detail = "healthy (ALB health check passing)";
      const n = bad?.get(s.ServerId);
      if (!bad) {
        health = "unknown";
        detail = `server group ${this.o.serverGroupId} is not behind listener ${this.o.listenerId}`;
      } else if (n) {
        const r = n.Reason ?? {};
        health = n.Status === "Unhealthy" ? "unhealthy" : "unknown";
        detail = [n.Status, r.ReasonCode, r.ExpectedResponse && `expected ${r.ExpectedResponse}`, r.ActualResponse && `got ${r.ActualResponse}`].filter(Boolean).join(" ");
        if (n.Status === "Unused") detail += " (weight 0: not checked)";
        if (n.Status === "Unavailable") detail += " (health check disabled on the server group)";
      }
      if (s.Status && s.Status !== "Available") detail += `; ${s.Status}`;
      return { id: s.ServerId, weight: Math.round(((s.Weight ?? 0) * FULL_WEIGHT) / 100), health, active: undefined, detail };
    });
  }

  async setWeight(id: string, weight: number): Promise<void> {
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new Error(`${this.name}: weight ${weight} is not an integer from 0 to 100`);
    const s = (await this.servers()).find((x) => x.ServerId === id);
    if (!s) throw new Error(`${id} is not a member of ${this.name} / ${id} 不在服务器组中`);
    const albWeight = Math.round((weight * 100) / FULL_WEIGHT);
    await this.call("UpdateServerGroupServersAttribute", {
      ServerGroupId: this.o.serverGroupId,
      "Servers.1.ServerId": id,
      "Servers.1.ServerType": s.ServerType ?? "Ecs",
      "Servers.1.Port": String(s.Port ?? 443),
      "Servers.1.Weight": String(albWeight),
      // the same token on a retried call: ALB applies the change once
      ClientToken: randomUUID(),
    });
    const t0 = Date.now();
    const limit = this.o.settleTimeoutMs ?? 60_000;
    let last: AlbServer | undefined;
    for (;;) {
      last = (await this.servers()).find((x) => x.ServerId === id);
      if (last && last.Weight === albWeight && (last.Status ?? "Available") === "Available") return;
      if (Date.now() - t0 >= limit) {
        throw new Error(`${this.name}: ${id}'s weight reads ${last?.Weight ?? "?"} (${last?.Status ?? "missing"}) ${Math.round(limit / 1000)} s after it was set to ${weight} / 权重变更未生效: ALB's job is still running or failed; look at the server group in the console, then run again`);
      }
      await sleep(this.o.pollMs ?? 1000);
    }
  }

  async close(): Promise<void> {
    // no connection to close: each call is one HTTPS request
  }
}
