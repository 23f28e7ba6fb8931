// The operating system around the app on a real Debian 12 test host (issue #16): the security
// updates applied and unattended-upgrades limited to the security origin, sysctls read back, core
// dumps off, login.defs' umask (and pam_umask giving it to a new SSH session and su), a persistent
// journal, logrotate, the reboot window's timer; a second `pulumi up` changes nothing; the doctor's
// OS checks pass there and report a pending reboot; a reboot keeps the sysctls (ufw applies ours);
// drift sees a hand-edited sysctl file, a changed sysctl, the daily upgrade switched off and the
// pam_umask profile removed, which `pulumi up --refresh` repairs.
//
// The test host is a container (systemd-nspawn): its kernel.* and fs.* sysctls are the host's
// kernel's and read-only, so those are checked as "not settable" here; a VM (ECS) sets them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { requireHosts, REPO } from "../support/capability";
import { bootHost, hostCmd, hostCmdResult, hostDown, localConfig, TestStack, unchanged } from "../support/hosts";
import { PAM_UMASK_PROFILE, SYSCTLS } from "../../provision/baseline";
import { readTesthost } from "../../infra/testhost";
import { readServerFacts } from "../../checks/doctor/server-facts";
import { OS_CHECKS } from "../../checks/doctor/os";
import type { DoctorTarget } from "../../checks/doctor/check";

const pexec = promisify(execFile);
const canRun = requireHosts();
const HOST = "it-os";

interface Report { drift: boolean; items: { kind: string; resource: string; item: string; expected: string; found: string }[] }

describe.skipIf(!canRun)("OS baseline and security updates on a real host", () => {
  let stack: TestStack;

  const drift = async (): Promise<{ code: number; report?: Report; stderr: string }> => {
    const r = await pexec("node", [path.join(REPO, "bin/aistudio.js"), "drift", "--stack", stack.name, "--config-file", stack.configFile, "--json"], { env: stack.env(), cwd: REPO, maxBuffer: 64 << 20 }).catch((e) => e);
    let report: Report | undefined;
    try { report = JSON.parse(r.stdout); } catch { /* error case */ }
    return { code: typeof r.code === "number" ? r.code : 0, report, stderr: r.stderr };
  };

  beforeAll(async () => {
    bootHost(HOST);
    stack = new TestStack("itos", localConfig(HOST, { os: { rebootWindow: "Sun 04:00" } }));
    await stack.init();
    const t0 = Date.now();
    const r = await stack.up();
    if (r.code !== 0) throw new Error(`pulumi up failed:\n${r.stdout}\n${r.stderr}`);
    console.log(`cold pulumi up with the security updates: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  });
  afterAll(() => {
    stack?.cleanup();
    if (canRun) hostDown(HOST);
  });

  // first: before other tests edit the host (a later up may repair what they did)
  it("a second pulumi up changes nothing", async () => {
    const again = await stack.up();
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(unchanged(again), `${JSON.stringify(again.changes)}\n${again.stdout}`).toBe(true);
  });

  it("no security update is left pending, and unattended-upgrades' dry run allows only the security origin", () => {
    expect(hostCmd(HOST, "apt-get -s upgrade | grep '^Inst ' | grep -ci securi || true").trim()).toBe("0");
    const out = hostCmd(HOST, "unattended-upgrade --dry-run -d 2>&1");
    const line = /Allowed origins are: (.*)/.exec(out)?.[1];
    expect(line, out.slice(-2000)).toBeDefined();
    const origins = line!.split(", ");
    console.log(`allowed origins: ${line}`);
    expect(origins).toContain("origin=Debian,codename=bookworm-security,label=Debian-Security");
    // Debian's own file allows the point releases (label=Debian): cleared
    for (const o of origins) expect(o).toMatch(/-security,label=(Debian-Security|Ubuntu)$/);
    expect(hostCmd(HOST, "systemctl is-enabled apt-daily.timer apt-daily-upgrade.timer").trim().split("\n")).toEqual(["enabled", "enabled"]);
    expect(hostCmd(HOST, "grep -h restart /etc/needrestart/conf.d/aistudio.conf")).toMatch(/\$nrconf\{restart\} = 'a';/);
  });

  it("the reboot window is a timer at the configured time; ssh is active (one needrestart per run)", () => {
    expect(hostCmd(HOST, "systemctl show -p TimersCalendar --value aistudio-reboot.timer")).toMatch(/OnCalendar=Sun \*-\*-\* 04:00:00/);
    expect(hostCmd(HOST, "systemctl is-enabled aistudio-reboot.timer").trim()).toBe("enabled");
    expect(hostCmd(HOST, "systemctl is-active ssh").trim()).toBe("active");
  });

  it("the network sysctls read back; the kernel's own are reported as not settable in a container", () => {
    const want = Object.fromEntries(SYSCTLS.map(([k, v]) => [k, v]));
    const lines = hostCmd(HOST, SYSCTLS.map(([k]) => `f=/proc/sys/${k.replace(/\./g, "/")}; if [ -w "$f" ]; then echo "${k} $(cat "$f")"; else echo "${k} -"; fi`).join("\n"));
    const have = Object.fromEntries(lines.trim().split("\n").map((l) => l.split(" ")));
    const settable = Object.keys(have).filter((k) => have[k] !== "-");
    const unsettable = Object.keys(have).filter((k) => have[k] === "-");
    console.log(`set here: ${settable.length} keys; a container cannot set: ${unsettable.join(", ")}`);
    for (const k of settable) expect(`${k}=${have[k]}`).toBe(`${k}=${want[k]}`);
    for (const k of SYSCTLS.map(([k]) => k).filter((k) => k.startsWith("net.ipv4."))) expect(settable).toContain(k);
    // what a container refuses is recorded as such (not as drift): the kernel's own keys
    for (const k of unsettable) expect(k).toMatch(/^(kernel|fs|dev|net\.core)\./);
  });

  it("core dumps are off for services and logins; login.defs' umask is 027; the app still serves", () => {
    expect(hostCmd(HOST, "systemctl show -p DefaultLimitCORE --value").trim()).toBe("0");
    expect(hostCmd(HOST, "ulimit -Hc").trim()).toBe("0");
    // a service started now gets the manager's default
    expect(hostCmd(HOST, "systemctl restart aistudio && sleep 1 && grep 'Max core file size' /proc/$(systemctl show -p MainPID --value aistudio)/limits")).toMatch(/Max core file size\s+0\s+0/);
    expect(hostCmd(HOST, "awk '$1 == \"UMASK\" {print $2}' /etc/login.defs").trim()).toBe("027");
    expect(hostCmd(HOST, "curl -sk -o /dev/null -w '%{http_code}' --resolve photogooo.com:443:127.0.0.1 https://photogooo.com/api/health")).toBe("200");
  });

  it("a new SSH session gets umask 0027 from pam_umask (login.defs), su sessions too; what root creates there is not readable by others", () => {
    // each hostCmd is a new SSH connection (ssh root@host bash -s)
    expect(hostCmd(HOST, "umask").trim()).toBe("0027");
    // su's session (common-session) sets it again, whatever the caller's umask
    expect(hostCmd(HOST, "umask 077; su root -s /bin/sh -c umask").trim()).toBe("0027");
    expect(hostCmd(HOST, "f=/root/umask-probe.$$; touch $f; stat -c '%a %U:%G' $f; rm -f $f").trim()).toBe("640 root:root");
    for (const f of ["/etc/pam.d/common-session", "/etc/pam.d/common-session-noninteractive"]) {
      expect(hostCmd(HOST, `grep -E '^session[[:space:]].*pam_umask\\.so' ${f}`), f).toMatch(/pam_umask\.so/);
    }
    console.log(`sudo's umask from a 022 caller: ${hostCmd(HOST, "umask 022; sudo -n sh -c umask 2>&1 || true").trim()}`);
  });

  it("the journal is persistent and capped; timesyncd enabled; nginx's logs rotate", () => {
    expect(hostCmd(HOST, "ls /var/log/journal/$(cat /etc/machine-id)/system.journal")).toMatch(/system\.journal/);
    expect(hostCmd(HOST, "systemd-analyze cat-config systemd/journald.conf | grep -E '^(Storage|SystemMaxUse)='")).toMatch(/Storage=persistent\nSystemMaxUse=1G/);
    expect(hostCmd(HOST, "systemctl is-enabled systemd-timesyncd").trim()).toBe("enabled");
    expect(hostCmd(HOST, "systemctl is-enabled logrotate.timer; systemctl is-active logrotate.timer").trim().split("\n")).toEqual(["enabled", "active"]);
    expect(hostCmd(HOST, "logrotate -d /etc/logrotate.d/nginx 2>&1")).toMatch(/\/var\/log\/nginx\/\*\.log/);
  });

  it("the doctor's OS checks pass on this host, and a pending reboot is a warning naming the window", async () => {
    const rec = readTesthost(HOST);
    const ssh = { host: rec.host, port: rec.port, user: rec.user, hostKey: rec.hostKey, privateKey: fs.readFileSync(rec.privateKeyPath, "utf8") };
    const target: DoctorTarget = { domain: "photogooo.com", wechat: false, minCertDays: 20, ssh };
    const check = async () => {
      const server = await readServerFacts(ssh, false);
      return Object.fromEntries(await Promise.all(OS_CHECKS.map(async (c) => [c.id, await c.run(target, { server })] as const)));
    };
    const healthy = await check();
    console.log(`doctor, OS checks: ${Object.entries(healthy).map(([id, r]) => `${id} ${r.status} (${r.found})`).join("; ")}`);
    for (const [id, r] of Object.entries(healthy)) expect(`${id} ${r.status} ${r.found}`).toMatch(new RegExp(`^${id} ok `));
    hostCmd(HOST, "echo '*** System restart required ***' > /run/reboot-required; echo libc6 > /run/reboot-required.pkgs");
    try {
      const r = (await check())["reboot-required"];
      expect(r).toMatchObject({ status: "warn", found: "reboot required by libc6; reboot window Sun *-*-* 04:00:00" });
    } finally {
      hostCmd(HOST, "rm -f /run/reboot-required /run/reboot-required.pkgs");
    }
  });

  it("after a reboot the sysctls are ours again (ufw applies our file, not its own log_martians=0) and the journal kept the last boot", async () => {
    const bootId = () => hostCmdResult(HOST, "cat /proc/sys/kernel/random/boot_id").out.trim();
    const before = bootId();
    hostCmdResult(HOST, "systemctl reboot");
    const t0 = Date.now();
    let now = before;
    while (Date.now() - t0 < 90_000 && (!/^[0-9a-f-]{36}$/.test(now) || now === before)) {
      await new Promise((r) => setTimeout(r, 1000));
      now = bootId();
    }
    expect(now).not.toBe(before);
    await new Promise((r) => setTimeout(r, 3000));
    const read = (k: string) => hostCmd(HOST, `sysctl -n ${k}`).trim();
    for (const k of ["net.ipv4.conf.all.log_martians", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.all.send_redirects"]) {
      expect(`${k}=${read(k)}`).toBe(`${k}=${SYSCTLS.find(([x]) => x === k)![1]}`);
    }
    expect(Number(hostCmd(HOST, "journalctl --list-boots --no-pager -q | wc -l").trim())).toBeGreaterThanOrEqual(2);
  });


  const cases: { name: string; act: string; resource: string; item: RegExp }[] = [
    { name: "a line added to the sysctl file", act: "echo 'net.ipv4.tcp_timestamps = 0' >> /etc/sysctl.d/90-aistudio-hardening.conf", resource: "aistudio-baseline", item: /^file \/etc\/sysctl\.d\/90-aistudio-hardening\.conf sha256=/ },
    { name: "a sysctl changed at runtime", act: "sysctl -qw net.ipv4.conf.all.rp_filter=0", resource: "aistudio-baseline", item: /^sysctl net\.ipv4\.conf\.all\.rp_filter value=1 value=0$/ },
    { name: "the daily upgrade timer disabled", act: "systemctl disable --now apt-daily-upgrade.timer 2>/dev/null", resource: "aistudio-updates", item: /^unit apt-daily-upgrade\.timer .*enabled=disabled/ },
    {
      name: "the pam_umask profile removed (pam-auth-update then drops its lines)",
      act: `rm ${PAM_UMASK_PROFILE} && DEBIAN_FRONTEND=noninteractive pam-auth-update --package`,
      resource: "aistudio-baseline",
      item: /^login \/etc\/login\.defs pam_umask=common-session,common-session-noninteractive profile=[0-9a-f]{64} pam_umask=none profile=missing$/,
    },
  ];
  for (const c of cases) {
    it(`drift: ${c.name} is reported naming the item, and pulumi up --refresh repairs it`, async () => {
      hostCmd(HOST, c.act);
      const d = await drift();
      expect(d.code, d.stderr).toBe(1);
      const items = d.report!.items;
      console.log(`${c.name}: ${JSON.stringify(items)}`);
      expect(items.some((i) => i.resource === c.resource && c.item.test(`${i.item} ${i.expected} ${i.found}`)), JSON.stringify(items, null, 1)).toBe(true);
      const up = await stack.up({ refresh: true });
      expect(up.code, up.stdout + up.stderr).toBe(0);
      const after = await drift();
      expect(after.code, JSON.stringify(after.report?.items)).toBe(0);
    });
  }

  it("another apt file switching unattended-upgrades off fails the deploy, naming the file", async () => {
    hostCmd(HOST, `echo 'APT::Periodic::Unattended-Upgrade "0";' > /etc/apt/apt.conf.d/99local-off`);
    try {
      const d = await drift();
      expect(d.report?.items.some((i) => i.item === "apt unattended-upgrades" && /upgrade=0/.test(i.found)), JSON.stringify(d.report?.items)).toBe(true);
      const up = await stack.up({ refresh: true });
      expect(up.code).not.toBe(0);
      expect(up.stdout + up.stderr).toMatch(/99local-off/);
    } finally {
      hostCmd(HOST, "rm -f /etc/apt/apt.conf.d/99local-off");
    }
    const up = await stack.up({ refresh: true });
    expect(up.code, up.stdout + up.stderr).toBe(0);
  });
});
