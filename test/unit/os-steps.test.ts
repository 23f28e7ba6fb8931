// The OS steps of issue #16 as data: aistudio:os.rebootWindow (accepted forms, refusals naming the
// key and the fix, unknown keys), and the files the updates and baseline steps put on the server:
// unattended-upgrades limited to the security origin, needrestart automatic and once per run, the
// reboot window's timer (only with a window), the sysctls, core dumps off, the journal's cap, and
// pam_umask's pam-auth-update profile (login.defs' umask for SSH, su, sudo and cron sessions).
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../infra/config";
import { rebootCalendar } from "../../infra/config-os";
import { buildSteps } from "../../infra/steps";
import {
  APT_UPGRADE_DROPIN, NEEDRESTART_CONF, REBOOT_SERVICE, REBOOT_TIMER, UU_CONF, aptUpgradeDropin, needrestartConf, rebootService, rebootTimer,
  unattendedUpgradesConf, updatesStep,
} from "../../provision/updates";
import {
  PAM_UMASK_PROFILE, SYSCTLS, SYSCTL_CONF, baselineStep, coredumpConf, journaldConf, limitsConf, modprobeConf, pamUmaskProfile, sysctlConf, systemConf,
} from "../../provision/baseline";
import { BadCase, onCreate, onLocal, problemsOf } from "./fixtures";

const appFiles = [{ rel: "app.py", content: "application = None\n" }];

describe("aistudio:os.rebootWindow", () => {
  it.each([
    ["04:00", "*-*-* 04:00:00"],
    ["4:30", "*-*-* 04:30:00"],
    ["Sun 04:00", "Sun *-*-* 04:00:00"],
    ["sat,SUN 23:59", "Sat,Sun *-*-* 23:59:00"],
  ])("%s is the calendar %s", (w, cal) => {
    expect(rebootCalendar(w)).toBe(cal);
    expect(parseConfig(onLocal({ os: { rebootWindow: w } }).raw, "local").os).toEqual({ rebootWindow: w, rebootCalendar: cal });
  });

  it("unset or none: never reboots by itself (no window, no timer)", () => {
    for (const os of [undefined, {}, { rebootWindow: "none" }, { rebootWindow: "" }]) {
      const cfg = parseConfig(onLocal(os === undefined ? {} : { os }).raw, "local");
      expect(cfg.os).toEqual({});
      const updates = buildSteps(cfg, appFiles).find((s) => s.id === "updates")!;
      expect(updates.files.map((f) => f.path)).not.toContain(REBOOT_TIMER);
      // probed anyway: a timer left behind is drift
      expect(updates.manages).toContainEqual({ kind: "file", subject: REBOOT_TIMER });
    }
  });

  const BAD: BadCase[] = [
    { name: "a time out of range", ...onLocal({ os: { rebootWindow: "24:00" } }), key: "os.rebootWindow", fix: /must be a time "HH:MM" \(every day\) or days and a time "Sun 04:00".*got "24:00": `pulumi config set --path aistudio:os\.rebootWindow "Sun 04:00"`/ },
    { name: "a day that is none", ...onCreate({ os: { rebootWindow: "Sunday 04:00" } }), key: "os.rebootWindow", fix: /got "Sunday 04:00"/ },
    { name: "seconds", ...onLocal({ os: { rebootWindow: "04:00:00" } }), key: "os.rebootWindow", fix: /"none" to never reboot by itself/ },
    { name: "a number", ...onLocal({ os: { rebootWindow: 4 } }), key: "os.rebootWindow", fix: /must be a string, got 4/ },
    { name: "a typo in the os block", ...onLocal({ os: { rebootWindw: "04:00" } }), key: "os.rebootWindw", fix: /did you mean os\.rebootWindow\? Rename it: `pulumi config rm --path aistudio:os\.rebootWindw --stack local`, then `pulumi config set --path aistudio:os\.rebootWindow 04:00 --stack local`/ },
    { name: "an unknown key", ...onLocal({ os: { autoUpgrade: false } }), key: "os.autoUpgrade", fix: /is not a key of aistudio:os \(those are: rebootWindow\): remove it/ },
  ];
  it.each(BAD.map((c) => [c.name, c] as const))("refused: %s", (_n, c) => {
    const problems = problemsOf(c.raw, c.stack);
    expect(problems.map((p) => p.key)).toEqual([c.key]);
    expect(problems[0].message).toMatch(c.fix);
  });
});

describe("the updates step's files", () => {
  it("unattended-upgrades: Debian's origin lists cleared, then the security archives only; daily; no reboot of its own", () => {
    const conf = unattendedUpgradesConf();
    expect(conf).toMatch(/^#clear Unattended-Upgrade::Origins-Pattern;$/m);
    expect(conf).toMatch(/^#clear Unattended-Upgrade::Allowed-Origins;$/m);
    const origins = [...conf.matchAll(/^\s+"(origin=[^"]+)";$/gm)].map((m) => m[1]);
    expect(origins).toEqual([
      "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
      "origin=Ubuntu,archive=${distro_codename}-security,label=Ubuntu",
    ]);
    expect(conf).toContain('APT::Periodic::Unattended-Upgrade "1";');
    expect(conf).toContain('APT::Periodic::Update-Package-Lists "1";');
    expect(conf).toContain('Unattended-Upgrade::Automatic-Reboot "false";');
  });

  it("needrestart restarts by itself, once per daily run (not per package)", () => {
    expect(needrestartConf()).toMatch(/^\$nrconf\{restart\} = 'a';$/m);
    expect(aptUpgradeDropin()).toMatch(/^Environment=NEEDRESTART_SUSPEND=1$/m);
    expect(aptUpgradeDropin()).toMatch(/^ExecStopPost=-\/usr\/bin\/env -u NEEDRESTART_SUSPEND \/usr\/lib\/needrestart\/apt-pinvoke$/m);
  });

  it("the reboot window: a timer at the window, never catching up at boot; the service reboots only when an update asks", () => {
    expect(rebootTimer("Sun *-*-* 04:00:00")).toMatch(/^OnCalendar=Sun \*-\*-\* 04:00:00$/m);
    expect(rebootTimer("Sun *-*-* 04:00:00")).toMatch(/^Persistent=false$/m);
    expect(rebootService()).toMatch(/^ConditionPathExists=\/run\/reboot-required$/m);
    const step = updatesStep({ rebootCalendar: "Sun *-*-* 04:00:00" });
    expect(step.files.map((f) => f.path)).toEqual([UU_CONF, NEEDRESTART_CONF, APT_UPGRADE_DROPIN, REBOOT_TIMER, REBOOT_SERVICE]);
    expect(step.description).toContain("reboots only at Sun *-*-* 04:00:00");
    expect(step.apply).toContain("REBOOT_CALENDAR='Sun *-*-* 04:00:00'");
  });

  it("its apply suspends needrestart for its own apt runs and bounds the first upgrade", () => {
    const apply = updatesStep().apply;
    expect(apply).toContain("export NEEDRESTART_SUSPEND=1");
    expect(apply).toMatch(/timeout --signal=TERM "\$UPGRADE_TIMEOUT" unattended-upgrade -v/);
    expect(apply).toContain("needrestart -r a -q");
  });
});

describe("the baseline step's files", () => {
  it("each sysctl once, as key = value", () => {
    const conf = sysctlConf();
    const lines = conf.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(lines).toEqual(SYSCTLS.map(([k, v]) => `${k} = ${v}`));
    expect(new Set(SYSCTLS.map(([k]) => k)).size).toBe(SYSCTLS.length);
    for (const k of ["net.ipv4.conf.all.rp_filter", "net.ipv4.tcp_syncookies", "net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.all.send_redirects",
      "net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.all.log_martians", "fs.suid_dumpable"]) {
      expect(SYSCTLS.map(([x]) => x)).toContain(k);
    }
  });

  it("core dumps off three ways: logins (limits.d), systemd-coredump, services (system.conf.d)", () => {
    expect(limitsConf()).toMatch(/^\* hard core 0$/m);
    expect(coredumpConf()).toMatch(/^Storage=none$/m);
    expect(systemConf()).toMatch(/^DefaultLimitCORE=0$/m);
  });

  it("protocols with a history of kernel CVEs and USB/FireWire storage never loaded", () => {
    for (const m of ["dccp", "sctp", "rds", "tipc", "usb-storage", "firewire-core"]) {
      expect(modprobeConf()).toMatch(new RegExp(`^blacklist ${m}\ninstall ${m} /bin/true$`, "m"));
    }
  });

  it("the journal persistent and capped", () => {
    expect(journaldConf()).toMatch(/^Storage=persistent$/m);
    expect(journaldConf()).toMatch(/^SystemMaxUse=1G$/m);
  });

  it("the probe records each sysctl's value, or settable=no where the kernel refuses it", () => {
    const step = baselineStep();
    expect(step.files.map((f) => f.path)).toContain(SYSCTL_CONF);
    expect(step.probe).toContain('probe_record sysctl "$k" settable=no');
    expect(step.manages.filter((m) => m.kind === "sysctl").map((m) => m.subject)).toEqual(SYSCTLS.map(([k]) => k));
  });
});

describe("the baseline step's pam_umask (login.defs' UMASK in every session)", () => {
  it("a pam-auth-update profile: pam_umask in the Additional session block, for non-interactive sessions too, without a umask of its own", () => {
    expect(PAM_UMASK_PROFILE).toBe("/usr/share/pam-configs/aistudio-umask");
    expect(pamUmaskProfile()).toBe(
      "Name: aistudio-infra: the umask of login.defs for every session (pam_umask)\n" +
        "Default: yes\nPriority: 0\nSession-Type: Additional\nSession:\n\toptional\tpam_umask.so\n",
    );
    // Session-Interactive-Only would leave out common-session-noninteractive (sudo, cron); a
    // comment line is no field of pam-auth-update's format; umask= would override login.defs
    expect(pamUmaskProfile()).not.toMatch(/Interactive-Only|^#|umask=/m);
  });

  it("its apply puts the profile in place and enables it without a question, never with --force, failing when pam_umask is still missing", () => {
    const apply = baselineStep().apply;
    expect(apply).toContain(`PAM_UMASK_PROFILE=${PAM_UMASK_PROFILE}`);
    expect(apply).toContain('printf \'%s\' "$PAM_UMASK_TEXT" >"$PAM_UMASK_PROFILE.aistudio-new"');
    expect(apply).toContain('put_file "$PAM_UMASK_PROFILE" 0644 root root');
    // only when the profile changed or pam_umask is not in both common-session files (idempotent)
    expect(apply).toContain('if [ "$CHANGED" = 1 ] || ! pam_umask_on; then');
    expect(apply).toContain('pam-auth-update --enable "$profile"');
    // --force would overwrite an admin's edits of /etc/pam.d/common-*: only the error message names it
    const runs = apply.split("\n").filter((l) => /pam-auth-update /.test(l) && !/^\s*echo /.test(l));
    expect(runs).toEqual(['    rc=0; out=$(pam-auth-update --enable "$profile" 2>&1) || rc=$?']);
    expect(apply.indexOf("pam-auth-update --enable")).toBeGreaterThan(apply.indexOf("put_file \"$PAM_UMASK_PROFILE\""));
    expect(apply).toMatch(/if ! pam_umask_on; then[\s\S]*exit 1/);
  });

  it("the probe's login record carries pam_umask's state and the profile's digest, so drift sees either removed", () => {
    const step = baselineStep();
    expect(step.manages).toContainEqual({ kind: "login", subject: "/etc/login.defs" });
    expect(step.probe).toMatch(/probe_record login \/etc\/login\.defs "umask=[^\n]*" "pam_umask=\$\{pam:-none\}" "profile=\$profile"/);
    expect(step.probe).toContain("for f in /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive; do");
    expect(step.probe).toContain(`if [ -f ${PAM_UMASK_PROFILE} ]; then profile=$(sha256sum < ${PAM_UMASK_PROFILE} | cut -d' ' -f1); else profile=missing; fi`);
  });
});
