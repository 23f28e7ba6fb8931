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

/** `sysctl KEY value=` read back, or `settable=no` for a key this kernel does not let the server set. */
export const sysctlProbe = (): Probe => ({
  items: SYSCTLS.map(([k]) => ({ kind: "sysctl", subject: k })),
  sh: `for k in ${SYSCTLS.map(([k]) => k).join(" ")}; do
  f=/proc/sys/$(tr . / <<<"$k")
  if [ -w "$f" ]; then probe_record sysctl "$k" "value=$(cat "$f")"; else probe_record sysctl "$k" settable=no; fi
done`,
});

/** `login umask=` (login.defs), `journal JOURNAL_DIR state=`, `coredump services limit=`, `timesync daemon unit= enabled= active=`, `ufw sysctl file=` (what ufw applies). */
export const baselineStateProbe = (): Probe => ({
  items: [
    { kind: "login", subject: LOGIN_DEFS },
    { kind: "journal", subject: JOURNAL_DIR },
    { kind: "coredump", subject: "services" },
    { kind: "timesync", subject: "daemon" },
    { kind: "ufw", subject: "sysctl" },
  ],
  sh: `probe_record login ${LOGIN_DEFS} "umask=$(awk '$1 == "UMASK" {print $2}' ${LOGIN_DEFS} 2>/dev/null | tail -1)"
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
    apply: scriptFromFile("baseline", baselineScriptVars()),
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
