"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.LETSENCRYPT_DIRECTORY = exports.ACME_DEPLOY_HOOK = exports.CERTBOT_DROPIN = exports.ACME_CA_BUNDLE = exports.ACME_WEBROOT = exports.PRIVKEY = exports.FULLCHAIN = exports.TLS_DIR = void 0;
exports.selfSignedStep = selfSignedStep;
exports.providedStep = providedStep;
exports.acmeStep = acmeStep;
const shell_1 = require("./shell");
exports.TLS_DIR = "/etc/aistudio/tls";
exports.FULLCHAIN = `${exports.TLS_DIR}/fullchain.pem`;
exports.PRIVKEY = `${exports.TLS_DIR}/privkey.pem`;
exports.ACME_WEBROOT = "/var/www/acme";
const probe = `for f in ${exports.FULLCHAIN} ${exports.PRIVKEY}; do
  if [ -e "$f" ]; then echo "$f -> $(readlink -f "$f") mode=$(stat -L -c '%a' "$f")"; else echo "$f missing"; fi
done
if [ -e ${exports.FULLCHAIN} ]; then openssl x509 -in ${exports.FULLCHAIN} -noout -fingerprint -sha256 -subject -enddate; fi`;
/** Self-signed certificate, regenerated only when missing, for another name, or expiring within 30 days. */
function selfSignedStep(domain) {
    return {
        id: "tls",
        description: `self-signed certificate for ${domain} (test stacks only)`,
        files: [],
        apply: `
install -d -m 0755 ${exports.TLS_DIR}
if [ -L ${exports.FULLCHAIN} ] || [ -L ${exports.PRIVKEY} ]; then rm -f ${exports.FULLCHAIN} ${exports.PRIVKEY}; fi
if ! [ -f ${exports.FULLCHAIN} ] || ! [ -f ${exports.PRIVKEY} ] \\
   || ! openssl x509 -in ${exports.FULLCHAIN} -noout -checkhost ${(0, shell_1.q)(domain)} | grep -q 'does match' \\
   || ! openssl x509 -in ${exports.FULLCHAIN} -noout -checkend 2592000 >/dev/null; then
  echo "generating a self-signed certificate for ${domain}"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \\
    -subj ${(0, shell_1.q)("/CN=" + domain)} -addext ${(0, shell_1.q)("subjectAltName=DNS:" + domain)} \\
    -keyout ${exports.PRIVKEY}.aistudio-new -out ${exports.FULLCHAIN}.aistudio-new 2>/dev/null
  chmod 0600 ${exports.PRIVKEY}.aistudio-new; chmod 0644 ${exports.FULLCHAIN}.aistudio-new
  mv -f ${exports.PRIVKEY}.aistudio-new ${exports.PRIVKEY}; mv -f ${exports.FULLCHAIN}.aistudio-new ${exports.FULLCHAIN}
  CHANGED=1
fi
`,
        probe,
    };
}
/** Certificate + chain and key supplied from config. The key file is 0600 and marked secret. */
function providedStep(domain, fullchainPem, keyPem) {
    return {
        id: "tls",
        description: `provided certificate for ${domain}`,
        files: [
            { path: exports.FULLCHAIN, content: fullchainPem.trim() + "\n", mode: "0644" },
            { path: exports.PRIVKEY, content: keyPem.trim() + "\n", mode: "0600", secret: true },
        ],
        apply: `
install -d -m 0755 ${exports.TLS_DIR}
if [ -L ${exports.FULLCHAIN} ] || [ -L ${exports.PRIVKEY} ]; then rm -f ${exports.FULLCHAIN} ${exports.PRIVKEY}; fi
put_file ${exports.PRIVKEY} 0600 root root
put_file ${exports.FULLCHAIN} 0644 root root
`,
        probe,
    };
}
/** Where the acme step puts tls.acmeCaBundle: the CA that certbot trusts for a private ACME server. */
exports.ACME_CA_BUNDLE = "/etc/aistudio/acme-ca.pem";
/** certbot.service drop-in that hands REQUESTS_CA_BUNDLE to the renewals run by certbot.timer. */
exports.CERTBOT_DROPIN = "/etc/systemd/system/certbot.service.d/aistudio-acme-ca.conf";
exports.ACME_DEPLOY_HOOK = "/etc/letsencrypt/renewal-hooks/deploy/aistudio-reload-nginx";
exports.LETSENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";
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
function acmeStep(o) {
    const caPath = o.caBundle ? exports.ACME_CA_BUNDLE : o.caBundlePath;
    if (caPath !== undefined && !/^\/[A-Za-z0-9._\/-]+$/.test(caPath))
        throw new Error(`acmeStep: unsafe CA bundle path ${JSON.stringify(caPath)}`);
    const server = o.server ?? exports.LETSENCRYPT_DIRECTORY;
    const env = caPath ? `REQUESTS_CA_BUNDLE=${(0, shell_1.q)(caPath)} ` : "";
    const live = `/etc/letsencrypt/live/${o.domain}`;
    const renewalConf = `/etc/letsencrypt/renewal/${o.domain}.conf`;
    const hook = exports.ACME_DEPLOY_HOOK;
    const files = [
        { path: hook, content: "#!/bin/sh\n# installed by aistudio-infra: reload nginx after certbot renews the certificate\nsystemctl reload nginx\n", mode: "0755" },
    ];
    if (o.caBundle)
        files.push({ path: exports.ACME_CA_BUNDLE, content: o.caBundle.trim() + "\n", mode: "0644" });
    if (caPath) {
        files.push({
            path: exports.CERTBOT_DROPIN,
            content: `# installed by aistudio-infra: certbot renewals (certbot.timer) trust the private ACME server's CA\n[Service]\nEnvironment=REQUESTS_CA_BUNDLE=${caPath}\n`,
            mode: "0644",
        });
    }
    const certbot = `${env}certbot certonly --non-interactive --agree-tos --no-eff-email -m ${(0, shell_1.q)(o.email)} \\
    --webroot -w ${exports.ACME_WEBROOT} -d ${(0, shell_1.q)(o.domain)} --cert-name ${(0, shell_1.q)(o.domain)} --server ${(0, shell_1.q)(server)}`;
    return {
        id: "acme",
        description: `Let's Encrypt (ACME HTTP-01) certificate for ${o.domain}`,
        files,
        apply: `
install -d -m 0755 /etc/letsencrypt/renewal-hooks/deploy ${exports.ACME_WEBROOT}
put_file ${hook} 0755 root root
${o.caBundle ? `put_file ${exports.ACME_CA_BUNDLE} 0644 root root` : caPath === exports.ACME_CA_BUNDLE ? "" : `rm -f ${exports.ACME_CA_BUNDLE}`}
units_changed=0
${caPath
            ? `install -d -m 0755 ${exports.CERTBOT_DROPIN.slice(0, exports.CERTBOT_DROPIN.lastIndexOf("/"))}
if ! [ -f ${exports.CERTBOT_DROPIN} ] || ! cmp -s ${exports.CERTBOT_DROPIN}.aistudio-new ${exports.CERTBOT_DROPIN}; then units_changed=1; fi
put_file ${exports.CERTBOT_DROPIN} 0644 root root`
            : `if [ -e ${exports.CERTBOT_DROPIN} ]; then rm -f ${exports.CERTBOT_DROPIN}; units_changed=1; CHANGED=1; fi`}
if [ "$units_changed" = 1 ]; then systemctl daemon-reload; fi
cert_changed=0
have_server=$(sed -n 's/^server *= *//p' ${(0, shell_1.q)(renewalConf)} 2>/dev/null || true)
if ! [ -f ${(0, shell_1.q)(live + "/fullchain.pem")} ] || ! [ -f ${(0, shell_1.q)(renewalConf)} ] || [ "$have_server" != ${(0, shell_1.q)(server)} ]; then
  force=""
  if [ -f ${(0, shell_1.q)(live + "/fullchain.pem")} ]; then
    echo "the certificate for ${o.domain} was issued through another ACME server (\${have_server:-unknown}); replacing it"
    force=--force-renewal
  else
    echo ${(0, shell_1.q)(`requesting a certificate for ${o.domain} from ${server}`)}
  fi
  if ! ${certbot} $force 2>&1; then
    echo ${(0, shell_1.q)(`certbot could not obtain a certificate for ${o.domain} from ${server}: the ACME server must resolve ${o.domain} to this server and reach it on port 80 (http://${o.domain}/.well-known/acme-challenge/ is served from ${exports.ACME_WEBROOT}); see /var/log/letsencrypt/letsencrypt.log on the server`)} >&2
    exit 1
  fi
  cert_changed=1
fi
if [ "$(readlink ${exports.FULLCHAIN} || true)" != ${(0, shell_1.q)(live + "/fullchain.pem")} ] || [ "$(readlink ${exports.PRIVKEY} || true)" != ${(0, shell_1.q)(live + "/privkey.pem")} ]; then
  ln -sfn ${(0, shell_1.q)(live + "/fullchain.pem")} ${exports.FULLCHAIN}
  ln -sfn ${(0, shell_1.q)(live + "/privkey.pem")} ${exports.PRIVKEY}
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
        probe: `for f in ${exports.FULLCHAIN} ${exports.PRIVKEY}; do
  if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; elif [ -e "$f" ]; then echo "$f is not a link to certbot's live files"; else echo "$f missing"; fi
done
if [ -e ${(0, shell_1.q)(live + "/fullchain.pem")} ]; then openssl x509 -in ${(0, shell_1.q)(live + "/fullchain.pem")} -noout -subject -ext subjectAltName 2>&1 | tr -s ' '; else echo ${(0, shell_1.q)(live + "/fullchain.pem")} missing; fi
echo "renewal server $(sed -n 's/^server *= *//p' ${(0, shell_1.q)(renewalConf)} 2>/dev/null || echo missing)"
probe_file ${hook}
probe_file ${exports.ACME_CA_BUNDLE}
probe_file ${exports.CERTBOT_DROPIN}
echo "certbot.timer $(systemctl is-enabled certbot.timer 2>/dev/null || true)"`,
    };
}
//# sourceMappingURL=tls.js.map