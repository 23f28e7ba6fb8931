// checks/visit.ts against a real local HTTPS server: the configurable smoke request (method, path,
// body, expected fields) and the extra probes (status + JSON or HTML).
import * as https from "node:https";
import { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, probeCall, VISIT_REQUEST, VisitTarget } from "../../checks/visit";
import { selfSignedCert } from "./fixtures";

const DOMAIN = "photogooo.com";
const cert = selfSignedCert(DOMAIN);
const seen: { method: string; path: string; body: string }[] = [];
let server: https.Server;
let target: VisitTarget;

const json = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", path: req.url ?? "", body });
      switch (req.url) {
        case "/api/user/visit": return json(res, 200, { success: true, sessionId: JSON.parse(body || "{}").sessionId });
        case "/api/health": return json(res, 200, { ok: 1, success: false });
        case "/api/html": res.writeHead(200, { "Content-Type": "text/html" }); return res.end("<!doctype html><p>login</p>");
        case "/admin/login": res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }); return res.end("<form></form>");
        case "/admin/api/miniprogram-config": return json(res, 401, { success: false, error: "login_required" });
        case "/admin/api/redirects": res.writeHead(302, { Location: "/admin/login", "Content-Type": "text/html" }); return res.end("<a>login</a>");
        default: return json(res, 404, { success: false });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  target = { domain: DOMAIN, connectTo: "127.0.0.1", port: (server.address() as AddressInfo).port, ca: cert.cert, timeoutMs: 5000 };
});
afterAll(() => server.close());

describe("apiCall (the smoke request)", () => {
  it("the default is the guide's visit call with a fresh sessionId, expecting success:true", async () => {
    const r = await apiCall(target, VISIT_REQUEST, "smoke-abc");
    expect(r.ok, r.problems.join("; ")).toBe(true);
    expect(seen.at(-1)).toMatchObject({ method: "POST", path: "/api/user/visit" });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ sessionId: "smoke-abc", type: "launch" });
  });

  it("a configured GET with its own expected fields passes only when every field matches", async () => {
    expect((await apiCall(target, { method: "GET", path: "/api/health", expect: { ok: 1 } }, "x")).ok).toBe(true);
    expect(seen.at(-1)).toMatchObject({ method: "GET", path: "/api/health", body: "" });
    const r = await apiCall(target, { method: "GET", path: "/api/health", expect: { ok: 1, success: true } }, "x");
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.stringMatching(/expected "success": true, found false/)]);
  });

  it("a configured body is sent as given", async () => {
    await apiCall(target, { method: "POST", path: "/api/user/visit", body: '{"sessionId":"fixed","type":"show"}', expect: { success: true } }, "ignored");
    expect(seen.at(-1)!.body).toBe('{"sessionId":"fixed","type":"show"}');
  });

  it("HTML instead of JSON is named as the cause of Unexpected token '<'", async () => {
    const r = await apiCall(target, { method: "GET", path: "/api/html", expect: { success: true } }, "x");
    expect(r.ok).toBe(false);
    expect(r.problems.join("\n")).toMatch(/expected Content-Type application\/json, found text\/html \(HTML: this is what makes the admin backend fail with "Unexpected token '<'"\)/);
  });
});

describe("probeCall (extra probes)", () => {
  it("the admin login page answers HTML 200; its API answers JSON 401 without a session", async () => {
    expect((await probeCall(target, { method: "GET", path: "/admin/login", status: 200, type: "html" })).ok).toBe(true);
    const api = await probeCall(target, { method: "POST", path: "/admin/api/miniprogram-config", status: 401, type: "json" });
    expect(api.ok, api.problems.join("; ")).toBe(true);
    expect(seen.at(-1)).toMatchObject({ method: "POST", body: "{}" });
  });

  it("a redirect to the HTML login page where JSON 401 is expected fails with the status, the Location and the kind", async () => {
    const r = await probeCall(target, { method: "POST", path: "/admin/api/redirects", status: 401, type: "json" });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      "POST /admin/api/redirects: expected HTTP 401, found 302 → /admin/login",
      "POST /admin/api/redirects: expected JSON, found text/html: <a>login</a>",
    ]);
  });

  it("JSON where an HTML page is expected fails", async () => {
    const r = await probeCall(target, { method: "GET", path: "/admin/api/miniprogram-config", status: 401, type: "html" });
    expect(r.problems).toEqual(["GET /admin/api/miniprogram-config: expected an HTML page, found application/json"]);
  });
});
