// Checks of single config values (domains, CIDRs, certificates): pure, used by parseConfig.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { networkOf, parseCidr } from "../core/cidr";

export const REGIONS = new Set([
  "cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-qingdao", "cn-zhangjiakou",
  "cn-huhehaote", "cn-wulanchabu", "cn-chengdu", "cn-guangzhou", "cn-heyuan", "cn-nanjing",
  "cn-fuzhou", "cn-wuhan-lr", "cn-hongkong", "ap-southeast-1", "ap-southeast-3", "ap-southeast-5",
  "ap-southeast-6", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "us-west-1", "us-east-1",
  "eu-central-1", "eu-west-1", "me-east-1",
]);

export function isValidDomain(d: string): boolean {
  if (d.length > 253) return false;
  const labels = d.split(".");
  if (labels.length < 2) return false;
  if (!/^[a-z]{2,63}$/i.test(labels[labels.length - 1])) return false;
  return labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

export { parseCidr } from "../core/cidr";

/** Why text is not an IPv4 network in CIDR notation (decimal, host bits clear), or undefined. */
export function cidrProblem(text: string): string | undefined {
  const c = parseCidr(text);
  if (!c) return `${JSON.stringify(text)} is not an IPv4 CIDR like 203.0.113.7/32 (decimal numbers, no spaces)`;
  if (c.ip !== c.network) {
    return `${text} has host bits set: as a network it means ${networkOf(c)} (${c.size} addresses); write that, or ${c.addr}/32 for the one address`;
  }
  return undefined;
}

/** Why text is not a usable PEM bundle of certificates, or undefined when it is. */
export function pemBundleProblem(text: string): string | undefined {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return "no -----BEGIN CERTIFICATE----- block found";
  for (const [i, b] of blocks.entries()) {
    try {
      new X509Certificate(b);
    } catch {
      return `certificate ${i + 1} of ${blocks.length} does not parse`;
    }
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return "it contains a private key; only certificates belong here";
  return undefined;
}

export function checkProvidedCert(certPem: string, keyPem: string, domain: string, bad: (k: string, m: string) => void) {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    bad("tls.certificate", "is not a PEM certificate");
    return;
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) bad("tlsPrivateKey", "does not belong to tls.certificate (the key and certificate do not match)");
  } catch {
    bad("tlsPrivateKey", "is not a PEM private key");
  }
  if (cert.checkHost(domain) === undefined) bad("tls.certificate", `is not valid for ${domain} (its names: ${cert.subjectAltName ?? cert.subject})`);
  if (new Date(cert.validTo).getTime() < Date.now()) bad("tls.certificate", `expired on ${cert.validTo}`);
}

