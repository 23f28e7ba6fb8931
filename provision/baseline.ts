// The operating system's baseline (issue #16): network sysctls, core dumps off, a stricter default
// umask, the clock synchronised, a persistent journal with a size cap, nginx's logs rotated,
// unneeded kernel modules never loaded (provision/scripts/baseline.sh).
//
// sysctls: one file in /etc/sysctl.d, applied with `sysctl --system` (so a later file overriding
// ours shows now, not at the next boot) and read back. A key the kernel does not let this server
// set is told apart cleanly: its /proc/sys file is not writable (in a container, /proc/sys is the
// host kernel's and read-only except the network namespace's net.*) or absent (no IPv6, no Yama).
// The step reports those keys and the probe records them as `settable=no` instead of a value, so
// a container's stable answer is not drift while every key a server can set is read back.
//
// umask: login.defs' UMASK reaches a session only through pam_umask, which Debian 12 ships
// (libpam-modules) but does not enable. A pam-auth-update profile of ours adds it to
// common-session and common-session-noninteractive, so SSH, su, sudo and cron sessions get 027.
// Everything this program runs over SSH sets its own umask (the prelude's 022 for the steps,
// aistudio-backup's 077) and the services have theirs (UMask= of the app's unit), so only files an
// admin creates by hand in a session are affected: not readable by others (nginx, the app, postgres).
import { Step } from "./step";
import { scriptFromFile } from "./shell";
import { Probe, fileProbe, packageProbe, probeOf, unitProbe } from "./probes";

export const SYSCTL_CONF = "/etc/sysctl.d/90-aistudio-hardening.conf";
export const LIMITS_CONF = "/etc/security/limits.d/90-aistudio-nocore.conf";
export const COREDUMP_CONF = "/etc/systemd/coredump.conf.d/90-aistudio.conf";
export const SYSTEM_CONF = "/etc/systemd/system.conf.d/90-aistudio-nocore.conf";
export const JOURNALD_CONF = "/etc/systemd/journald.conf.d/90-aistudio.conf";
export const TIMESYNCD_CONF = "/etc/systemd/timesyncd.conf.d/90-aistudio.conf";
export const MODPROBE_CONF = "/etc/modprobe.d/aistudio-blacklist.conf";
export const LOGIN_DEFS = "/etc/login.defs";
export const NGINX_LOGROTATE = "/etc/logrotate.d/nginx";
export const JOURNAL_DIR = "/var/log/journal";
/** ufw's settings: IPT_SYSCTL is the sysctl file ufw applies when it starts (Debian's sets log_martians=0). */
export const DEFAULT_UFW = "/etc/default/ufw";
/** Our pam-auth-update profile (the directory where Debian's packages put theirs). */
export const PAM_UMASK_PROFILE = "/usr/share/pam-configs/aistudio-umask";
/** The session stacks PAM services include: sshd, su, login (interactive) and sudo, cron (non-interactive). */
export const PAM_SESSION = "/etc/pam.d/common-session";
export const PAM_SESSION_NONINTERACTIVE = "/etc/pam.d/common-session-noninteractive";
/** grep -E for an active pam_umask line of a session stack (not a comment). */
export const PAM_UMASK_LINE = "^[[:space:]]*session[[:space:]].*[[:space:]]pam_umask\\.so([[:space:]]|$)";

/** The default umask of logins (login.defs): new files not readable by others. */
export const UMASK = "027";
/** The journal's cap on disk (the system disk is 40 GiB by default). */
export const JOURNAL_MAX_USE = "1G";

/** Time daemons another image may bring (Alibaba Cloud's use chrony with its own NTP servers): kept when present. */
export const OTHER_TIME_DAEMONS = ["chrony", "ntpsec", "ntp", "openntpd"] as const;
/** Alibaba Cloud's NTP servers: inside the VPC, then on the internet; Debian's pool as the fallback. */
export const NTP_SERVERS = ["ntp.cloud.aliyuncs.com", "ntp.aliyun.com"];

/** key, value, why. Network keys first (a container can set them: they belong to its network namespace). */
export const SYSCTLS: [string, string, string][] = [
  ["net.ipv4.conf.all.rp_filter", "1", "drop packets whose source could not be answered on the interface they came in on (spoofing)"],
  ["net.ipv4.conf.default.rp_filter", "1", ""],
  ["net.ipv4.tcp_syncookies", "1", "answer SYN floods with cookies instead of dropping connections"],
  ["net.ipv4.conf.all.accept_redirects", "0", "ICMP redirects: a server with one default route takes no routing advice"],
  ["net.ipv4.conf.default.accept_redirects", "0", ""],
  ["net.ipv4.conf.all.secure_redirects", "0", ""],
  ["net.ipv4.conf.default.secure_redirects", "0", ""],
  ["net.ipv6.conf.all.accept_redirects", "0", ""],
  ["net.ipv6.conf.default.accept_redirects", "0", ""],
  ["net.ipv4.conf.all.send_redirects", "0", "the server is no router: it sends no redirects"],
  ["net.ipv4.conf.default.send_redirects", "0", ""],
  ["net.ipv4.conf.all.accept_source_route", "0", "source-routed packets choose their own path past filters"],
  ["net.ipv4.conf.default.accept_source_route", "0", ""],
  ["net.ipv6.conf.all.accept_source_route", "0", ""],
  ["net.ipv6.conf.default.accept_source_route", "0", ""],
  ["net.ipv4.conf.all.log_martians", "1", "log packets with impossible addresses"],
  ["net.ipv4.conf.default.log_martians", "1", ""],
  ["net.ipv4.icmp_echo_ignore_broadcasts", "1", "no smurf amplification"],
  ["net.ipv4.icmp_ignore_bogus_error_responses", "1", ""],
  ["net.ipv4.tcp_rfc1337", "1", "TIME-WAIT assassination (RFC 1337)"],
  // the kernel's own: a real server (ECS) sets them; a container cannot (the host kernel's)
  ["fs.suid_dumpable", "0", "no core dumps of setuid programs (core dumps are off: see limits.d and coredump.conf.d)"],
  ["fs.protected_hardlinks", "1", "links in world-writable directories cannot be used to attack root's programs"],
  ["fs.protected_symlinks", "1", ""],
  ["fs.protected_fifos", "2", ""],
  ["fs.protected_regular", "2", ""],
  ["kernel.kptr_restrict", "2", "kernel addresses hidden (they help exploits)"],
  ["kernel.dmesg_restrict", "1", "the kernel log for root only"],
  ["kernel.unprivileged_bpf_disabled", "1", "no BPF programs for unprivileged users"],
  ["net.core.bpf_jit_harden", "2", ""],
  ["kernel.yama.ptrace_scope", "1", "a process may trace only its descendants (root still can)"],
  ["kernel.sysrq", "0", "no magic SysRq keys from the (cloud) console"],
  ["dev.tty.ldisc_autoload", "0", "no line discipline modules loaded by unprivileged users"],
  ["kernel.perf_event_paranoid", "3", "no perf events for unprivileged users (Debian's kernel knows 3)"],
];

export function sysctlConf(): string {
  const lines = SYSCTLS.map(([k, v, why]) => `${why ? `# ${why}\n` : ""}${k} = ${v}`);
  return `# Managed by aistudio-infra (pulumi): network and kernel hardening (provision/baseline.ts).
# Keys this kernel does not let the server set (a container: the host's) are reported by the step.
${lines.join("\n")}
`;
}

/** Core dumps off for logins (PAM)… */
export const limitsConf = () => `# Managed by aistudio-infra (pulumi): no core dumps (they can hold secrets: keys, passwords, sessions)
* hard core 0
* soft core 0
`;

/** …for systemd's coredump handler, if ever installed… */
export const coredumpConf = () => `# Managed by aistudio-infra (pulumi): core dumps are neither stored nor processed
[Coredump]
Storage=none
ProcessSizeMax=0
`;

/** …and for every service systemd starts (PAM's limits do not reach them). */
export const systemConf = () => `# Managed by aistudio-infra (pulumi): no core dumps from services (gunicorn's hold the app's secrets)
[Manager]
DefaultLimitCORE=0
`;

export const journaldConf = () => `# Managed by aistudio-infra (pulumi): the journal survives reboots (what happened before a crash) and is capped
[Journal]
Storage=persistent
SystemMaxUse=${JOURNAL_MAX_USE}
SystemKeepFree=2G
`;

export const timesyncdConf = () => `# Managed by aistudio-infra (pulumi): ACME and the certificate checks need the right time
[Time]
NTP=${NTP_SERVERS.join(" ")}
FallbackNTP=0.debian.pool.ntp.org 1.debian.pool.ntp.org 2.debian.pool.ntp.org 3.debian.pool.ntp.org
`;

/**
 * Kernel modules a web server never needs, which an unprivileged user could otherwise have loaded
 * on demand (opening a socket of the protocol): rarely used protocols with a history of kernel
 * CVEs (dccp, sctp, rds, tipc), and USB/FireWire storage (an ECS VM has neither). Takes effect on a
 * real kernel; a container loads no modules at all. `install M /bin/true` makes modprobe run
 * /bin/true instead of loading M (/bin/false would do the same and log a failure; Lynis 3.0.8,
 * Debian's, recognises only /bin/true).
 */
export const BLACKLISTED_MODULES = ["dccp", "sctp", "rds", "tipc", "usb-storage", "firewire-core", "firewire-ohci", "firewire-sbp2"];

export const modprobeConf = () => `# Managed by aistudio-infra (pulumi): modules this server never loads (provision/baseline.ts)
${BLACKLISTED_MODULES.map((m) => `blacklist ${m}\ninstall ${m} /bin/true`).join("\n")}
`;

/**
 * pam_umask for every session, the Debian way: a profile for pam-auth-update (RFC 822-like, no
 * comments; "Additional" without Session-Interactive-Only goes into both common-session files).
 * No umask= argument: pam_umask reads login.defs' UMASK (and its USERGROUPS_ENAB: a user whose
 * group bears its name gets 007), so login.defs stays the one place the value is set.
 */
export const pamUmaskProfile = () => `Name: aistudio-infra: the umask of login.defs for every session (pam_umask)
Default: yes
Priority: 0
Session-Type: Additional
Session:
\toptional\tpam_umask.so
`;

/**
 * Appended to provision/scripts/baseline.sh: the profile put in place and enabled. pam-auth-update
 * keeps an admin's own edits to /etc/pam.d/common-*: when it finds some it changes nothing ("Local
 * modifications … not updating", exit 0) and this is not forced (--force would overwrite them);
 * the step fails instead, naming the fix, unless pam_umask is already in both files (added by hand).
 * --enable implies --package (no question asked); debconf's database is locked while another
 * step's apt-get configures a package (PostgreSQL), so a lock is waited for like apt's (120 s).
 */
export const PAM_UMASK_APPLY = String.raw`
# --- the umask of sessions: pam_umask (it reads login.defs' UMASK) in both common-session files
pam_umask_in() { grep -qE "$PAM_UMASK_LINE" "$1" 2>/dev/null; }
pam_umask_on() { pam_umask_in "$PAM_SESSION" && pam_umask_in "$PAM_SESSION_NONINTERACTIVE"; }
printf '%s' "$PAM_UMASK_TEXT" >"$PAM_UMASK_PROFILE.aistudio-new"
CHANGED=0
put_file "$PAM_UMASK_PROFILE" 0644 root root
if [ "$CHANGED" = 1 ] || ! pam_umask_on; then
  profile=$(basename "$PAM_UMASK_PROFILE")
  for _ in $(seq 60); do
    rc=0; out=$(pam-auth-update --enable "$profile" 2>&1) || rc=$?
    grep -q 'locked by another process' <<<"$out" || break
    sleep 2
  done
  if ! pam_umask_on; then
    echo "pam_umask is not in $PAM_SESSION and $PAM_SESSION_NONINTERACTIVE after pam-auth-update --enable $profile (exit $rc):" >&2
    sed '/^$/d' <<<"$out" >&2
    if grep -q 'Local modifications' <<<"$out"; then
      echo "pam-auth-update keeps local edits of /etc/pam.d/common-*: add 'session optional pam_umask.so' to both files by hand, or review the edits and run pam-auth-update --force (it overwrites them, keeping *.pam-old); then run \`pulumi up\` again" >&2
    fi
    exit 1
  fi
  echo "pam_umask enabled (pam-auth-update profile $profile): new SSH, su, sudo and cron sessions get umask $LOGIN_UMASK"
fi
`;

/** `sysctl KEY value=` read back, or `settable=no` for a key this kernel does not let the server set. */
export const sysctlProbe = (): Probe => ({
  items: SYSCTLS.map(([k]) => ({ kind: "sysctl", subject: k })),
  sh: `for k in ${SYSCTLS.map(([k]) => k).join(" ")}; do
  f=/proc/sys/$(tr . / <<<"$k")
  if [ -w "$f" ]; then probe_record sysctl "$k" "value=$(cat "$f")"; else probe_record sysctl "$k" settable=no; fi
done`,
});

/**
 * `login umask=` (login.defs) `pam_umask=` (the common-session files that have it, or none) `profile=` (our
 * pam-auth-update profile's sha256, or missing), `journal JOURNAL_DIR state=`, `coredump services limit=`,
 * `timesync daemon unit= enabled= active=`, `ufw sysctl file=` (what ufw applies).
 */
export const baselineStateProbe = (): Probe => ({
  items: [
    { kind: "login", subject: LOGIN_DEFS },
    { kind: "journal", subject: JOURNAL_DIR },
    { kind: "coredump", subject: "services" },
    { kind: "timesync", subject: "daemon" },
    { kind: "ufw", subject: "sysctl" },
  ],
  sh: `pam=""
for f in ${PAM_SESSION} ${PAM_SESSION_NONINTERACTIVE}; do
  if grep -qE '${PAM_UMASK_LINE}' "$f" 2>/dev/null; then pam="$pam,$(basename "$f")"; fi
done
if [ -f ${PAM_UMASK_PROFILE} ]; then profile=$(sha256sum < ${PAM_UMASK_PROFILE} | cut -d' ' -f1); else profile=missing; fi
pam=\${pam#,}
probe_record login ${LOGIN_DEFS} "umask=$(awk '$1 == "UMASK" {print $2}' ${LOGIN_DEFS} 2>/dev/null | tail -1)" "pam_umask=\${pam:-none}" "profile=$profile"
probe_record journal ${JOURNAL_DIR} "state=$(if [ -d ${JOURNAL_DIR} ]; then echo dir; else echo missing; fi)"
probe_record coredump services "limit=$(systemctl show -p DefaultLimitCORE --value 2>/dev/null || true)"
u=systemd-timesyncd
for d in ${OTHER_TIME_DAEMONS.join(" ")}; do dpkg-query -W -f='\${Status}' "$d" 2>/dev/null | grep -q 'install ok installed' && { u=$d; break; }; done
probe_record timesync daemon "unit=$u" "enabled=$(systemctl is-enabled "$u" 2>/dev/null || true)" "active=$(systemctl is-active "$u" 2>/dev/null || true)"
probe_record ufw sysctl "file=$(sed -n 's/^IPT_SYSCTL=//p' ${DEFAULT_UFW} 2>/dev/null)"`,
});

export function baselineScriptVars() {
  return {
    SYSCTL_CONF, SYSCTL_KEYS: SYSCTLS.map(([k]) => k), SYSCTL_VALUES: SYSCTLS.map(([, v]) => v), PROC_SYS: "/proc/sys", DEFAULT_UFW,
    LIMITS_CONF, COREDUMP_CONF, SYSTEM_CONF, JOURNALD_CONF, JOURNAL_DIR, TIMESYNCD_CONF,
    LOGIN_DEFS, LOGIN_UMASK: UMASK, MODPROBE_CONF, OTHER_TIME_DAEMONS: [...OTHER_TIME_DAEMONS],
    PAM_UMASK_PROFILE, PAM_UMASK_TEXT: pamUmaskProfile(), PAM_SESSION, PAM_SESSION_NONINTERACTIVE, PAM_UMASK_LINE,
  };
}

export function baselineStep(): Step {
  return {
    id: "baseline",
    description: "network sysctls, core dumps off, umask 027, time sync, persistent journal, log rotation",
    files: [
      { path: SYSCTL_CONF, content: sysctlConf(), mode: "0644" },
      { path: LIMITS_CONF, content: limitsConf(), mode: "0644" },
      { path: COREDUMP_CONF, content: coredumpConf(), mode: "0644" },
      { path: SYSTEM_CONF, content: systemConf(), mode: "0644" },
      { path: JOURNALD_CONF, content: journaldConf(), mode: "0644" },
      { path: TIMESYNCD_CONF, content: timesyncdConf(), mode: "0644" },
      { path: MODPROBE_CONF, content: modprobeConf(), mode: "0644" },
    ],
    // provision/scripts/baseline.sh, then pam_umask (its header carries PAM_UMASK_APPLY's values too)
    apply: scriptFromFile("baseline", baselineScriptVars()) + PAM_UMASK_APPLY,
    ...probeOf(
      fileProbe(SYSCTL_CONF), fileProbe(LIMITS_CONF), fileProbe(COREDUMP_CONF), fileProbe(SYSTEM_CONF),
      fileProbe(JOURNALD_CONF), fileProbe(TIMESYNCD_CONF), fileProbe(MODPROBE_CONF),
      sysctlProbe(),
      baselineStateProbe(),
      // nginx's logs: Debian's nginx ships the rotation, logrotate.timer runs it daily
      packageProbe("logrotate"), unitProbe("logrotate.timer"), fileProbe(NGINX_LOGROTATE),
    ),
  };
}
