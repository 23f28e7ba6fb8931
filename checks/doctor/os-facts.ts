// The operating system's facts in the doctor's one SSH script (server-facts.ts): pending security
// updates, reboot required, the server's clock, fail2ban (issue #16). Read by checks/doctor/os.ts.
import { FAIL2BAN_JAIL as JAIL, REBOOT_REQUIRED } from "../../core/constants";

/** One fact: the record (kind, subject) and field it is, and the bash line printing that record ("" when another fact's line prints it). */
export interface OsFact { fact: string; kind: string; subject: string; field: string; sh: string }

export const OS_FACTS: OsFact[] = [
  {
    // from the package lists as apt-daily last fetched them (no network here): the upgrades whose
    // candidate comes from a security archive ("Debian-Security:12/…", "Ubuntu:22.04/jammy-security")
    fact: "securityUpdates", kind: "apt", subject: "security", field: "pending",
    sh: `probe_record apt security "pending=$(apt-get -s -o Debug::NoLocking=1 upgrade 2>/dev/null | awk '/^Inst / && tolower($0) ~ /securi/ {print $2}' | paste -sd' ')" "lists=$(stat -c %Y /var/lib/apt/lists/*InRelease 2>/dev/null | sort -n | tail -1)"`,
  },
  { fact: "aptLists", kind: "apt", subject: "security", field: "lists", sh: "" },
  {
    fact: "rebootRequired", kind: "reboot", subject: REBOOT_REQUIRED, field: "required",
    sh: `probe_record reboot ${REBOOT_REQUIRED} "required=$(if [ -e ${REBOOT_REQUIRED} ]; then echo yes; else echo no; fi)" "pkgs=$(sort -u ${REBOOT_REQUIRED}.pkgs 2>/dev/null | paste -sd' ')" "window=$(systemctl show -p TimersCalendar --value aistudio-reboot.timer 2>/dev/null | sed -n 's/.*OnCalendar=\\([^;]*\\) ;.*/\\1/p')"`,
  },
  { fact: "rebootPkgs", kind: "reboot", subject: REBOOT_REQUIRED, field: "pkgs", sh: "" },
  { fact: "rebootWindow", kind: "reboot", subject: REBOOT_REQUIRED, field: "window", sh: "" },
  {
    // compared with the doctor's own clock around the SSH session (readServerFacts)
    fact: "clock", kind: "clock", subject: "server", field: "epoch",
    sh: `probe_record clock server "epoch=$(date +%s.%N)" "ntp=$(timedatectl show -p NTPSynchronized --value 2>/dev/null || true)"`,
  },
  { fact: "clockNtp", kind: "clock", subject: "server", field: "ntp", sh: "" },
  {
    fact: "fail2ban", kind: "fail2ban", subject: JAIL, field: "state",
    sh: `probe_record fail2ban ${JAIL} "state=$(systemctl is-active fail2ban 2>/dev/null || true)" "jail=$(if command -v fail2ban-client >/dev/null; then fail2ban-client status ${JAIL} 2>&1 || true; fi)"`,
  },
  { fact: "fail2banJail", kind: "fail2ban", subject: JAIL, field: "jail", sh: "" },
];
