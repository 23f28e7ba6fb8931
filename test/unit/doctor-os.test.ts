// The doctor's OS checks (checks/doctor/os.ts, issue #16) with injected server facts: pending
// security updates, a reboot an update needs (with and without a reboot window), the server's
// clock against the doctor's (warn past 1 s, fail past 30 s, the SSH round trip not counted as
// offset), and fail2ban's sshd jail. Each warning or failure says expected, found, cause and fix
// in both languages.
import { describe, expect, it } from "vitest";
import type { Connection } from "../../core/ssh";
import type { Check, CheckOutcome, DoctorTarget } from "../../checks/doctor/check";
import { CLOCK_FAIL_SECONDS, clockCheck, clockOffset, fail2banCheck, rebootRequiredCheck, securityUpdatesCheck } from "../../checks/doctor/os";
import { CHECKS } from "../../checks/doctor/checks";
import type { ServerFacts } from "../../checks/doctor/server-facts";
import { FAIL2BAN_JAIL, REBOOT_REQUIRED } from "../../core/constants";
import { JAIL } from "../../provision/fail2ban";
import { REBOOT_REQUIRED as UPDATES_REBOOT_REQUIRED } from "../../provision/updates";

const SSH: Connection = { host: "203.0.113.5", port: 22, user: "root", hostKey: "unused", privateKey: "unused: the facts are injected" };
const target: DoctorTarget = { domain: "photogooo.com", wechat: false, minCertDays: 20, ssh: SSH };
const run = (c: Check, server: ServerFacts): Promise<CheckOutcome> => c.run(target, { server });

const NOW_MS = 1_750_000_000_000;
/** The facts of one doctor session: sent at NOW, answered 200 ms later. */
const session = (o: ServerFacts = {}): ServerFacts => ({ localSent: String(NOW_MS), localReceived: String(NOW_MS + 200), aptLists: String(NOW_MS / 1000 - 3600), ...o });

const bilingual = (r: CheckOutcome) => {
  for (const x of [r.cause!, r.fix!]) {
    expect(x.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(x.en).toMatch(/^[\x20-\x7e…]+$/);
  }
};

describe("the OS checks are the doctor's", () => {
  it("read the jail and the reboot flag the steps configure", () => {
    expect(FAIL2BAN_JAIL).toBe(JAIL);
    expect(REBOOT_REQUIRED).toBe(UPDATES_REBOOT_REQUIRED);
  });

  it("come after the guide's checks", () => {
    expect(CHECKS.map((c) => c.id).slice(-4)).toEqual(["security-updates", "reboot-required", "clock", "fail2ban"]);
  });
});

describe("security-updates", () => {
  it("none pending: ok", async () => {
    expect(await run(securityUpdatesCheck, session({ securityUpdates: "" }))).toMatchObject({ status: "ok", found: "none pending" });
  });

  it("pending: a warning naming them and how to install them now", async () => {
    const r = await run(securityUpdatesCheck, session({ securityUpdates: "libssl3 openssl" }));
    expect(r).toMatchObject({ status: "warn", expected: "no security updates pending", found: "2 pending: libssl3 openssl" });
    expect(r.fix!.en).toContain("unattended-upgrade -v");
    bilingual(r);
  });

  it("a long list is cut", async () => {
    const r = await run(securityUpdatesCheck, session({ securityUpdates: Array.from({ length: 12 }, (_, i) => `lib${i}`).join(" ") }));
    expect(r.found).toMatch(/^12 pending: lib0 .* lib7 … \(\+4\)$/);
  });

  it("none pending but lists days old: a warning that apt-daily is not refreshing them", async () => {
    const r = await run(securityUpdatesCheck, session({ securityUpdates: "", aptLists: String(NOW_MS / 1000 - 5 * 86400) }));
    expect(r).toMatchObject({ status: "warn", found: "none pending (package lists 5 days old)" });
    expect(r.fix!.en).toContain("apt-daily.timer");
    bilingual(r);
  });

  it("an SSH failure fails as the other server checks do", async () => {
    expect((await run(securityUpdatesCheck, { error: "connect ECONNREFUSED" })).status).toBe("fail");
  });

  it("no SSH on the stack: skipped", async () => {
    expect((await securityUpdatesCheck.run({ ...target, ssh: undefined }, {})).status).toBe("skip");
  });
});

describe("reboot-required", () => {
  it("none: ok", async () => {
    expect(await run(rebootRequiredCheck, session({ rebootRequired: "no" }))).toMatchObject({ status: "ok", found: "no reboot required" });
  });

  it("required, no window: a warning naming the packages and aistudio:os.rebootWindow", async () => {
    const r = await run(rebootRequiredCheck, session({ rebootRequired: "yes", rebootPkgs: "linux-image-cloud-amd64 libc6", rebootWindow: "" }));
    expect(r).toMatchObject({ status: "warn", found: "reboot required by linux-image-cloud-amd64 libc6; no reboot window" });
    expect(r.fix!.en).toContain("aistudio:os.rebootWindow");
    bilingual(r);
  });

  it("required, with a window: the warning says when it reboots by itself", async () => {
    const r = await run(rebootRequiredCheck, session({ rebootRequired: "yes", rebootPkgs: "", rebootWindow: "Sun *-*-* 04:00:00" }));
    expect(r.found).toBe("reboot required; reboot window Sun *-*-* 04:00:00");
    expect(r.fix!.en).toMatch(/reboots by itself in its window \(Sun \*-\*-\* 04:00:00\)/);
    bilingual(r);
  });
});

describe("clock", () => {
  it("the offset is the distance to the SSH session's interval: a read inside it is in step", () => {
    const inside = clockOffset(1000.1, 1000_000, 1000_200);
    expect(inside.offset).toBe(0);
    expect(inside.uncertainty).toBeCloseTo(0.1);
    expect(clockOffset(1005.2, 1000_000, 1000_200).offset).toBeCloseTo(5);
    expect(clockOffset(990, 1000_000, 1000_200).offset).toBeCloseTo(-10);
  });

  it("in step: ok, with the round trip and NTP's state", async () => {
    const r = await run(clockCheck, session({ clock: String(NOW_MS / 1000 + 0.1), clockNtp: "yes" }));
    expect(r).toMatchObject({ status: "ok", found: "in step (±0.10 s, NTP synchronized: yes)" });
  });

  it("off by a few seconds: a warning", async () => {
    const r = await run(clockCheck, session({ clock: String(NOW_MS / 1000 + 4.2), clockNtp: "no" }));
    expect(r).toMatchObject({ status: "warn", found: "ahead by 4.0 s (±0.10 s, NTP synchronized: no)" });
    expect(r.fix!.en).toContain("timedatectl");
    bilingual(r);
  });

  it(`off by more than ${CLOCK_FAIL_SECONDS} s: a failure naming ACME`, async () => {
    const r = await run(clockCheck, session({ clock: String(NOW_MS / 1000 - 120) }));
    expect(r).toMatchObject({ status: "fail", found: "behind by 120.0 s (±0.10 s)" });
    expect(r.cause!.en).toContain("ACME");
    bilingual(r);
  });

  it("not read: a warning, never a crash", async () => {
    expect((await run(clockCheck, session({}))).status).toBe("warn");
    expect((await run(clockCheck, { clock: "1750000000.0" })).status).toBe("warn");
  });
});

describe("fail2ban", () => {
  const JAIL = "Status for the jail: sshd\n|- Filter\n|  |- Currently failed: 2\n|  |- Total failed:     9\n`- Actions\n   |- Currently banned: 1\n   |- Total banned:     3\n   `- Banned IP list:   198.51.100.7";

  it("active with its sshd jail: ok, with the bans", async () => {
    expect(await run(fail2banCheck, session({ fail2ban: "active", fail2banJail: JAIL }))).toMatchObject({
      status: "ok", found: "active; sshd jail: 1 banned now, 3 in all, 2 failing",
    });
  });

  it("stopped, or not installed: a warning that nothing bans brute-force logins", async () => {
    for (const facts of [{ fail2ban: "inactive", fail2banJail: "" }, { fail2ban: "", fail2banJail: "" }]) {
      const r = await run(fail2banCheck, session(facts));
      expect(r.status).toBe("warn");
      expect(r.found).toMatch(/^fail2ban (inactive|not installed)$/);
      expect(r.fix!.en).toContain("pulumi up");
      bilingual(r);
    }
  });

  it("running without the sshd jail: a warning quoting fail2ban", async () => {
    const r = await run(fail2banCheck, session({ fail2ban: "active", fail2banJail: "Sorry but the jail 'sshd' does not exist" }));
    expect(r).toMatchObject({ status: "warn", found: "fail2ban active: Sorry but the jail 'sshd' does not exist" });
  });
});
