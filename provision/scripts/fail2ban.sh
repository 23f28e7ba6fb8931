#!/usr/bin/env bash
# The fail2ban step's apply (provision/fail2ban.ts): the staged jail file is put in place and checked
# with `fail2ban-client --test`; a rejected one is replaced by the previous one (a new one removed)
# and the step fails with fail2ban's message. fail2ban is then enabled, started when it is not
# running (a fresh Debian 12 install leaves it failed: no auth.log) or reloaded when the jail
# changed, and the step waits for the jail to answer.
#
# Runs after provision/prelude.ts (put_file, CHANGED) and the staging of the jail file.
# Inputs, from the generated header (server paths are the values starting with "/"):
#   JAIL_PATH   our jail file in jail.d
#   JAIL        the jail's name (sshd)

put_file "$JAIL_PATH" 0644 root root
jail_changed=$CHANGED
if ! out=$(fail2ban-client --test 2>&1); then
  if [ "$jail_changed" = 1 ]; then
    if [ -f "$JAIL_PATH.aistudio-prev" ]; then mv -f "$JAIL_PATH.aistudio-prev" "$JAIL_PATH"; else rm -f "$JAIL_PATH"; fi
    echo "fail2ban rejects the new jail file; the previous one stays / fail2ban 拒绝了新的 jail 配置:" >&2
  else
    echo "fail2ban's configuration is broken with our jail file unchanged (another file in ${JAIL_PATH%/*} or its parent?) / fail2ban 配置有误:" >&2
  fi
  echo "$out" >&2
  exit 1
fi
rm -f "$JAIL_PATH.aistudio-prev"
systemctl enable fail2ban >/dev/null 2>&1
if ! systemctl is-active --quiet fail2ban; then
  echo "starting fail2ban"
  systemctl restart fail2ban
elif [ "$jail_changed" = 1 ]; then
  echo "reloading fail2ban (jail changed)"
  fail2ban-client reload >/dev/null
fi
# the server loads its jails after it answers: wait (bounded) for ours. No `exit 0` here: the
# probe runs after this script.
up=0
for _ in $(seq 1 40); do
  if fail2ban-client status "$JAIL" >/dev/null 2>&1; then up=1; break; fi
  sleep 0.5
done
[ "$up" = 1 ] || {
  echo "fail2ban's $JAIL jail is not running 20 s after the start; fail2ban's log / fail2ban 的 $JAIL 监狱未运行:" >&2
  journalctl -u fail2ban -n 20 --no-pager >&2 || true
  echo "fix: see the error above (python3-systemd missing? a broken file in ${JAIL_PATH%/*}?), then run pulumi up again" >&2
  exit 1
}
