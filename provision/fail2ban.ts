// Brute-force protection for sshd: fail2ban (Debian 12's OpenSSH 9.2 has no per-source penalties)
// with one jail file, /etc/fail2ban/jail.d/aistudio.local.
//
//  - .local in jail.d: fail2ban reads every jail.d/*.conf (Debian's defaults-debian.conf among them)
//    before any *.local, and the last value read wins, so ours overrides the package's defaults.
//  - backend systemd: Debian 12 has no rsyslog, sshd logs only to the journal; Debian's default
//    (auth.log) makes fail2ban fail to start ("Have not found any log file for sshd jail").
//    python3-systemd (a Recommends, which the packages step does not install) reads the journal.
//  - mode aggressive: sshd takes keys only, so a password bot never produces a "Failed password"
//    line; in fail2ban's normal mode its attempts count for nothing (measured: six password tries
//    from a test host, 0 failures). Aggressive also counts "Connection closed by authenticating user
//    … [preauth]" (a client that gave up on authentication), key exchanges with no common algorithm
//    and connections that never speak SSH (scanners). LogLevel VERBOSE (provision/ssh.ts) gives
//    each such line its address.
//  - banaction nftables: fail2ban's bans go into its own nftables table (inet f2b-table), ahead of
//    ufw's chains. The ufw action would add "deny from" rules to ufw itself: the firewall step sees
//    them as drift and its `ufw --force reset` would drop every ban on the next deploy.
//  - ignoreip: loopback and the admin networks (firewall.adminCidrs), never banned. An entry wider
//    than /firewall.minAdminPrefix is there only because firewall.allowSshFromAnywhere opens SSH to
//    the world: that is not an admin network, so it is not ignored (0.0.0.0/0 would disable the jail).
//  - maxretry 5 within 10 min, banned 1 h, each repeat ban of the same address twice as long (up to
//    a week): a mistyped passphrase or a wrong key costs an admin outside the admin networks little.
//
// No nginx jail (4xx floods on /api/) yet: the app's own 4xx (a 401 before login, a 404 on a bad id)
// come from real users behind one carrier NAT address, and banning those needs a rate that has
// been measured first.
import { Step } from "./step";
import { parseCidr } from "../core/cidr";
import { ShellVars, scriptFromFile, q } from "./shell";
import { Probe, fileProbe, probeOf, unitProbe } from "./probes";

export const JAIL_PATH = "/etc/fail2ban/jail.d/aistudio.local";
export const JAIL = "sshd";

export interface Fail2banOptions {
  sshPort: number;
  /** firewall.adminCidrs and firewall.minAdminPrefix. */
  adminCidrs: string[];
  minAdminPrefix: number;
}

/** The addresses never banned: loopback and each admin CIDR no wider than /minAdminPrefix. */
export function ignoreIps(o: Pick<Fail2banOptions, "adminCidrs" | "minAdminPrefix">): string[] {
  const admin = o.adminCidrs.filter((c) => (parseCidr(c)?.bits ?? -1) >= o.minAdminPrefix);
  return [...new Set(["127.0.0.1/8", "::1", ...admin])];
}

export const JAIL_SETTINGS = { maxretry: 5, findtime: 600, bantime: 3600 } as const;

export function jailFile(o: Fail2banOptions): string {
  return [
    "# Managed by aistudio (provision/fail2ban.ts); hand edits are reported as drift and replaced.",
    "[DEFAULT]",
    "# never banned: loopback and the admin networks (aistudio:firewall.adminCidrs)",
    `ignoreip = ${ignoreIps(o).join(" ")}`,
    "# bans in fail2ban's own nftables table, ahead of ufw (whose rules stay the firewall step's)",
    "banaction = nftables-multiport",
    "banaction_allports = nftables-allports",
    `maxretry = ${JAIL_SETTINGS.maxretry}`,
    `findtime = ${JAIL_SETTINGS.findtime}`,
    `bantime = ${JAIL_SETTINGS.bantime}`,
    "# each new ban of the same address lasts twice as long, up to a week",
    "bantime.increment = true",
    "bantime.maxtime = 604800",
    "",
    `[${JAIL}]`,
    "enabled = true",
    "# Debian 12 logs sshd to the journal only",
    "backend = systemd",
    "# key-only sshd: count clients that give up on authentication, not only failed passwords",
    "mode = aggressive",
    `port = ${o.sshPort}`,
    "",
  ].join("\n");
}

/**
 * `fail2ban sshd state= ignoreip= maxretry= findtime= bantime= actions=`: the jail as the running
 * fail2ban has it (never its bans: those change by themselves and are not drift).
 */
export function jailProbe(jail: string): Probe {
  return {
    items: [{ kind: "fail2ban", subject: jail }],
    sh: `probe_fail2ban() {
  local j=$1 k
  if ! fail2ban-client status "$j" >/dev/null 2>&1; then probe_record fail2ban "$j" state=not-running; return 0; fi
  set -- state=running "ignoreip=$(fail2ban-client get "$j" ignoreip 2>/dev/null | sed -n 's/^[|\`]- //p' | sort | tr '\n' ' ' | sed 's/ $//')"
  for k in maxretry findtime bantime; do set -- "$@" "$k=$(fail2ban-client get "$j" "$k" 2>/dev/null || true)"; done
  probe_record fail2ban "$j" "$@" "actions=$(fail2ban-client get "$j" actions 2>/dev/null | tail -n +2 | tr '\n' ' ' | sed 's/ $//')"
}
probe_fail2ban ${q(jail)}`,
  };
}

/** The header of provision/scripts/fail2ban.sh. */
export function fail2banScriptVars(): ShellVars {
  return { JAIL_PATH, JAIL };
}

export function fail2banStep(o: Fail2banOptions): Step {
  return {
    id: "fail2ban",
    description: "fail2ban: bans addresses that keep failing SSH logins (the admin networks never)",
    files: [{ path: JAIL_PATH, content: jailFile(o), mode: "0644" }],
    apply: scriptFromFile("fail2ban", fail2banScriptVars()),
    ...probeOf(fileProbe(JAIL_PATH), unitProbe("fail2ban"), jailProbe(JAIL)),
  };
}
