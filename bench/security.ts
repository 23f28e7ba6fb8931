// Security figures on a provisioned host: the unit's systemd-analyze exposure, TLS versions,
// testssl.sh findings, which ports a second test host reaches, and secrets in output.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { acceptsVersion } from "../checks/tls";
import { TLS_DECISIONS } from "../provision/nginx";
import { hostCmd } from "./hosts";

export async function exposure(host: string): Promise<{ score: number; level: string; line: string }> {
  const out = await hostCmd(host, "systemd-analyze security aistudio.service --no-pager 2>&1 | tail -n 3");
  const m = /Overall exposure level for aistudio\.service:\s*([\d.]+)\s+(\S+)/.exec(out);
  return { score: m ? Number(m[1]) : NaN, level: m ? m[2] : "unknown", line: (m?.[0] ?? out.trim()).trim() };
}

export async function tlsVersions(address: string, domain: string): Promise<Record<string, boolean>> {
  const t = { domain, address };
  const out: Record<string, boolean> = {};
  for (const v of ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const) out[v] = await acceptsVersion(t, v);
  return out;
}

/** Ports of `address` that `peer` (another test host) can open a TCP connection to. */
export async function portsFromPeer(peer: string, address: string, ports = [22, 80, 443, 8000]): Promise<Record<string, "open" | "closed">> {
  const script = ports.map((p) => `if timeout 4 bash -c 'exec 3<>/dev/tcp/${address}/${p}' 2>/dev/null; then echo "${p} open"; else echo "${p} closed"; fi`).join("\n");
  const out = await hostCmd(peer, script);
  const r: Record<string, "open" | "closed"> = {};
  for (const l of out.trim().split("\n")) {
    const [p, s] = l.split(" ");
    r[p] = s as "open" | "closed";
  }
  return r;
}

export interface TestsslFinding { id: string; severity: string; finding: string }

/**
 * Finding ids about the certificate's issuer, expected with the self-signed test certificate: not
 * trusted (no CA), and no revocation information (CRL/OCSP URIs come from a CA; Let's Encrypt
 * certificates carry a CRL distribution point).
 */
const TRUST = /^(cert_chain_of_trust|cert_trust|cert_caIssuers|intermediate_cert|chain_of_trust|cert_revocation)/;

export interface TestsslResult {
  ran: boolean;
  error?: string;
  seconds: number;
  /** HIGH/CRITICAL findings that are neither the test certificate's trust nor decided: the goal is none. */
  highOrCritical: TestsslFinding[];
  trustOnly: TestsslFinding[];
  /** Findings decided on purpose (provision/nginx.ts TLS_DECISIONS), with the decision. */
  decided?: (TestsslFinding & { decision: string })[];
  /** Every finding above INFO/OK, for the record. */
  findings?: TestsslFinding[];
  protocols: Record<string, string>;
}

export async function testssl(address: string, domain: string, workDir: string): Promise<TestsslResult> {
  const json = path.join(workDir, `testssl-${address}.json`);
  fs.rmSync(json, { force: true });
  const t0 = Date.now();
  // --nodns none: no DNS lookups at all (test network only); --ip: connect to the test host for the domain
  const args = ["--quiet", "--color", "0", "--warnings", "off", "--nodns", "none", "--ip", address, "--jsonfile", json, `https://${domain}`];
  const err = await new Promise<string | undefined>((resolve) => {
    execFile("testssl", args, { timeout: 20 * 60_000, maxBuffer: 64 << 20 }, (e, _o, se) => resolve(e && !fs.existsSync(json) ? `${e.message} ${se}`.slice(0, 500) : undefined));
  });
  const seconds = (Date.now() - t0) / 1000;
  if (!fs.existsSync(json)) return { ran: false, error: err ?? "no JSON written", seconds, highOrCritical: [], trustOnly: [], protocols: {} };
  const rows = JSON.parse(fs.readFileSync(json, "utf8")) as { id: string; severity: string; finding: string }[];
  const bad = rows.filter((r) => r.severity === "HIGH" || r.severity === "CRITICAL").map((r) => ({ id: r.id, severity: r.severity, finding: r.finding }));
  const protocols: Record<string, string> = {};
  for (const r of rows) if (/^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3)$/.test(r.id)) protocols[r.id] = r.finding;
  const decided = rows.filter((r) => TLS_DECISIONS[r.id] && r.severity !== "OK" && r.severity !== "INFO").map((r) => ({ id: r.id, severity: r.severity, finding: r.finding, decision: TLS_DECISIONS[r.id] }));
  const findings = rows.filter((r) => !["OK", "INFO", "DEBUG"].includes(r.severity)).map((r) => ({ id: r.id, severity: r.severity, finding: r.finding }));
  return { ran: true, seconds, highOrCritical: bad.filter((f) => !TRUST.test(f.id) && !TLS_DECISIONS[f.id]), trustOnly: bad.filter((f) => TRUST.test(f.id)), decided, findings, protocols };
}

/** How often each secret (or its base64 form, or a long line of it) appears in the texts. */
export function secretHits(texts: string[], secrets: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(secrets)) {
    const forms = new Set([s, Buffer.from(s).toString("base64")]);
    for (const line of s.split("\n")) if (line.trim().length >= 16 && !/^-----/.test(line.trim())) forms.add(line.trim());
    let n = 0;
    for (const t of texts) for (const f of forms) n += t.split(f).length - 1;
    out[name] = n;
  }
  return out;
}
