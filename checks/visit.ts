// The guide's API test as code: POST https://<domain>/api/user/visit {"sessionId":…,"type":"launch"}
// must answer 2xx, Content-Type application/json and a body whose success is true. The request and
// the fields it must answer with are configurable (smoke.path/method/body/expect), and extra probes
// check other pages (the admin login page answers HTML 200, its API answers JSON 401 without a session).
import * as https from "node:https";
import { VISIT_PATH } from "../core/constants";

export interface VisitTarget {
  domain: string;
  /** Connect to this address instead of resolving the domain (test hosts, pre-DNS checks). */
  connectTo?: string;
  port?: number;
  /** Extra trusted CA (PEM) for test stacks; the system store is used otherwise. */
  ca?: string;
  timeoutMs?: number;
}

export type JsonScalar = string | number | boolean | null;

/** The smoke request: the guide's visit call unless configured otherwise. */
export interface SmokeRequest {
  method: string;
  path: string;
  /** JSON body; undefined: the guide's visit body with a fresh sessionId. */
  body?: string;
  /** Top-level JSON fields the answer must carry, e.g. { success: true }. */
  expect: Record<string, JsonScalar>;
}

/** An extra request of the smoke test: the status and the kind of answer it must get. */
export interface SmokeProbe {
  method: string;
  path: string;
  status: number;
  type: "json" | "html";
}

export const VISIT_REQUEST: SmokeRequest = { method: "POST", path: VISIT_PATH, expect: { success: true } };

export interface VisitResult {
  ok: boolean;
  status?: number;
  contentType?: string;
  body?: string;
  error?: string;
  /** One line per failed expectation: expected vs found. */
  problems: string[];
}

export function httpsRequest(
  t: VisitTarget,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: t.connectTo ?? t.domain,
        port: t.port ?? 443,
        servername: t.domain,
        method,
        path,
        headers: {
          Host: t.domain,
          "Content-Type": "application/json",
          "User-Agent": "aistudio-infra-smoke/1",
          ...(body ? { "Content-Length": Buffer.byteLength(body) } : {}),
        },
        ca: t.ca ? [...require("node:tls").rootCertificates, t.ca] : undefined,
        timeout: t.timeoutMs ?? 10_000,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${t.timeoutMs ?? 10_000} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** The guide's call: POST /api/user/visit {"sessionId", "type":"launch"} answers JSON success:true. */
export function visit(t: VisitTarget, sessionId: string): Promise<VisitResult> {
  return apiCall(t, VISIT_REQUEST, sessionId);
}

/** GET and HEAD carry no body. */
const withBody = (method: string, body: string): string | undefined => (method === "GET" || method === "HEAD" ? undefined : body);

function isHtml(ct: string, body: string): boolean {
  return /html/i.test(ct) || body.trimStart().startsWith("<");
}

/** A request that must answer 2xx JSON carrying the expected fields (the smoke request). */
export async function apiCall(t: VisitTarget, req: SmokeRequest, sessionId: string): Promise<VisitResult> {
  const payload = req.body ?? withBody(req.method, JSON.stringify({ sessionId, type: "launch" }));
  let r;
  try {
    r = await httpsRequest(t, req.method, req.path, payload);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, error: `${err.code ?? ""} ${err.message}`.trim(), problems: [`expected an HTTPS answer from ${t.domain}, found: ${err.code ?? ""} ${err.message}`] };
  }
  const problems: string[] = [];
  const ct = String(r.headers["content-type"] ?? "");
  if (r.status < 200 || r.status > 299) problems.push(`expected HTTP 2xx, found ${r.status}`);
  if (!/^application\/json/i.test(ct)) {
    problems.push(`expected Content-Type application/json, found ${ct || "none"}${isHtml(ct, r.body) ? " (HTML: this is what makes the admin backend fail with \"Unexpected token '<'\")" : ""}`);
  }
  let json: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(r.body) as unknown;
    json = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    problems.push(`expected a JSON body, found: ${r.body.slice(0, 120)}`);
  }
  if (problems.length === 0 && json) {
    for (const [field, want] of Object.entries(req.expect)) {
      if (json[field] !== want) problems.push(`expected "${field}": ${JSON.stringify(want)}, found ${JSON.stringify(json[field])} in ${r.body.slice(0, 200)}`);
    }
  }
  return { ok: problems.length === 0, status: r.status, contentType: ct, body: r.body.slice(0, 2000), problems };
}

/** An extra probe: the exact status and the kind of answer (JSON or an HTML page). */
export async function probeCall(t: VisitTarget, p: SmokeProbe): Promise<VisitResult> {
  let r;
  try {
    r = await httpsRequest(t, p.method, p.path, withBody(p.method, "{}"));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, error: err.message, problems: [`${p.method} ${p.path}: expected an HTTPS answer, found: ${err.code ?? ""} ${err.message}`] };
  }
  const problems: string[] = [];
  const ct = String(r.headers["content-type"] ?? "");
  if (r.status !== p.status) problems.push(`${p.method} ${p.path}: expected HTTP ${p.status}, found ${r.status}${r.headers.location ? ` → ${r.headers.location}` : ""}`);
  if (p.type === "json") {
    let parses = true;
    try { JSON.parse(r.body); } catch { parses = false; }
    if (!/^application\/json/i.test(ct) || !parses) problems.push(`${p.method} ${p.path}: expected JSON, found ${ct || "no Content-Type"}: ${r.body.slice(0, 80)}`);
  } else if (!/^text\/html/i.test(ct)) {
    problems.push(`${p.method} ${p.path}: expected an HTML page, found ${ct || "no Content-Type"}`);
  }
  return { ok: problems.length === 0, status: r.status, contentType: ct, body: r.body.slice(0, 2000), problems };
}
