#!/usr/bin/env bash
# The updates step's apply (provision/updates.ts): unattended-upgrades and needrestart installed and
# configured for the security origin only, the security updates applied now (bounded), services on
# outdated libraries restarted once, and the reboot window's timer in place (or removed without one).
#
# Runs after provision/prelude.ts (put_file, CHANGED) and the staging of the files.
# Inputs, from the generated header (server paths are the values starting with "/"):
#   PACKAGES                          bash array: unattended-upgrades, needrestart
#   UU_CONF NEEDRESTART_CONF          their configuration
#   APT_UPGRADE_DROPIN                apt-daily-upgrade.service: needrestart once per run
#   REBOOT_UNIT REBOOT_TIMER REBOOT_SERVICE  the reboot window's timer and service
#   REBOOT_CALENDAR                   its OnCalendar; empty: no window (the files are removed)
#   UPGRADE_TIMEOUT                   seconds the first upgrade may take
#   UU_LOG                            unattended-upgrades' log (named in a failure)

# our apt runs restart services once, at the end (needrestart below), not after each package
export NEEDRESTART_SUSPEND=1
APT_OPTS=(-q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120 -o Acquire::Retries=3)

# apt_update: the package lists, bounded; retried while another apt holds the lock (a fresh image's
# own unattended-upgrades at first boot)
apt_update() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if timeout 300 apt-get update "${APT_OPTS[@]}"; then return 0; fi
    echo "apt-get update failed (attempt $attempt); retrying in 6s" >&2
    sleep 6
  done
  echo "apt-get update failed 5 times: the server cannot read its package sources, so it cannot get security updates (see the messages above; check the server's apt sources and its network)" >&2
  return 1
}

units_changed=0
put_file "$UU_CONF" 0644 root root
put_file "$NEEDRESTART_CONF" 0644 root root
CHANGED=0
put_file "$APT_UPGRADE_DROPIN" 0644 root root
units_changed=$CHANGED
if [ -n "$REBOOT_CALENDAR" ]; then
  CHANGED=0
  put_file "$REBOOT_TIMER" 0644 root root
  put_file "$REBOOT_SERVICE" 0644 root root
  [ "$CHANGED" = 0 ] || units_changed=1
elif [ -e "$REBOOT_TIMER" ] || [ -e "$REBOOT_SERVICE" ]; then
  # os.rebootWindow was removed: the server no longer reboots by itself
  systemctl disable --now "$REBOOT_UNIT.timer" >/dev/null 2>&1 || true
  rm -f "$REBOOT_TIMER" "$REBOOT_SERVICE" "$REBOOT_TIMER.aistudio-prev" "$REBOOT_SERVICE.aistudio-prev"
  units_changed=1
fi
[ "$units_changed" = 0 ] || systemctl daemon-reload

# apt reads every file of apt.conf.d, the last setting wins: one after ours switching the daily run
# off (or allowing more origins) is named, not silently undone
up=$(apt-config dump --format '%v' APT::Periodic::Unattended-Upgrade)
origins=$(apt-config dump --format '%v%n' Unattended-Upgrade::Origins-Pattern Unattended-Upgrade::Allowed-Origins | sed '/^$/d')
ours=$(sed -n 's/^ *"\(origin=[^"]*\)";$/\1/p' "$UU_CONF")
if [ "$up" != 1 ] || [ "$origins" != "$ours" ]; then
  echo "apt's configuration overrides $UU_CONF (daily run: \"$up\", origins: $(paste -sd' ' <<<"$origins")), from:" >&2
  for f in "$(dirname "$UU_CONF")"/*; do
    if [[ "$(basename "$f")" > "$(basename "$UU_CONF")" ]] && grep -qE 'APT::Periodic::Unattended-Upgrade|Unattended-Upgrade::(Origins-Pattern|Allowed-Origins)' "$f"; then echo "  $f" >&2; fi
  done
  echo "remove those settings from the files after it (the file read last wins), then run \`pulumi up\` again" >&2
  exit 1
fi

apt_update
missing=()
for p in "${PACKAGES[@]}"; do
  # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not a shell expansion
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  # our configuration is already in place: dpkg keeps it (confold) and the packages start with it
  apt-get install -y "${APT_OPTS[@]}" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    --no-install-recommends "${missing[@]}"
fi

# The security updates now, with the policy of the daily run. SIGTERM makes unattended-upgrade stop
# between two packages (it installs in minimal steps), so the bound never cuts dpkg in half.
echo "applying security updates (unattended-upgrade, at most ${UPGRADE_TIMEOUT}s)"
uu_out=$(mktemp)
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  rc=0
  timeout --signal=TERM "$UPGRADE_TIMEOUT" unattended-upgrade -v >"$uu_out" 2>&1 || rc=$?
  cat "$uu_out"
  # a fresh image's own apt run holds the lock: wait for it, as for apt-get above
  if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q 'Lock could not be acquired' "$uu_out"; then
    echo "another package manager is running (attempt $attempt); retrying in 6s" >&2
    sleep 6
    continue
  fi
  break
done
rm -f "$uu_out"
if [ "$rc" = 124 ]; then
  echo "the security updates did not finish within ${UPGRADE_TIMEOUT}s (a slow mirror?); the server is not put in service half updated. Run \`pulumi up\` again: finished packages stay installed" >&2
  exit 1
elif [ "$rc" != 0 ]; then
  echo "unattended-upgrade failed (exit $rc); see its messages above and $UU_LOG" >&2
  exit 1
fi
# once, for the whole run: the services still running a replaced library are restarted
needrestart -r a -q || echo "needrestart failed; services may still run outdated libraries until their next restart" >&2
left=$(apt-get -s upgrade 2>/dev/null | grep '^Inst ' | grep -ci 'securi' || true)
[ "$left" = 0 ] || echo "note: $left security update(s) were held back (they need new packages or removals); the doctor lists them" >&2

systemctl enable --now apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1
if [ -n "$REBOOT_CALENDAR" ]; then
  systemctl enable "$REBOOT_UNIT.timer" >/dev/null 2>&1
  # restart: a changed window takes effect now
  systemctl restart "$REBOOT_UNIT.timer"
fi
