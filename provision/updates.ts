// Security updates (issue #16): a fresh server gets the distribution's security updates before it
// serves, then unattended-upgrades applies them daily, needrestart restarts the services still
// running old libraries, and the server reboots by itself only inside os.rebootWindow (none by
// default: the doctor reports "reboot required" instead) — provision/scripts/updates.sh.
//
// Only the security origin: Debian's own 50unattended-upgrades also allows the point-release
// origin ("label=Debian"), so our file clears both origin lists first (apt's #clear) and lists the
// security archives of Debian and Ubuntu (the Alibaba Cloud images); each pattern matches only its
// own distribution.
//
// needrestart runs once per upgrade run, not once per package: unattended-upgrades installs in
// minimal steps (one dpkg run per package, so a shutdown can stop it safely) and needrestart's apt
// hook would restart sshd after each of them; seen on a test host: 5 restarts in 10 s hit systemd's
// start limit and sshd stayed down. So during the daily run the hook is suspended
// (NEEDRESTART_SUSPEND) and needrestart runs once when the run ends (a drop-in for
// apt-daily-upgrade.service); the step's first upgrade does the same.
//
// The reboot window is a systemd timer, not unattended-upgrades' Automatic-Reboot-Time: that one is
// a `shutdown -r HH:MM` scheduled only after its own upgrades, with no weekday; the timer reboots
// at the window's start whenever /run/reboot-required exists, whoever upgraded, and never at boot
// for a missed window (Persistent=false).
import { Step } from "./step";
import { scriptFromFile } from "./shell";
import { Probe, fileProbe, packageProbe, probeOf, unitProbe } from "./probes";
import { REBOOT_REQUIRED } from "../core/constants";

/** What the step installs. */
export const UPDATE_PACKAGES = ["unattended-upgrades", "needrestart"] as const;

export const UU_CONF = "/etc/apt/apt.conf.d/60aistudio-security-updates";
export const NEEDRESTART_CONF = "/etc/needrestart/conf.d/aistudio.conf";
export const APT_UPGRADE_DROPIN = "/etc/systemd/system/apt-daily-upgrade.service.d/aistudio-needrestart.conf";
export const REBOOT_UNIT = "aistudio-reboot";
export const REBOOT_TIMER = `/etc/systemd/system/${REBOOT_UNIT}.timer`;
export const REBOOT_SERVICE = `/etc/systemd/system/${REBOOT_UNIT}.service`;
/** Written by packages whose update needs a reboot (a kernel, libc, systemd). */
export { REBOOT_REQUIRED };
/** The longest the first upgrade may take (download and install); past it the step fails. */
export const UPGRADE_TIMEOUT_SECONDS = 900;

/** The origins unattended-upgrades may install from: the security archives only. */
export const SECURITY_ORIGINS = [
  "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
  "origin=Ubuntu,archive=${distro_codename}-security,label=Ubuntu",
];

export interface UpdatesOptions {
  /** systemd OnCalendar of the reboot window (os.rebootWindow); undefined: never reboots by itself. */
  rebootCalendar?: string;
}

export function unattendedUpgradesConf(): string {
  return `// Managed by aistudio-infra (pulumi): security updates only, daily (provision/updates.ts).
// Debian's 50unattended-upgrades also allows point releases: its lists are cleared here.
#clear Unattended-Upgrade::Origins-Pattern;
#clear Unattended-Upgrade::Allowed-Origins;
Unattended-Upgrade::Origins-Pattern {
${SECURITY_ORIGINS.map((o) => `  "${o}";`).join("\n")}
};
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
// reboots happen only in os.rebootWindow (${REBOOT_UNIT}.timer), never at unattended-upgrades' choice
Unattended-Upgrade::Automatic-Reboot "false";
Unattended-Upgrade::Remove-Unused-Kernel-Packages "true";
`;
}

/** needrestart restarts services on outdated libraries without asking ('a'); the kernel is the doctor's "reboot required". */
export function needrestartConf(): string {
  return `# Managed by aistudio-infra (pulumi): restart services on outdated libraries automatically.
$nrconf{restart} = 'a';
# a new kernel is reported by the doctor (reboot required), not by a prompt nobody sees
$nrconf{kernelhints} = 0;
`;
}

/** apt-daily-upgrade.service: needrestart once after the run, not after each package (see the top). */
export function aptUpgradeDropin(): string {
  return `# Managed by aistudio-infra (pulumi): needrestart once per unattended-upgrades run, not per package
# (per-package restarts of sshd hit systemd's start limit and left it stopped).
[Service]
Environment=NEEDRESTART_SUSPEND=1
ExecStopPost=-/usr/bin/env -u NEEDRESTART_SUSPEND /usr/lib/needrestart/apt-pinvoke
`;
}

export function rebootTimer(calendar: string): string {
  return `# Managed by aistudio-infra (pulumi): the reboot window (aistudio:os.rebootWindow), server local time.
[Unit]
Description=Reboot in the maintenance window when an update needs it

[Timer]
OnCalendar=${calendar}
AccuracySec=1min
# a window missed while the server was off is not made up at boot
Persistent=false

[Install]
WantedBy=timers.target
`;
}

export function rebootService(): string {
  return `# Managed by aistudio-infra (pulumi): started by ${REBOOT_UNIT}.timer in the reboot window.
[Unit]
Description=Reboot when an update needs it (${REBOOT_REQUIRED})
ConditionPathExists=${REBOOT_REQUIRED}

[Service]
Type=oneshot
ExecStart=/usr/bin/systemctl reboot
`;
}

/**
 * `apt unattended-upgrades` with what apt's configuration says as a whole (every file of
 * apt.conf.d): a later file switching the daily run or the reboot on, or adding an origin, is drift.
 */
export const aptPolicyProbe = (): Probe => ({
  items: [{ kind: "apt", subject: "unattended-upgrades" }],
  sh: `probe_record apt unattended-upgrades \\
  "update=$(apt-config dump --format '%v' APT::Periodic::Update-Package-Lists)" \\
  "upgrade=$(apt-config dump --format '%v' APT::Periodic::Unattended-Upgrade)" \\
  "reboot=$(apt-config dump --format '%v' Unattended-Upgrade::Automatic-Reboot)" \\
  "origins=$(apt-config dump --format '%v%n' Unattended-Upgrade::Origins-Pattern Unattended-Upgrade::Allowed-Origins | sed '/^$/d' | paste -sd';')"`,
});

export function updatesScriptVars(o: UpdatesOptions) {
  return {
    PACKAGES: [...UPDATE_PACKAGES],
    UU_CONF, NEEDRESTART_CONF, APT_UPGRADE_DROPIN,
    REBOOT_UNIT, REBOOT_TIMER, REBOOT_SERVICE,
    REBOOT_CALENDAR: o.rebootCalendar ?? "",
    UPGRADE_TIMEOUT: UPGRADE_TIMEOUT_SECONDS,
    UU_LOG: "/var/log/unattended-upgrades/unattended-upgrades.log",
  };
}

export function updatesStep(o: UpdatesOptions = {}): Step {
  const files = [
    { path: UU_CONF, content: unattendedUpgradesConf(), mode: "0644" },
    { path: NEEDRESTART_CONF, content: needrestartConf(), mode: "0644" },
    { path: APT_UPGRADE_DROPIN, content: aptUpgradeDropin(), mode: "0644" },
    ...(o.rebootCalendar ? [
      { path: REBOOT_TIMER, content: rebootTimer(o.rebootCalendar), mode: "0644" },
      { path: REBOOT_SERVICE, content: rebootService(), mode: "0644" },
    ] : []),
  ];
  return {
    id: "updates",
    description: `security updates now and daily (unattended-upgrades, needrestart); ${o.rebootCalendar ? `reboots only at ${o.rebootCalendar}` : "never reboots by itself"}`,
    files,
    apply: scriptFromFile("updates", updatesScriptVars(o)),
    ...probeOf(
      ...UPDATE_PACKAGES.map((p) => packageProbe(p)),
      fileProbe(UU_CONF), fileProbe(NEEDRESTART_CONF), fileProbe(APT_UPGRADE_DROPIN),
      // without a window both are missing: a timer left behind would be drift
      fileProbe(REBOOT_TIMER), fileProbe(REBOOT_SERVICE),
      unitProbe("apt-daily.timer"), unitProbe("apt-daily-upgrade.timer"), unitProbe(`${REBOOT_UNIT}.timer`),
      aptPolicyProbe(),
    ),
  };
}
