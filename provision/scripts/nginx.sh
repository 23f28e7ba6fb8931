#!/usr/bin/env bash
# The nginx step's apply (provision/nginx.ts): the staged site is put in place and enabled, checked
# with `nginx -t`, and only then kept and nginx reloaded. A failing check restores the previous site
# when ours changed (or removes a new one), never touches an unchanged one, leaves nginx running its
# previous configuration, and fails the step with nginx's message.
#
# Runs after provision/prelude.ts (put_file, CHANGED) and the staging of the site file.
# Inputs, from the generated header (server paths are the values starting with "/"):
#   DOMAIN                         the name of the bootstrap certificate
#   ACME_WEBROOT TLS_DIR FULLCHAIN PRIVKEY
#   SITE_PATH SITE_LINK            the site in sites-available and its link in sites-enabled
#   DEFAULT_SITE_LINK              Debian's default site, removed
#   RESTART_DROPIN                 nginx.service drop-in: systemd restarts a dead nginx
#   NGINX_CONF                     Debian's nginx.conf (its http-level ssl_protocols)

install -d -m 0755 "$ACME_WEBROOT" "$TLS_DIR"
# nginx cannot start without a certificate: bootstrap a self-signed one until the real one is in place
if ! [ -e "$FULLCHAIN" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=$DOMAIN" \
    -keyout "$PRIVKEY" -out "$FULLCHAIN" 2>/dev/null
  chmod 0600 "$PRIVKEY"
fi
# systemd brings nginx back when its master dies (Debian's unit has no Restart=)
put_file "$RESTART_DROPIN" 0644 root root
if [ "$CHANGED" = 1 ]; then systemctl daemon-reload; fi
CHANGED=0
# Debian's nginx.conf allows TLSv1 and TLSv1.1 at http level: a server block without its own
# ssl_protocols (a site added by hand) would accept them. Ours set TLSv1.2 TLSv1.3; so does the default.
conf_changed=0
if grep -Eq '^[[:space:]]*ssl_protocols[^;]*TLSv1(\.1)?[[:space:];]' "$NGINX_CONF" 2>/dev/null; then
  cp -p "$NGINX_CONF" "$NGINX_CONF.aistudio-prev"
  sed -i -E 's/^([[:space:]]*ssl_protocols)[^;]*;/\1 TLSv1.2 TLSv1.3;/' "$NGINX_CONF"
  conf_changed=1
fi
# Debian's default site (and its welcome page) is never served: our catch-all servers answer other names
rm -f "$DEFAULT_SITE_LINK"
had_link=0; [ -L "$SITE_LINK" ] && had_link=1
put_file "$SITE_PATH" 0644 root root
site_changed=$CHANGED
ln -sfn "$SITE_PATH" "$SITE_LINK"
if ! out=$(nginx -t 2>&1); then
  if [ "$site_changed" = 1 ]; then
    echo "nginx -t rejected the new configuration; the previous one stays live:" >&2
  else
    echo "nginx -t fails with our site unchanged (another configuration is broken); nginx keeps running its previous one:" >&2
  fi
  echo "$out" >&2
  # put back what was there: the previous site if ours changed (a new one is removed); an unchanged,
  # working site stays as it is
  if [ "$site_changed" = 1 ]; then
    if [ -f "$SITE_PATH.aistudio-prev" ]; then mv -f "$SITE_PATH.aistudio-prev" "$SITE_PATH"; else rm -f "$SITE_PATH"; fi
  fi
  [ "$had_link" = 1 ] || rm -f "$SITE_LINK"
  if [ "$conf_changed" = 1 ]; then mv -f "$NGINX_CONF.aistudio-prev" "$NGINX_CONF"; fi
  exit 1
fi
rm -f "$SITE_PATH.aistudio-prev" "$NGINX_CONF.aistudio-prev"
systemctl enable nginx >/dev/null 2>&1
if ! systemctl is-active --quiet nginx; then
  systemctl start nginx
elif [ "$site_changed" = 1 ] || [ "$had_link" = 0 ] || [ "$conf_changed" = 1 ]; then
  systemctl reload nginx
fi
