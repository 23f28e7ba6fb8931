// Alibaba Cloud's V3 request signature (ACS3-HMAC-SHA256), as its "V3 request body and signature"
// documentation defines it, for RPC-style calls with every parameter in the query string and an
// empty body. Pure: the unit test checks it against the documentation's own example.
import { createHash, createHmac, randomBytes } from "node:crypto";

export const ALGORITHM = "ACS3-HMAC-SHA256";

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token (temporary credentials), sent as x-acs-security-token. */
  securityToken?: string;
}

export const sha256Hex = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

/** RFC 3986 percent-encoding as the documentation asks: only A-Z a-z 0-9 - _ . ~ stay, space is %20. */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Parameters sorted by name (byte order), each name and value encoded, joined with & (no trailing &). */
export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k])}`)
    .join("&");
}

export interface SignInput {
  method: string;
  host: string;
  action: string;
  version: string;
  params: Record<string, string>;
  /** ISO 8601 UTC without milliseconds, e.g. 2023-10-26T10:22:32Z. */
  date: string;
  nonce: string;
  body?: string;
  credentials: Credentials;
}

export interface Signed {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  /** Every header to send, Authorization included. */
  headers: Record<string, string>;
  query: string;
}

/**
 * The signed request: the x-acs-* headers and host (all signed, lower-case, sorted), the canonical
 * request (method, URI "/", canonical query, canonical headers, signed header names, hex SHA-256 of
 * the body), StringToSign = "ACS3-HMAC-SHA256\n" + hex SHA-256 of the canonical request, and the
 * signature = hex HMAC-SHA256(secret, StringToSign).
 */
export function sign(i: SignInput): Signed {
  const body = i.body ?? "";
  const signedHeaders: Record<string, string> = {
    host: i.host,
    "x-acs-action": i.action,
    "x-acs-content-sha256": sha256Hex(body),
    "x-acs-date": i.date,
    "x-acs-signature-nonce": i.nonce,
    "x-acs-version": i.version,
  };
  if (i.credentials.securityToken) signedHeaders["x-acs-security-token"] = i.credentials.securityToken;
  const names = Object.keys(signedHeaders).sort();
  const query = canonicalQuery(i.params);
  const canonicalRequest = [
    i.method.toUpperCase(),
    "/",
    query,
    names.map((n) => `${n}:${signedHeaders[n].trim()}\n`).join(""),
    names.join(";"),
    signedHeaders["x-acs-content-sha256"],
  ].join("\n");
  const stringToSign = `${ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac("sha256", i.credentials.accessKeySecret).update(stringToSign, "utf8").digest("hex");
  return {
    canonicalRequest,
    stringToSign,
    signature,
    query,
    headers: { ...signedHeaders, authorization: `${ALGORITHM} Credential=${i.credentials.accessKeyId},SignedHeaders=${names.join(";")},Signature=${signature}` },
  };
}

/** x-acs-date's format: now, in UTC, to the second. */
export const acsDate = (d = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");
export const nonce = (): string => randomBytes(16).toString("hex");
