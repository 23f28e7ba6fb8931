// TLS certificate for the domain, by mode:
//  - self-signed: generated on the server (local test stack only; the key never leaves the server)
//  - provided:    PEM certificate + chain and key from Pulumi secret config (e.g. Alibaba Cloud SSL)
//  - acme:        certbot webroot HTTP-01 (see acmeStep), renewed by Debian's certbot.timer
// nginx always reads /etc/aistudio/tls/{fullchain,privkey}.pem; for acme they link to certbot's live files.
import { Step } from "./step";
import { q } from "./shell";
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
  const caPath = o.caBundle ? ACME_CA_BUNDLE : o.caBundlePath;
  if (caPath !== undefined && !/^\/[A-Za-z0-9._\/-]+$/.test(caPath)) throw new Error(`acmeStep: unsafe CA bundle path ${JSON.stringify(caPath)}`);
  const server = o.server ?? LETSENCRYPT_DIRECTORY;
  const env = caPath ? `REQUESTS_CA_BUNDLE=${q(caPath)} ` : "";
  const live = `/etc/letsencrypt/live/${o.domain}`;
  const renewalConf = `/etc/letsencrypt/renewal/${o.domain}.conf`;
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
  const certbot = `${env}certbot certonly --non-interactive --agree-tos --no-eff-email -m ${q(o.email)} \\
    --webroot -w ${ACME_WEBROOT} -d ${q(o.domain)} --cert-name ${q(o.domain)} --server ${q(server)}`;
  return {
    id: "acme",
    description: `Let's Encrypt (ACME HTTP-01) certificate for ${o.domain}`,
    files,
    apply: `
install -d -m 0755 /etc/letsencrypt/renewal-hooks/deploy ${ACME_WEBROOT}
put_file ${hook} 0755 root root
${o.caBundle ? `put_file ${ACME_CA_BUNDLE} 0644 root root` : caPath === ACME_CA_BUNDLE ? "" : `rm -f ${ACME_CA_BUNDLE}`}
units_changed=0
${caPath
  ? `install -d -m 0755 ${CERTBOT_DROPIN.slice(0, CERTBOT_DROPIN.lastIndexOf("/"))}
if ! [ -f ${CERTBOT_DROPIN} ] || ! cmp -s ${CERTBOT_DROPIN}.aistudio-new ${CERTBOT_DROPIN}; then units_changed=1; fi
put_file ${CERTBOT_DROPIN} 0644 root root`
  : `if [ -e ${CERTBOT_DROPIN} ]; then rm -f ${CERTBOT_DROPIN}; units_changed=1; CHANGED=1; fi`}
if [ "$units_changed" = 1 ]; then systemctl daemon-reload; fi
cert_changed=0
have_server=$(sed -n 's/^server *= *//p' ${q(renewalConf)} 2>/dev/null || true)
if ! [ -f ${q(live + "/fullchain.pem")} ] || ! [ -f ${q(renewalConf)} ] || [ "$have_server" != ${q(server)} ]; then
  force=""
  if [ -f ${q(live + "/fullchain.pem")} ]; then
    echo "the certificate for ${o.domain} was issued through another ACME server (\${have_server:-unknown}); replacing it"
    force=--force-renewal
  else
    echo ${q(`requesting a certificate for ${o.domain} from ${server}`)}
  fi
  if ! ${certbot} $force 2>&1; then
    echo ${q(`certbot could not obtain a certificate for ${o.domain} from ${server}: the ACME server must resolve ${o.domain} to this server and reach it on port 80 (http://${o.domain}/.well-known/acme-challenge/ is served from ${ACME_WEBROOT}); see /var/log/letsencrypt/letsencrypt.log on the server`)} >&2
    exit 1
  fi
  cert_changed=1
fi
if [ "$(readlink ${FULLCHAIN} || true)" != ${q(live + "/fullchain.pem")} ] || [ "$(readlink ${PRIVKEY} || true)" != ${q(live + "/privkey.pem")} ]; then
  ln -sfn ${q(live + "/fullchain.pem")} ${FULLCHAIN}
  ln -sfn ${q(live + "/privkey.pem")} ${PRIVKEY}
  cert_changed=1
fi
if [ "$cert_changed" = 1 ]; then
  CHANGED=1
  nginx -t 2>&1
  systemctl reload nginx
fi
if [ "$(systemctl is-enabled certbot.timer 2>/dev/null || true)" != enabled ] || ! systemctl is-active --quiet certbot.timer; then
  systemctl enable --now certbot.timer 2>&1
  CHANGED=1
fi
`,
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
