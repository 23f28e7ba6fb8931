// TLS certificate for the domain, by mode:
//  - self-signed: generated on the server (local test stack only; the key never leaves the server)
//  - provided:    PEM certificate + chain and key from Pulumi secret config (e.g. Alibaba Cloud SSL)
//  - acme:        certbot webroot HTTP-01 (see acmeStep), renewed by Debian's certbot.timer
// nginx always reads /etc/aistudio/tls/{fullchain,privkey}.pem; for acme they link to certbot's live files.
import { Step } from "./step";
import { q } from "./shell";

export const TLS_DIR = "/etc/aistudio/tls";
export const FULLCHAIN = `${TLS_DIR}/fullchain.pem`;
export const PRIVKEY = `${TLS_DIR}/privkey.pem`;
export const ACME_WEBROOT = "/var/www/acme";

const probe = `for f in ${FULLCHAIN} ${PRIVKEY}; do
  if [ -e "$f" ]; then echo "$f -> $(readlink -f "$f") mode=$(stat -L -c '%a' "$f")"; else echo "$f missing"; fi
done
if [ -e ${FULLCHAIN} ]; then openssl x509 -in ${FULLCHAIN} -noout -fingerprint -sha256 -subject -enddate; fi`;

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
`,
    probe,
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
`,
    probe,
  };
}

/**
 * ACME (Let's Encrypt or any RFC 8555 server) through certbot's webroot plugin. Runs after the nginx
 * step, which serves ${ACME_WEBROOT} on port 80 and starts with a self-signed bootstrap certificate.
 */
export function acmeStep(o: { domain: string; email: string; server?: string; caBundlePath?: string }): Step {
  const serverArgs = o.server ? ` --server ${q(o.server)}` : "";
  const env = o.caBundlePath ? `REQUESTS_CA_BUNDLE=${q(o.caBundlePath)} ` : "";
  const live = `/etc/letsencrypt/live/${o.domain}`;
  const hook = "/etc/letsencrypt/renewal-hooks/deploy/aistudio-reload-nginx";
  return {
    id: "acme",
    description: `Let's Encrypt (ACME HTTP-01) certificate for ${o.domain}`,
    files: [
      { path: hook, content: "#!/bin/sh\n# installed by aistudio-infra: reload nginx after certbot renews the certificate\nsystemctl reload nginx\n", mode: "0755" },
    ],
    apply: `
install -d -m 0755 /etc/letsencrypt/renewal-hooks/deploy ${ACME_WEBROOT}
put_file ${hook} 0755 root root
if ! [ -f ${q(live + "/fullchain.pem")} ]; then
  echo "requesting a certificate for ${o.domain}"
  ${env}certbot certonly --non-interactive --agree-tos --no-eff-email -m ${q(o.email)} \\
    --webroot -w ${ACME_WEBROOT} -d ${q(o.domain)} --cert-name ${q(o.domain)}${serverArgs} 2>&1
  CHANGED=1
fi
if [ "$(readlink ${FULLCHAIN} || true)" != ${q(live + "/fullchain.pem")} ]; then
  ln -sfn ${q(live + "/fullchain.pem")} ${FULLCHAIN}
  ln -sfn ${q(live + "/privkey.pem")} ${PRIVKEY}
  CHANGED=1
fi
if [ "$CHANGED" = 1 ]; then nginx -t 2>&1 && systemctl reload nginx; fi
systemctl enable --now certbot.timer >/dev/null 2>&1 || true
`,
    probe: probe + `\necho "certbot.timer $(systemctl is-enabled certbot.timer 2>/dev/null || true)"`,
  };
}
