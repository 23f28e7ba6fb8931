#!/usr/bin/env bash
# The acme step's apply (provision/tls.ts, acmeStep): certbot's deploy hook and, for a private ACME
# server, its CA bundle and the certbot.service drop-in; then a certificate from certbot's webroot
# plugin when there is none for the domain yet or it came from another ACME server; then nginx's
# certificate paths linked to certbot's live files and nginx reloaded; then certbot.timer enabled.
# A failing certbot fails the step with certbot's output before anything nginx reads is touched.
#
# Runs after provision/prelude.ts (put_file) and the staging of the step's files. Nothing reads
# CHANGED after this script, so it does not set it.
# Inputs, from the generated header (server paths are the values starting with "/"):
#   DOMAIN EMAIL ACME_SERVER        what certbot asks for, for whom, and from which ACME directory
#   ACME_WEBROOT FULLCHAIN PRIVKEY  nginx's webroot for challenges and the certificate it serves
#   LIVE_DIR RENEWAL_CONF           certbot's lineage of the domain
#   DEPLOY_HOOK                     the renewal hook that reloads nginx (staged)
#   CA_BUNDLE                       the CA certbot trusts for the ACME server; empty: the system's
#   UPLOADED_CA CA_UPLOADED         where tls.acmeCaBundle goes; 1 when it is staged with this step
#   CERTBOT_DROPIN                  certbot.service drop-in handing CA_BUNDLE to the timer's renewals

install -d -m 0755 "${DEPLOY_HOOK%/*}" "$ACME_WEBROOT"
put_file "$DEPLOY_HOOK" 0755 root root
if [ "$CA_UPLOADED" = 1 ]; then
  put_file "$UPLOADED_CA" 0644 root root
elif [ "$CA_BUNDLE" != "$UPLOADED_CA" ]; then
  rm -f "$UPLOADED_CA"
fi
units_changed=0
if [ -n "$CA_BUNDLE" ]; then
  install -d -m 0755 "${CERTBOT_DROPIN%/*}"
  if ! [ -f "$CERTBOT_DROPIN" ] || ! cmp -s "$CERTBOT_DROPIN.aistudio-new" "$CERTBOT_DROPIN"; then units_changed=1; fi
  put_file "$CERTBOT_DROPIN" 0644 root root
elif [ -e "$CERTBOT_DROPIN" ]; then
  rm -f "$CERTBOT_DROPIN"; units_changed=1
fi
if [ "$units_changed" = 1 ]; then systemctl daemon-reload; fi

# certbot, with the private ACME server's CA when there is one
run_certbot() {
  if [ -n "$CA_BUNDLE" ]; then REQUESTS_CA_BUNDLE=$CA_BUNDLE certbot "$@"; else certbot "$@"; fi
}

cert_changed=0
have_server=$(sed -n 's/^server *= *//p' "$RENEWAL_CONF" 2>/dev/null || true)
if ! [ -f "$LIVE_DIR/fullchain.pem" ] || ! [ -f "$RENEWAL_CONF" ] || [ "$have_server" != "$ACME_SERVER" ]; then
  force=""
  if [ -f "$LIVE_DIR/fullchain.pem" ]; then
    echo "the certificate for $DOMAIN was issued through another ACME server (${have_server:-unknown}); replacing it"
    force=--force-renewal
  else
    echo "requesting a certificate for $DOMAIN from $ACME_SERVER"
  fi
  if ! run_certbot certonly --non-interactive --agree-tos --no-eff-email -m "$EMAIL" \
    --webroot -w "$ACME_WEBROOT" -d "$DOMAIN" --cert-name "$DOMAIN" --server "$ACME_SERVER" ${force:+"$force"} 2>&1; then
    echo "certbot could not obtain a certificate for $DOMAIN from $ACME_SERVER: the ACME server must resolve $DOMAIN to this server and reach it on port 80 (http://$DOMAIN/.well-known/acme-challenge/ is served from $ACME_WEBROOT); see /var/log/letsencrypt/letsencrypt.log on the server" >&2
    exit 1
  fi
  cert_changed=1
fi
links_changed=0
if [ "$(readlink "$FULLCHAIN" || true)" != "$LIVE_DIR/fullchain.pem" ] || [ "$(readlink "$PRIVKEY" || true)" != "$LIVE_DIR/privkey.pem" ]; then
  # keep what nginx serves now (a file or a link, mode and owner kept), to put back if nginx
  # rejects the new certificate
  for f in "$FULLCHAIN" "$PRIVKEY"; do
    rm -f "$f.aistudio-prev"
    if [ -e "$f" ] || [ -L "$f" ]; then cp -a "$f" "$f.aistudio-prev"; fi
  done
  ln -sfn "$LIVE_DIR/fullchain.pem" "$FULLCHAIN"
  ln -sfn "$LIVE_DIR/privkey.pem" "$PRIVKEY"
  links_changed=1
  cert_changed=1
fi
if [ "$cert_changed" = 1 ]; then
  if ! nginx -t 2>&1; then
    if [ "$links_changed" = 1 ]; then
      for f in "$FULLCHAIN" "$PRIVKEY"; do
        if [ -e "$f.aistudio-prev" ] || [ -L "$f.aistudio-prev" ]; then mv -fT "$f.aistudio-prev" "$f"; fi
      done
    fi
    echo "nginx rejected its configuration with the certificate for $DOMAIN (nginx -t above): the previous certificate is back in place and nginx keeps serving it; nginx was not reloaded" >&2
    exit 1
  fi
  rm -f "$FULLCHAIN.aistudio-prev" "$PRIVKEY.aistudio-prev"
  systemctl reload nginx
fi
if [ "$(systemctl is-enabled certbot.timer 2>/dev/null || true)" != enabled ] || ! systemctl is-active --quiet certbot.timer; then
  systemctl enable --now certbot.timer 2>&1
fi
