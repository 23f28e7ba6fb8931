#!/usr/bin/env bash
# The baseline step's apply (provision/baseline.ts): sysctls applied and read back, core dumps off,
# login.defs' umask, the time daemon, a persistent journal with a cap, logrotate's timer.
#
# Runs after provision/prelude.ts (put_file, CHANGED) and the staging of the files.
# Inputs, from the generated header (server paths are the values starting with "/"):
#   SYSCTL_CONF                   our sysctl.d file
#   SYSCTL_KEYS SYSCTL_VALUES     bash arrays: each key and the value it must read back
#   PROC_SYS                      where the kernel shows them
#   DEFAULT_UFW                   ufw's settings: its IPT_SYSCTL names the sysctl file ufw applies
#   LIMITS_CONF COREDUMP_CONF SYSTEM_CONF   core dumps off: logins, systemd-coredump, services
#   JOURNALD_CONF JOURNAL_DIR     the journal's settings and its persistent directory
#   TIMESYNCD_CONF                systemd-timesyncd's servers
#   LOGIN_DEFS LOGIN_UMASK        the default umask of logins
#   MODPROBE_CONF                 modules never loaded (blacklist + install /bin/true)
#   OTHER_TIME_DAEMONS            bash array: time daemons kept when present (chrony on Alibaba Cloud images)

# --- sysctls: all of them applied as at boot, then ours read back
put_file "$SYSCTL_CONF" 0644 root root
# ufw applies a sysctl file of its own each time it starts (at boot after systemd-sysctl, and on
# `ufw enable`), and Debian's sets log_martians=0: it applies ours instead
if [ -f "$DEFAULT_UFW" ]; then sed -i -E "s|^IPT_SYSCTL=.*|IPT_SYSCTL=$SYSCTL_CONF|" "$DEFAULT_UFW"; fi
# a container refuses the host kernel's keys (ours and the distribution's): reported below per key
sysctl --system >/dev/null 2>&1 || true
unsettable=() wrong=()
for i in "${!SYSCTL_KEYS[@]}"; do
  k=${SYSCTL_KEYS[$i]} want=${SYSCTL_VALUES[$i]}
  f="$PROC_SYS/${k//.//}"
  if ! [ -w "$f" ]; then unsettable+=("$k"); continue; fi
  have=$(cat "$f")
  [ "$have" = "$want" ] || wrong+=("$k=$have (wanted $want)")
done
if [ "${#unsettable[@]}" -gt 0 ]; then
  echo "this kernel does not let the server set ${unsettable[*]} (in a container they belong to the host's kernel; a VM such as ECS sets them)"
fi
if [ "${#wrong[@]}" -gt 0 ]; then
  echo "after sysctl --system these read back otherwise than $SYSCTL_CONF says: ${wrong[*]}" >&2
  # the file that wins: sysctl --system reads the directories in order, the last setting counts
  for w in "${wrong[@]}"; do
    k=${w%%=*}
    # shellcheck disable=SC2046 # the sysctl.d directories' files, as sysctl --system reads them
    grep -Hs "^[[:space:]]*${k//./[.]}[[:space:]]*=" $(sysctl --system 2>&1 | sed -n 's/^\* Applying \(.*\) \.\.\.$/\1/p') | grep -v "^$SYSCTL_CONF:" >&2 || true
  done
  echo "remove or align those settings (the file listed last wins), then run \`pulumi up\` again" >&2
  exit 1
fi

# --- core dumps: off for logins, systemd-coredump and every service systemd starts
put_file "$LIMITS_CONF" 0644 root root
put_file "$COREDUMP_CONF" 0644 root root
CHANGED=0
put_file "$SYSTEM_CONF" 0644 root root
# daemon-reload reads system.conf.d again: services started from now on get no core dumps
[ "$CHANGED" = 0 ] || systemctl daemon-reload

# --- umask: files created in a login are not readable by others (the runner sets its own umask)
if grep -qE '^[[:space:]]*UMASK[[:space:]]' "$LOGIN_DEFS"; then
  sed -i -E "s|^[[:space:]]*UMASK[[:space:]].*|UMASK\t\t$LOGIN_UMASK|" "$LOGIN_DEFS"
else
  printf 'UMASK\t\t%s\n' "$LOGIN_UMASK" >>"$LOGIN_DEFS"
fi

# --- the journal: persistent, capped
CHANGED=0
put_file "$JOURNALD_CONF" 0644 root root
install -d -m 2755 -g systemd-journal "$JOURNAL_DIR"
systemd-tmpfiles --create --prefix "$JOURNAL_DIR" >/dev/null 2>&1 || true
if [ "$CHANGED" = 1 ]; then
  systemctl restart systemd-journald
  journalctl --flush >/dev/null 2>&1 || true
fi

# --- the clock: an image's own time daemon (chrony on Alibaba Cloud) is kept; otherwise timesyncd
other=""
for d in "${OTHER_TIME_DAEMONS[@]}"; do
  # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not a shell expansion
  if dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'install ok installed'; then other=$d; break; fi
done
CHANGED=0
put_file "$TIMESYNCD_CONF" 0644 root root
if [ -n "$other" ]; then
  echo "the clock is kept by $other (installed with the image); systemd-timesyncd is not installed beside it"
else
  # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not a shell expansion
  if ! dpkg-query -W -f='${Status}' systemd-timesyncd 2>/dev/null | grep -q 'install ok installed'; then
    echo "installing: systemd-timesyncd"
    opts=(-y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120 --no-install-recommends)
    apt-get install "${opts[@]}" systemd-timesyncd || { apt-get update -q -o DPkg::Lock::Timeout=120 && apt-get install "${opts[@]}" systemd-timesyncd; }
  fi
  systemctl enable systemd-timesyncd >/dev/null 2>&1
  # in a container the condition ConditionVirtualization=!container keeps it stopped: the host keeps the time
  if [ "$CHANGED" = 1 ]; then systemctl restart systemd-timesyncd; else systemctl start systemd-timesyncd; fi
fi

# --- kernel modules never loaded (read by modprobe when something asks for one)
put_file "$MODPROBE_CONF" 0644 root root

# --- nginx's logs: Debian's nginx ships their rotation; logrotate (packages step) runs it daily
systemctl enable --now logrotate.timer >/dev/null 2>&1
