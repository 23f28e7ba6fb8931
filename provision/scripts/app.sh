#!/usr/bin/env bash
# The app step's apply (provision/app.ts): the system user, the directories, the environment file,
# gunicorn's settings file and the unit, the shared virtualenv, the release (fetched, requirements
# installed, pre-start commands run in the unit's sandbox), then `current` switched and gunicorn
# started, restarted or reloaded. If the new release does not answer, `current` goes back to the
# previous release and the step fails.
#
# Runs after provision/prelude.ts (put_file, CHANGED) and the staging of the step's files.
# Inputs, from the generated header (server paths are the values starting with "/"; a URL path
# is named *_URL_PATH):
#   APP_USER APP_UNIT APP_PORT VISIT_URL_PATH  system user, systemd unit, gunicorn's port, health request path
#   APP_ROOT STATIC_DIR CONF_DIR ENV_FILE UNIT_PATH SOCKET_PATH GUNICORN_CONF
#   DATA_DIR MEDIA_DIR NGINX_GROUP             the app's writable directory, its uploads, nginx's group
#   DATA_DIR_MODE                              0750, or 0751 when a local PostgreSQL keeps its cluster inside
#   RELEASE_ID                                 the release: $APP_ROOT/releases/$RELEASE_ID
#   SOURCE_KIND                                files (staged as $rel.incoming/) or git (GIT_URL at GIT_REF)
#   GIT_URL GIT_REF PIP_INDEX_URL              empty when unused; no PIP_INDEX_URL means pip --no-index
#   PRE_START                                  bash array of shell commands run before the switch
#   APP_ENVIRONMENT SANDBOX                    bash arrays: the unit's Environment= values and sandbox settings

getent group "$APP_USER" >/dev/null || groupadd --system "$APP_USER"
id -u "$APP_USER" >/dev/null 2>&1 || useradd --system --gid "$APP_USER" --home-dir "$APP_ROOT" --no-create-home --shell /usr/sbin/nologin "$APP_USER"
install -d -m 0755 -o root -g root "$APP_ROOT" "$APP_ROOT/releases" "$CONF_DIR"
install -d -m 0755 -o "$APP_USER" -g "$APP_USER" "$STATIC_DIR"
# The data directory: the app's own (database, uploads), nobody else's. nginx's group may pass
# through it to the uploads, and reads them through the setgid group of the media directory: what
# the app writes there (UMask 0027) is group $NGINX_GROUP, 0640. Its other files keep the app's
# group and are readable by no one else, whatever mode the app creates them with.
install -d -m "$DATA_DIR_MODE" -o "$APP_USER" -g "$NGINX_GROUP" "$DATA_DIR"
install -d -m 2750 -o "$APP_USER" -g "$NGINX_GROUP" "$MEDIA_DIR"

put_file "$ENV_FILE" 0600 root root; env_changed=$CHANGED; CHANGED=0
put_file "$UNIT_PATH" 0644 root root; unit_changed=$CHANGED; CHANGED=0
put_file "$SOCKET_PATH" 0644 root root; socket_changed=$CHANGED; CHANGED=0
put_file "$GUNICORN_CONF" 0644 root root; unit_changed=$((unit_changed | CHANGED)); CHANGED=0

# virtualenv shared by releases; it sees Debian's gunicorn through --system-site-packages
if ! [ -x "$APP_ROOT/venv/bin/python" ]; then
  python3 -m venv --system-site-packages "$APP_ROOT/venv"
  venv_changed=1
else
  venv_changed=0
fi

# the release
rel=$APP_ROOT/releases/$RELEASE_ID
# a release is complete once its RELEASE file exists (written last)
if [ -f "$rel/RELEASE" ]; then
  rm -rf "$rel.incoming"
else
  echo "preparing release $RELEASE_ID"
  rm -rf "$rel" "$rel.tmp"
  if [ "$SOURCE_KIND" = files ]; then
    mv "$rel.incoming" "$rel.tmp"
    # shellcheck disable=SC2016 # $1 belongs to the inner sh, which strips the staging suffix
    find "$rel.tmp" -name '*.aistudio-new' -exec sh -c 'mv "$1" "${1%.aistudio-new}"' _ {} \;
  else
    git clone --quiet --depth 1 --branch "$GIT_REF" "$GIT_URL" "$rel.tmp"
  fi
  chown -R root:root "$rel.tmp"; chmod -R go-w "$rel.tmp"
  if [ -f "$rel.tmp/requirements.txt" ]; then
    req=$(sha256sum < "$rel.tmp/requirements.txt" | cut -d' ' -f1)
    if [ "$(cat "$APP_ROOT/venv/.requirements.sha256" 2>/dev/null)" != "$req" ]; then
      echo "installing requirements into $APP_ROOT/venv"
      if [ -n "$PIP_INDEX_URL" ]; then pip_index=(--index-url "$PIP_INDEX_URL"); else pip_index=(--no-index); fi
      "$APP_ROOT/venv/bin/pip" install --quiet --disable-pip-version-check "${pip_index[@]}" -r "$rel.tmp/requirements.txt"
      echo "$req" > "$APP_ROOT/venv/.requirements.sha256"
      venv_changed=1
    fi
  fi
  # pre-start commands run as the app, with its environment, in its sandbox (writing only the data
  # directory), plus the static directory for collectstatic
  run_props=(-p "User=$APP_USER" -p "Group=$APP_USER" -p "EnvironmentFile=$ENV_FILE" -p "WorkingDirectory=$rel.tmp"
    -p "Environment=PATH=$APP_ROOT/venv/bin:/usr/bin:/bin" -p "Environment=AISTUDIO_RELEASE=$RELEASE_ID")
  for e in "${APP_ENVIRONMENT[@]}"; do run_props+=(-p "Environment=$e"); done
  for p in "${SANDBOX[@]}"; do run_props+=(-p "$p"); done
  run_props+=(-p "ReadWritePaths=$STATIC_DIR")
  for cmd in "${PRE_START[@]}"; do
    echo "pre-start: $cmd"
    systemd-run --quiet --wait --pipe --collect --service-type=exec "${run_props[@]}" \
      /bin/sh -c "$cmd" || { echo "pre-start command failed: the release $RELEASE_ID was not activated; the previous release keeps serving" >&2; rm -rf "$rel.tmp"; exit 1; }
  done
  echo "$RELEASE_ID" > "$rel.tmp/RELEASE"
  mv -T "$rel.tmp" "$rel"
fi

prev=$(readlink "$APP_ROOT/current" 2>/dev/null || true)
systemctl daemon-reload
systemctl enable "$APP_UNIT.service" >/dev/null 2>&1
if [ "$prev" != "$rel" ]; then
  ln -sfn "$rel" "$APP_ROOT/current.new" && mv -Tf "$APP_ROOT/current.new" "$APP_ROOT/current"
  [ -n "$prev" ] && echo "$prev" > "$APP_ROOT/previous"
  code_changed=1
else
  code_changed=0
fi

# The listening socket is systemd's (aistudio.socket): restarts of gunicorn queue requests in it.
systemctl enable "$APP_UNIT.socket" >/dev/null 2>&1
if [ "$socket_changed" = 1 ] && systemctl is-active --quiet "$APP_UNIT.socket"; then
  echo "the listening socket itself changes (app.port): aistudio stops for a moment and requests fail meanwhile"
  systemctl stop "$APP_UNIT.service" "$APP_UNIT.socket"
fi
if ! systemctl is-active --quiet "$APP_UNIT.socket"; then
  # first deploy, or a server from before the socket (gunicorn bound the port itself): the only stop
  if systemctl is-active --quiet "$APP_UNIT.service"; then
    echo "handing aistudio's port to systemd (aistudio.socket): aistudio stops for a moment, once"
    systemctl stop "$APP_UNIT.service"
  fi
  systemctl start "$APP_UNIT.socket"
fi

if ! systemctl is-active --quiet "$APP_UNIT"; then
  systemctl start "$APP_UNIT" || true
elif [ "$env_changed$unit_changed$venv_changed" != "000" ]; then
  echo "restarting aistudio (unit, gunicorn settings, environment or virtualenv changed)"
  systemctl restart "$APP_UNIT" || true
elif [ "$code_changed" = 1 ]; then
  echo "reloading aistudio gracefully (new release $RELEASE_ID)"
  # the check below must reach the new release: until gunicorn has handled the HUP, an old worker
  # may still accept it (and answer from the old code), so wait for the old workers to be gone
  main=$(systemctl show -p MainPID --value "$APP_UNIT")
  old_workers=$(pgrep -P "${main:-0}" || true)
  systemctl reload "$APP_UNIT" || true
  for _ in $(seq 1 60); do
    alive=0
    for p in $old_workers; do if kill -0 "$p" 2>/dev/null; then alive=1; fi; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
fi

# the new release must answer; otherwise go back to the previous one
ok=0
for _ in $(seq 1 40); do
  # the app must answer JSON on 127.0.0.1:$APP_PORT; the business answer is the smoke test's job
  if out=$(curl -fsS -m 3 -H 'Content-Type: application/json' -d '{"sessionId":"aistudio-deploy-check","type":"launch"}' "http://127.0.0.1:$APP_PORT$VISIT_URL_PATH" 2>/dev/null) && [[ "$out" == "{"* ]]; then ok=1; break; fi
  sleep 0.5
done
if [ "$ok" != 1 ]; then
  echo "aistudio does not answer POST $VISIT_URL_PATH on 127.0.0.1:$APP_PORT after the deploy" >&2
  journalctl -u "$APP_UNIT" -n 30 --no-pager >&2 || true
  if [ "$code_changed" = 1 ] && [ -n "$prev" ] && [ -d "$prev" ]; then
    echo "rolling back to $prev" >&2
    ln -sfn "$prev" "$APP_ROOT/current.new" && mv -Tf "$APP_ROOT/current.new" "$APP_ROOT/current"
    systemctl restart "$APP_UNIT" || true
  fi
  exit 1
fi

# keep the live release and the previous one, compared by release id (the directory's name), so a
# symlinked $APP_ROOT can never make the live release look like an old one; nothing is removed when
# the live release cannot be read
keep1=$(basename "$(readlink "$APP_ROOT/current" 2>/dev/null || true)")
keep2=$(basename "$(cat "$APP_ROOT/previous" 2>/dev/null || true)")
if [ -n "$keep1" ]; then
  for d in "$APP_ROOT"/releases/*; do
    [ -d "$d" ] || continue
    b=$(basename "$d")
    [ "$b" = "$keep1" ] || [ "$b" = "$keep2" ] || [[ "$b" == *.incoming ]] || rm -rf "$d"
  done
fi
