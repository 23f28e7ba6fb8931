// TLS checks with Node's own TLS: what a phone's WeChat client needs from https://<domain>.
import * as tls from "node:tls";
import * as net from "node:net";
import { X509Certificate } from "node:crypto";

export interface TlsTarget {
  domain: string;
  /** Address to connect to (defaults to the domain). */
  address?: string;
  port?: number;
  /** Extra trusted CA (test stacks); the system store otherwise. */
  ca?: string;
  timeoutMs?: number;
}

export interface HandshakeResult {
  ok: boolean;
  protocol?: string;
  cipher?: string;
  error?: string;
  authorized?: boolean;
  authorizationError?: string;
  /** Leaf certificate as sent by the server. */
  leaf?: X509Certificate;
  /** Number of certificates the server sent (leaf + intermediates). */
  chainLength?: number;
}

export function handshake(t: TlsTarget, versions?: { min: tls.SecureVersion; max: tls.SecureVersion }): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const opts: tls.ConnectionOptions = {
      host: t.address ?? t.domain,
      port: t.port ?? 443,
      servername: t.domain,
      rejectUnauthorized: false,
      ca: t.ca ? [...tls.rootCertificates, t.ca] : undefined,
      ALPNProtocols: ["http/1.1"],
    };
    if (versions) {
      opts.minVersion = versions.min;
      opts.maxVersion = versions.max;
      // let the client offer old protocols at all, so that a refusal is the server's
      if (versions.max !== "TLSv1.3" && versions.max !== "TLSv1.2") opts.ciphers = "DEFAULT:@SECLEVEL=0";
    }
    let done = false;
    const finish = (r: HandshakeResult, s?: tls.TLSSocket) => {
      if (done) return;
      done = true;
      s?.destroy();
      resolve(r);
    };
    const s = tls.connect(opts, () => {
      const peer = s.getPeerX509Certificate();
      // count what the server sent: walk the raw chain Node received (issuerCertificate links)
      const detailed = s.getPeerCertificate(true);
      let n = 0;
      const seen = new Set<string>();
      for (let c: tls.DetailedPeerCertificate | undefined = detailed; c && c.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
        seen.add(c.fingerprint256);
        n++;
      }
      finish(
        {
          ok: true,
          protocol: s.getProtocol() ?? undefined,
          cipher: s.getCipher()?.name,
          authorized: s.authorized,
          authorizationError: s.authorizationError ? String(s.authorizationError) : undefined,
          leaf: peer,
          chainLength: n,
        },
        s,
      );
    });
    s.setTimeout(t.timeoutMs ?? 8_000, () => finish({ ok: false, error: "timeout" }, s));
    s.on("error", (e: NodeJS.ErrnoException) => finish({ ok: false, error: `${e.code ?? ""} ${e.message}`.trim() }, s));
  });
}

export function tcpReachable(host: string, port: number, timeoutMs = 5000): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (r: { ok: boolean; error?: string }) => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(timeoutMs, () => done({ ok: false, error: `timeout after ${timeoutMs} ms` }));
    s.on("connect", () => done({ ok: true }));
    s.on("error", (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code ?? e.message }));
  });
}

/** Does the server accept exactly this protocol version? */
export async function acceptsVersion(t: TlsTarget, v: tls.SecureVersion): Promise<boolean> {
  const r = await handshake(t, { min: v, max: v });
  return r.ok && r.protocol === v;
}

export function daysLeft(cert: X509Certificate, now = Date.now()): number {
  return Math.floor((new Date(cert.validTo).getTime() - now) / 86_400_000);
}

export function selfSigned(cert: X509Certificate): boolean {
  return cert.issuer === cert.subject && cert.verify(cert.publicKey);
}
