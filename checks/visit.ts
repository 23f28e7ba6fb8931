// The guide's API test as code: POST https://<domain>/api/user/visit {"sessionId":…,"type":"launch"}
// must answer 2xx, Content-Type application/json and a body whose success is true.
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

export async function visit(t: VisitTarget, sessionId: string): Promise<VisitResult> {
  const payload = JSON.stringify({ sessionId, type: "launch" });
  let r;
  try {
    r = await httpsRequest(t, "POST", VISIT_PATH, payload);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, error: `${err.code ?? ""} ${err.message}`.trim(), problems: [`expected an HTTPS answer from ${t.domain}, found: ${err.code ?? ""} ${err.message}`] };
  }
  const problems: string[] = [];
  const ct = String(r.headers["content-type"] ?? "");
  if (r.status < 200 || r.status > 299) problems.push(`expected HTTP 2xx, found ${r.status}`);
  if (!/^application\/json/i.test(ct)) {
    problems.push(`expected Content-Type application/json, found ${ct || "none"}${/html/i.test(ct) || r.body.trimStart().startsWith("<") ? " (HTML: this is what makes the admin backend fail with \"Unexpected token '<'\")" : ""}`);
  }
  let success: unknown;
  try {
    success = (JSON.parse(r.body) as { success?: unknown }).success;
  } catch {
    problems.push(`expected a JSON body, found: ${r.body.slice(0, 120)}`);
  }
  if (problems.length === 0 && success !== true) problems.push(`expected "success": true, found ${JSON.stringify(success)} in ${r.body.slice(0, 200)}`);
  return { ok: problems.length === 0, status: r.status, contentType: ct, body: r.body.slice(0, 2000), problems };
}
