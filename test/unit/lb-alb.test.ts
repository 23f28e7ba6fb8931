// The ALB pool (core/lb/alb.ts) and its V3 signature (core/lb/alb-sign.ts). Alibaba Cloud's API is
// out of reach here, so it is the one thing stood in for: a local node:http server that checks each
// request as ALB would (action, version, parameters, and the signature recomputed from the bytes
// that arrived) and answers like ALB's documentation shows. The signature itself is checked against
// the example of Alibaba's "V3 request body and signature" documentation.
import * as http from "node:http";
import { createHash, createHmac } from "node:crypto";
import { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { canonicalQuery, percentEncode, sign } from "../../core/lb/alb-sign";
import { AlbPool, credentialsFromEnv } from "../../core/lb/alb";
import { openPool } from "../../core/lb/open";
import { drain } from "../../core/lb/pool";

describe("ACS3-HMAC-SHA256 (the documentation's example)", () => {
  // "V3 request body and signature", its signature example: RunInstances on ECS in cn-shanghai,
  // AccessKeySecret YourAccessKeySecret, the published hashes and signature.
  const s = sign({
    method: "POST",
    host: "ecs.cn-shanghai.aliyuncs.com",
    action: "RunInstances",
    version: "2014-05-26",
    params: { ImageId: "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", RegionId: "cn-shanghai" },
    date: "2023-10-26T10:22:32Z",
    nonce: "3156853299f313e23d1673dc12e1703d",
    credentials: { accessKeyId: "YourAccessKeyId", accessKeySecret: "YourAccessKeySecret" },
  });

  it("builds the documented canonical request", () => {
    expect(s.canonicalRequest).toBe([
      "POST",
      "/",
      "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
      "host:ecs.cn-shanghai.aliyuncs.com",
      "x-acs-action:RunInstances",
      "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "x-acs-date:2023-10-26T10:22:32Z",
      "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d",
      "x-acs-version:2014-05-26",
      "",
      "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n"));
  });

  it("gives the documented string to sign, signature and Authorization header", () => {
    expect(s.stringToSign).toBe("ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
    expect(s.signature).toBe("06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
    expect(s.headers.authorization).toBe(
      "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
    );
  });

  it("encodes as RFC 3986 (space %20, * %2A, ~ kept) and sorts parameters by name", () => {
    expect(percentEncode("a b*c~d/é'!")).toBe("a%20b%2Ac~d%2F%C3%A9%27%21");
    expect(canonicalQuery({ "Servers.1.Weight": "0", ServerGroupId: "sgp-1", "Servers.1.Port": "443" })).toBe("ServerGroupId=sgp-1&Servers.1.Port=443&Servers.1.Weight=0");
  });

  it("signs an STS token as x-acs-security-token", () => {
    const t = sign({ method: "POST", host: "h", action: "A", version: "v", params: {}, date: "d", nonce: "n", credentials: { accessKeyId: "k", accessKeySecret: "s", securityToken: "tok" } });
    expect(t.headers["x-acs-security-token"]).toBe("tok");
    expect(t.headers.authorization).toContain("SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,");
  });
});

// ---- ALB stood in for by a local server ----

const SECRET = "test-secret-never-shown-0123456789";
const ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID: "LTAItestkey", ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET, ALIBABA_CLOUD_SECURITY_TOKEN: "" };

interface Seen { action: string; params: Record<string, string>; headers: http.IncomingHttpHeaders; signatureOk: boolean }
type Handler = (action: string, params: Record<string, string>) => { status?: number; body: unknown };

/** Recomputes the V3 signature from what arrived, independently of core/lb/alb-sign.ts. */
function verify(req: http.IncomingMessage, body: string): boolean {
  const auth = String(req.headers.authorization ?? "");
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m || m[1] !== ENV.ALIBABA_CLOUD_ACCESS_KEY_ID) return false;
  const names = m[2].split(";");
  const rawQuery = (req.url ?? "").split("?")[1] ?? "";
  const sorted = rawQuery.split("&").filter(Boolean).sort().join("&");
  const bodyHash = createHash("sha256").update(body).digest("hex");
  if (req.headers["x-acs-content-sha256"] !== bodyHash) return false;
  const canonical = [req.method, "/", sorted, names.map((n) => `${n}:${String(req.headers[n]).trim()}\n`).join(""), names.join(";"), bodyHash].join("\n");
  const sts = "ACS3-HMAC-SHA256\n" + createHash("sha256").update(canonical).digest("hex");
  return createHmac("sha256", SECRET).update(sts).digest("hex") === m[3] && names.includes("host") && names.includes("x-acs-date");
}

describe("AlbPool against a local stand-in of ALB's API", () => {
  let server: http.Server;
  let endpoint: string;
  const seen: Seen[] = [];
  let handler: Handler = () => ({ body: {} });
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    for (const k of Object.keys(ENV)) { saved[k] = process.env[k]; process.env[k] = ENV[k as keyof typeof ENV]; }
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://x");
        const params = Object.fromEntries(url.searchParams);
        const action = String(req.headers["x-acs-action"]);
        seen.push({ action, params, headers: req.headers, signatureOk: verify(req, body) });
        const r = handler(action, params);
        res.writeHead(r.status ?? 200, { "Content-Type": "application/json" });
        res.end(JSON.stringify(r.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    await new Promise((r) => server.close(r));
  });
  afterEach(() => { seen.length = 0; });

  const pool = () => new AlbPool({ region: "cn-hangzhou", serverGroupId: "sgp-aistudio", listenerId: "lsn-443", endpoint, pollMs: 20, settleTimeoutMs: 2_000 });
  const srv = (id: string, weight: number, status = "Available") => ({ ServerId: id, ServerType: "Ecs", Port: 443, Weight: weight, Status: status, ServerIp: "10.0.1.1", ServerGroupId: "sgp-aistudio" });

  it("members(): weights from ListServerGroupServers, health from the listener's NonNormalServers with the reason", async () => {
    handler = (action) => action === "ListServerGroupServers"
      ? { body: { RequestId: "r1", Servers: [srv("i-web1", 100), srv("i-web2", 100), srv("i-web3", 0)], TotalCount: 3 } }
      : { body: { RequestId: "r2", ListenerHealthStatus: [{ ListenerId: "lsn-443", ListenerPort: 443, ListenerProtocol: "HTTPS", ServerGroupInfos: [
          { ServerGroupId: "sgp-other", HealthCheckEnabled: "on", NonNormalServers: [{ ServerId: "i-web1", Status: "Unhealthy", Reason: { ReasonCode: "CONNECT_FAIL" } }] },
          { ServerGroupId: "sgp-aistudio", HealthCheckEnabled: "on", NonNormalServers: [
            { ServerId: "i-web2", Port: 443, Status: "Unhealthy", Reason: { ReasonCode: "RESPONSE_MISMATCH", ExpectedResponse: "HTTP_2xx", ActualResponse: "HTTP_5xx" } },
            { ServerId: "i-web3", Port: 443, Status: "Unused" },
          ] },
        ] }] } };
    expect(await pool().members()).toEqual([
      { id: "i-web1", weight: 100, health: "healthy", active: undefined, detail: "healthy (ALB health check passing)" },
      { id: "i-web2", weight: 100, health: "unhealthy", active: undefined, detail: "Unhealthy RESPONSE_MISMATCH expected HTTP_2xx got HTTP_5xx" },
      { id: "i-web3", weight: 0, health: "unknown", active: undefined, detail: "Unused (weight 0: not checked)" },
    ]);
    expect(seen.map((s) => [s.action, s.signatureOk])).toEqual(expect.arrayContaining([["ListServerGroupServers", true], ["GetListenerHealthStatus", true]]));
    const list = seen.find((s) => s.action === "ListServerGroupServers")!;
    expect(list.params).toEqual({ ServerGroupId: "sgp-aistudio", MaxResults: "100" });
    expect(list.headers["x-acs-version"]).toBe("2020-06-16");
    expect(list.headers["x-acs-date"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(list.headers["x-acs-security-token"]).toBeUndefined();
    expect(seen.find((s) => s.action === "GetListenerHealthStatus")!.params).toEqual({ ListenerId: "lsn-443", MaxResults: "30" });
  });

  it("setWeight(): UpdateServerGroupServersAttribute (Ecs, 443), then waits until the weight reads back Available", async () => {
    let weight = 100;
    let lists = 0;
    handler = (action, p) => {
      if (action === "UpdateServerGroupServersAttribute") { weight = Number(p["Servers.1.Weight"]); lists = 0; return { body: { RequestId: "r", JobId: "job-1" } }; }
      lists++;
      // ALB's job: Configuring with the old weight for two reads, then done
      return { body: { Servers: [lists <= 2 && weight !== 100 ? srv("i-web1", 100, "Configuring") : srv("i-web1", weight)] } };
    };
    await pool().setWeight("i-web1", 0);
    const upd = seen.find((s) => s.action === "UpdateServerGroupServersAttribute")!;
    expect(upd.signatureOk).toBe(true);
    expect(upd.params).toMatchObject({ ServerGroupId: "sgp-aistudio", "Servers.1.ServerId": "i-web1", "Servers.1.ServerType": "Ecs", "Servers.1.Port": "443", "Servers.1.Weight": "0" });
    expect(upd.params.ClientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.filter((s) => s.action === "ListServerGroupServers").length).toBeGreaterThanOrEqual(4);
  });

  it("a weight that never reads back is an error after the bounded wait", async () => {
    handler = (action) => action === "UpdateServerGroupServersAttribute" ? { body: { JobId: "j" } } : { body: { Servers: [srv("i-web1", 100, "Configuring")] } };
    await expect(pool().setWeight("i-web1", 0)).rejects.toThrow(/i-web1's weight reads 100 \(Configuring\) 2 s after it was set to 0/);
  });

  it("an error answer (Code/Message) says which call failed and what to do, and never shows the secret", async () => {
    handler = () => ({ status: 403, body: { RequestId: "5EB5-req", HostId: "alb.cn-hangzhou.aliyuncs.com", Code: "Forbidden.RAM", Message: "User not authorized to operate on the specified resource, or this API doesn't support RAM." } });
    const err = await pool().members().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^ALB (ListServerGroupServers|GetListenerHealthStatus) failed: HTTP 403 Forbidden\.RAM: User not authorized/);
    expect(msg).toContain("RequestId 5EB5-req");
    expect(msg).toContain("grant it alb:ListServerGroupServers, alb:GetListenerHealthStatus and alb:UpdateServerGroupServersAttribute");
    expect(msg).not.toContain(SECRET);
    handler = () => ({ status: 400, body: { Code: "SignatureDoesNotMatch", Message: "Specified signature is not matched with our calculation." } });
    const sig = (await pool().setWeight("i-web1", 0).catch((e: Error) => e)) as Error;
    expect(sig.message).toContain("check ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    expect(sig.message).not.toContain(SECRET);
  });

  it("throttling is retried (bounded); a member the group does not have is refused before any change", async () => {
    let n = 0;
    handler = () => (++n === 1 ? { status: 400, body: { Code: "Throttling.User", Message: "Request was denied due to user flow control." } } : { body: { Servers: [srv("i-web1", 100)] } });
    await expect(pool().setWeight("i-nope", 0)).rejects.toThrow(/i-nope is not a member of ALB server group sgp-aistudio/);
    expect(n).toBe(2);
    expect(seen.some((s) => s.action === "UpdateServerGroupServersAttribute")).toBe(false);
  });

  it("drain() on ALB waits its minimum (ALB drains by itself) and reports no count in flight", async () => {
    let weight = 100;
    handler = (action, p) => {
      if (action === "UpdateServerGroupServersAttribute") { weight = Number(p["Servers.1.Weight"]); return { body: { JobId: "j" } }; }
      if (action === "ListServerGroupServers") return { body: { Servers: [srv("i-web1", weight)] } };
      return { body: { ListenerHealthStatus: [{ ServerGroupInfos: [{ ServerGroupId: "sgp-aistudio", NonNormalServers: [] }] }] } };
    };
    const ms = await drain(openPool({ kind: "alb", region: "cn-hangzhou", serverGroupId: "sgp-aistudio", listenerId: "lsn-443", endpoint }), "i-web1", { timeoutMs: 5_000, minMs: 300, pollMs: 50 });
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(weight).toBe(0);
  });

  it("the stand-in's check of the signature can fail (a wrong secret, a changed parameter)", async () => {
    handler = () => ({ body: { Servers: [] } });
    const wrong = new AlbPool({ region: "cn-hangzhou", serverGroupId: "sgp-aistudio", listenerId: "lsn-443", endpoint, credentials: { accessKeyId: "LTAItestkey", accessKeySecret: "not-the-secret" } });
    await wrong.call("ListServerGroupServers", { ServerGroupId: "sgp-aistudio" });
    const s = sign({ method: "POST", host: new URL(endpoint).host, action: "ListServerGroupServers", version: "2020-06-16", params: { ServerGroupId: "sgp-aistudio" }, date: "2026-01-01T00:00:00Z", nonce: "n1", credentials: { accessKeyId: "LTAItestkey", accessKeySecret: SECRET } });
    const { host: _h, ...headers } = s.headers;
    await fetch(`${endpoint}/?ServerGroupId=sgp-other`, { method: "POST", headers, body: "" });
    await fetch(`${endpoint}/?${s.query}`, { method: "POST", headers, body: "" });
    expect(seen.map((x) => x.signatureOk)).toEqual([false, false, true]);
  });

  it("an STS token from the environment is sent and signed; missing credentials name the variables", async () => {
    process.env.ALIBABA_CLOUD_SECURITY_TOKEN = "sts-token-1";
    try {
      handler = () => ({ body: { Servers: [] } });
      await pool().call("ListServerGroupServers", { ServerGroupId: "sgp-aistudio" });
      expect(seen[0].headers["x-acs-security-token"]).toBe("sts-token-1");
      expect(seen[0].signatureOk).toBe(true);
    } finally {
      process.env.ALIBABA_CLOUD_SECURITY_TOKEN = "";
    }
    expect(() => credentialsFromEnv({})).toThrow(/set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET/);
  });
});
