// TLS certificate for the domain, by mode:
//  - self-signed: generated on the server (local test stack only; the key never leaves the server)
//  - provided:    PEM certificate + chain and key from Pulumi secret config (e.g. Alibaba Cloud SSL)
//  - acme:        certbot webroot HTTP-01 (see acmeStep, provision/scripts/acme.sh), renewed by Debian's certbot.timer
// nginx always reads /etc/aistudio/tls/{fullchain,privkey}.pem; for acme they link to certbot's live files.
import { Step } from "./step";
import { ShellVars, q, scriptFromFile } from "./shell";
import { certProbe, fileProbe, keyProbe, linkProbe, probeOf, renewalProbe, unitProbe } from "./probes";

export { TLS_DIR, FULLCHAIN, PRIVKEY, ACME_WEBROOT } from "../core/constants";
import { TLS_DIR, FULLCHAIN, PRIVKEY, ACME_WEBROOT } from "../core/constants";

/** A new certificate is served only after nginx reloads (the nginx step does not re-run for it). */
const RELOAD_IF_CHANGED = `if [ "$CHANGED" = 1 ] && systemctl is-active --quiet nginx; then nginx -t 2>&1 && systemctl reload nginx; fi`;

/** The certificate file, what it certifies and until when, and the key's mode and match (never the key). */
const probe = probeOf(fileProbe(FULLCHAIN), certProbe(FULLCHAIN), keyProbe(PRIVKEY, FULLCHAIN));

/** Self-signed certificate, regenerated only when missing, for another name, or expiring within 30 days. */
export function selfSignedStep(domain: string): Step {
  return {
    id: "tls",
    description: `self-signed certificate for ${domain} (test stacks only)`,
    files: [],
    apply: `
install -d -m 0755 ${TLS_DIR}
if [ -L ${FULLCHAIN} ] || [ -L ${PRIVKEY} ]; then rm -f ${FULLCHAIN} ${PRIVKEY}; fi
if ! [ -f ${FULLCHAIN} ] || ! [ -f ${PRIVKEY} ] \\
   || ! openssl x509 -in ${FULLCHAIN} -noout -checkhost ${q(domain)} | grep -q 'does match' \\
   || ! openssl x509 -in ${FULLCHAIN} -noout -checkend 2592000 >/dev/null; then
  echo "generating a self-signed certificate for ${domain}"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \\
    -subj ${q("/CN=" + domain)} -addext ${q("subjectAltName=DNS:" + domain)} \\
    -keyout ${PRIVKEY}.aistudio-new -out ${FULLCHAIN}.aistudio-new 2>/dev/null
  chmod 0600 ${PRIVKEY}.aistudio-new; chmod 0644 ${FULLCHAIN}.aistudio-new
  mv -f ${PRIVKEY}.aistudio-new ${PRIVKEY}; mv -f ${FULLCHAIN}.aistudio-new ${FULLCHAIN}
  CHANGED=1
fi
${RELOAD_IF_CHANGED}
`,
    ...probe,
  };
}

/** Certificate + chain and key supplied from config. The key file is 0600 and marked secret. */
export function providedStep(domain: string, fullchainPem: string, keyPem: string): Step {
  return {
    id: "tls",
    description: `provided certificate for ${domain}`,
    files: [
      { path: FULLCHAIN, content: fullchainPem.trim() + "\n", mode: "0644" },
      { path: PRIVKEY, content: keyPem.trim() + "\n", mode: "0600", secret: true },
    ],
    apply: `
install -d -m 0755 ${TLS_DIR}
if [ -L ${FULLCHAIN} ] || [ -L ${PRIVKEY} ]; then rm -f ${FULLCHAIN} ${PRIVKEY}; fi
put_file ${PRIVKEY} 0600 root root
put_file ${FULLCHAIN} 0644 root root
${RELOAD_IF_CHANGED}
`,
    ...probe,
  };
}

/** Where the acme step puts tls.acmeCaBundle: the CA that certbot trusts for a private ACME server. */
export const ACME_CA_BUNDLE = "/etc/aistudio/acme-ca.pem";
/** certbot.service drop-in that hands REQUESTS_CA_BUNDLE to the renewals run by certbot.timer. */
export const CERTBOT_DROPIN = "/etc/systemd/system/certbot.service.d/aistudio-acme-ca.conf";
export const ACME_DEPLOY_HOOK = "/etc/letsencrypt/renewal-hooks/deploy/aistudio-reload-nginx";
export const LETSENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

export interface AcmeOptions {
  domain: string;
  email: string;
  /** ACME directory URL; Let's Encrypt production when unset. */
  server?: string;
  /**
   * PEM of the CA that signs the ACME server's HTTPS certificate (a private/test ACME server such
   * as pebble). Uploaded to /etc/aistudio/acme-ca.pem; certbot then trusts only this bundle.
   */
  caBundle?: string;
  /** A CA bundle already on the server (instead of caBundle). */
  caBundlePath?: string;
}

/** The CA bundle certbot trusts: the uploaded tls.acmeCaBundle, a bundle already on the server, or none. */
function acmeCaPath(o: AcmeOptions): string | undefined {
  const caPath = o.caBundle ? ACME_CA_BUNDLE : o.caBundlePath;
  if (caPath !== undefined && !/^\/[A-Za-z0-9._\/-]+$/.test(caPath)) throw new Error(`acmeStep: unsafe CA bundle path ${JSON.stringify(caPath)}`);
  return caPath;
}

/** certbot's lineage of a domain: the directory of its live files and its renewal config. */
function certbotLineage(domain: string): { live: string; renewalConf: string } {
  return { live: `/etc/letsencrypt/live/${domain}`, renewalConf: `/etc/letsencrypt/renewal/${domain}.conf` };
}

/** The header of provision/scripts/acme.sh: every value the acme step's apply script uses. */
export function acmeScriptVars(o: AcmeOptions): ShellVars {
  return {
    DOMAIN: o.domain,
    EMAIL: o.email,
    ACME_SERVER: o.server ?? LETSENCRYPT_DIRECTORY,
    ACME_WEBROOT,
    FULLCHAIN,
    PRIVKEY,
    LIVE_DIR: certbotLineage(o.domain).live,
    RENEWAL_CONF: certbotLineage(o.domain).renewalConf,
    DEPLOY_HOOK: ACME_DEPLOY_HOOK,
    CA_BUNDLE: acmeCaPath(o) ?? "",
    UPLOADED_CA: ACME_CA_BUNDLE,
    CA_UPLOADED: o.caBundle ? 1 : 0,
    CERTBOT_DROPIN,
  };
}

/**
 * ACME (Let's Encrypt or any RFC 8555 server) through certbot's webroot plugin. Runs after the nginx
 * step, which serves /var/www/acme on port 80 and starts with a self-signed bootstrap certificate.
 *
 *  - certbot runs only when there is no certificate lineage for the domain yet, or when the lineage
 *    was issued by another ACME server (then it is replaced; e.g. staging -> production)
 *  - renewals: Debian's certbot.timer (enabled here) runs `certbot -q renew`; the renewal config
 *    stores --server and the webroot; the deploy hook reloads nginx after a renewal
 *  - a private ACME server's CA (caBundle) reaches certbot as REQUESTS_CA_BUNDLE, for the first
 *    request and, through a certbot.service drop-in, for the timer's renewals. An admin renewing by
 *    hand uses the same environment. Note that `certbot renew --dry-run` always talks to Let's
 *    Encrypt's staging server unless --server is given (certbot ignores the renewal config's server
 *    for dry runs, certbot/certbot#9081), so a dry run against a private ACME server is:
 *      env $(systemctl show -p Environment --value certbot.service) certbot renew --dry-run --server URL
 */
export function acmeStep(o: AcmeOptions): Step {
  const caPath = acmeCaPath(o);
  const { live, renewalConf } = certbotLineage(o.domain);
  const hook = ACME_DEPLOY_HOOK;
  const files: Step["files"] = [
    { path: hook, content: "#!/bin/sh\n# installed by aistudio-infra: reload nginx after certbot renews the certificate\nsystemctl reload nginx\n", mode: "0755" },
  ];
  if (o.caBundle) files.push({ path: ACME_CA_BUNDLE, content: o.caBundle.trim() + "\n", mode: "0644" });
  if (caPath) {
    files.push({
      path: CERTBOT_DROPIN,
      content: `# installed by aistudio-infra: certbot renewals (certbot.timer) trust the private ACME server's CA\n[Service]\nEnvironment=REQUESTS_CA_BUNDLE=${caPath}\n`,
      mode: "0644",
    });
  }
  return {
    id: "acme",
    description: `Let's Encrypt (ACME HTTP-01) certificate for ${o.domain}`,
    files,
    apply: scriptFromFile("acme", acmeScriptVars(o)),
    // Not the certificate's fingerprint or dates: renewals by certbot.timer are expected, not drift.
    ...probeOf(
      linkProbe(FULLCHAIN),
      linkProbe(PRIVKEY),
      certProbe(`${live}/fullchain.pem`, "names"),
      renewalProbe(renewalConf),
      fileProbe(hook),
      fileProbe(ACME_CA_BUNDLE),
      fileProbe(CERTBOT_DROPIN),
      unitProbe("certbot.timer"),
    ),
  };
}

/**
 * A rebuild's standby cannot answer an HTTP-01 challenge (the domain still points at the old server),
 * so it gets the old server's certbot directory (account, lineage, renewal config) before its acme
 * step runs, which then finds the lineage and requests nothing. The archive goes base64 on stdout.
 */
export function exportCertbotCommand(): string {
  return "set -euo pipefail; test -d /etc/letsencrypt/live; tar -C /etc -czf - letsencrypt | base64 -w0";
}

/** Unpacks what exportCertbotCommand printed into /etc/letsencrypt (root-only, as certbot keeps it). */
export function importCertbotCommand(archiveBase64: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(archiveBase64)) throw new Error("importCertbotCommand: not base64");
  return `set -euo pipefail; install -d -m 0755 /etc/letsencrypt; printf '%s' ${q(archiveBase64)} | base64 -d | tar -C /etc -xzf -`;
}
