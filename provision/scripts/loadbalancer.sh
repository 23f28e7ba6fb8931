#!/usr/bin/env bash
# The loadbalancer step's apply (provision/loadbalancer.ts): HAProxy in front of the app servers.
#
#  1. haproxy and socat are installed when absent (apt's locks waited for, bounded).
#  2. The staged certificate+key file (0600) and config are put in place and checked together with
#     `haproxy -c`; a rejected config is replaced by the previous files (new ones removed) and the
#     step fails with HAProxy's message, haproxy still serving the old config.
#  3. haproxy is enabled; started when it is not running, else reloaded when something changed.
#     Debian 12's haproxy.service runs the master-worker mode (-Ws) and reloads with USR2 to the
#     master: the new worker receives the listening sockets from the old one through the master's
#     socketpair (HAProxy 2.6's manual: "expose-fd listeners ... In master-worker mode, this is not
#     required anymore"), so no connection is refused during a reload, and the old worker finishes
#     the requests it holds. The weights a rollout set are saved just before (show servers state)
#     and read back by the new worker (load-server-state-from-file), then the file is removed: a
#     later cold start begins from the config, never from an old drain.
#  4. The step waits until the (new) worker answers on the admin socket, and makes sure that socket
#     is root's only (mode 600): a reload keeps the socket the old worker had, mode and all.
#
# Runs after provision/prelude.ts (put_file, CHANGED) and the staging of both files.
# Inputs, from the generated header (server paths are the values starting with "/"):
#   CONFIG_PATH    haproxy.cfg
#   PEM_PATH       certificate chain + key for `crt` (secret, 0600)
#   STATE_FILE     the servers' runtime state across one reload
#   ADMIN_SOCKET   the admin-level stats socket
#   LB_PACKAGES    the Debian packages this step needs

admin() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$ADMIN_SOCKET"; }
worker_pid() { admin "show info" 2>/dev/null | sed -n 's/^Pid: //p'; }

missing=()
for p in "${LB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  if ! apt-get install -y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120 --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update -q -o DPkg::Lock::Timeout=120 >/dev/null
    apt-get install -y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120 --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# a copy left by an interrupted run is not the previous version
rm -f "$CONFIG_PATH.aistudio-prev" "$PEM_PATH.aistudio-prev"
had_pem=0
if [ -f "$PEM_PATH" ]; then had_pem=1; fi
put_file "$PEM_PATH" 0600 root root
put_file "$CONFIG_PATH" 0644 root root
lb_changed=$CHANGED
if ! out=$(haproxy -c -f "$CONFIG_PATH" 2>&1); then
  for f in "$CONFIG_PATH" "$PEM_PATH"; do
    if [ -f "$f.aistudio-prev" ]; then mv -f "$f.aistudio-prev" "$f"; fi
  done
  if [ "$had_pem" = 0 ]; then rm -f "$PEM_PATH"; fi
  echo "HAProxy rejects the new configuration; the previous one stays live / HAProxy 拒绝了新配置，旧配置继续生效:" >&2
  echo "$out" >&2
  exit 1
fi
rm -f "$CONFIG_PATH.aistudio-prev" "$PEM_PATH.aistudio-prev"

systemctl enable haproxy >/dev/null 2>&1
old_pid=""
# A fresh install runs Debian's config, whose admin socket is mode 660 (group haproxy); a reload
# would hand that very socket to the new worker (listeners are passed on, the mode with them).
# Nothing is served yet, so the first takeover is a restart.
if ! systemctl is-active --quiet haproxy || [ "${#missing[@]}" -gt 0 ]; then
  echo "starting haproxy"
  rm -f "$STATE_FILE"
  systemctl restart haproxy
elif [ "$lb_changed" = 1 ]; then
  echo "reloading haproxy (config or certificate changed)"
  old_pid=$(worker_pid || true)
  admin "show servers state" >"$STATE_FILE" 2>/dev/null || rm -f "$STATE_FILE"
  systemctl reload haproxy
fi

# the (new) worker answers on the admin socket: bounded, 20 s. No `exit 0` here: the probe runs after.
up=0
for _ in $(seq 1 80); do
  pid=$(worker_pid || true)
  if [ -n "$pid" ] && [ "$pid" != "$old_pid" ]; then up=1; break; fi
  sleep 0.25
done
rm -f "$STATE_FILE"
# root only, whatever socket a reload passed on (the probe reports its mode)
if [ -S "$ADMIN_SOCKET" ] && [ "$(stat -c '%a %U' "$ADMIN_SOCKET")" != "600 root" ]; then
  echo "admin socket was $(stat -c '%a %U:%G' "$ADMIN_SOCKET"): made root's only (600)"
  chown root:root "$ADMIN_SOCKET"; chmod 600 "$ADMIN_SOCKET"
fi
[ "$up" = 1 ] || {
  echo "haproxy's worker does not answer on $ADMIN_SOCKET 20 s after the (re)start / HAProxy 未就绪:" >&2
  journalctl -u haproxy -n 20 --no-pager >&2 || true
  echo "fix: see the log above, then run pulumi up again" >&2
  exit 1
}
