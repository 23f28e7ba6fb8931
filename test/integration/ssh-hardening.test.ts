// SSH hardened without locking anyone out, and brute-force protection (issue #16), on real hosts:
// passwords refused, forwarding refused; a second host that keeps failing gets banned while an
// admin-CIDR host never is; an sshd setting that locks the deploy key out (or that sshd -t rejects)
// is rolled back with the deploy key still working and the deploy failing with the reason; drift sees
// a re-enabled password login and a stopped fail2ban; a second `pulumi up` changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { requireHosts, REPO } from "../support/capability";
import { bootHost, hostCmd, hostCmdResult, localConfig, TestStack, unchanged } from "../support/hosts";
import { readTesthost } from "../../infra/testhost";
import { connect } from "../../core/ssh";
import { SSHD_DROPIN } from "../../provision/ssh";

const pexec = promisify(execFile);
const canRun = requireHosts();
const HOST = "it-ssh";
const ADMIN = "it-ssha"; // in firewall.adminCidrs: never banned
const OTHER = "it-sshx"; // anywhere else: banned after repeated failures

describe.skipIf(!canRun)("ssh hardening and fail2ban on a real host", () => {
  let ip: string, adminIp: string, otherIp: string;
  let stack: TestStack;
  let config: Record<string, unknown>;
  const rec = () => readTesthost(HOST);

  /** OpenSSH from this machine to the host, with the test hosts' key unless `args` says otherwise. */
  const ssh = (args: string[]) => spawnSync("ssh", [
    "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`,
    "-o", "HostKeyAlgorithms=ssh-ed25519", ...args, `root@${ip}`, "true",
  ], { encoding: "utf8", timeout: 20_000 });
  let knownHosts: string;

  /** A new connection with the deploy key, the way the runner makes one. */
  const newLogin = async () => {
    const c = await connect({ host: ip, port: 22, user: "root", hostKey: rec().hostKey, privateKey: fs.readFileSync(rec().privateKeyPath, "utf8") }, { dialBudgetMs: 10_000 });
    const r = await c.execCommand("echo ok");
    c.dispose();
    return r.stdout.trim();
  };
  /** From test host NAME: `n` SSH logins that offer only a password (what a password bot does). */
  const knock = (name: string, n: number) =>
    hostCmdResult(name, `for i in $(seq ${n}); do timeout 8 ssh -o BatchMode=yes -o ConnectTimeout=4 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PreferredAuthentications=password,keyboard-interactive -o PubkeyAuthentication=no root@${ip} true 2>&1 | tail -1; sleep 0.3; done`).out;
  const port22 = (name: string) => hostCmdResult(name, `timeout 4 bash -c 'exec 3<>/dev/tcp/${ip}/22' && echo open || echo closed`).out.trim();
  const banned = () => hostCmd(HOST, "fail2ban-client status sshd | sed -n 's/.*Banned IP list:\\s*//p'").trim().split(/\s+/).filter(Boolean);
  const drift = async () => {
    const r = await pexec("node", [path.join(REPO, "bin/aistudio.js"), "drift", "--stack", stack.name, "--config-file", stack.configFile, "--json"], { env: stack.env(), cwd: REPO, maxBuffer: 64 << 20 }).catch((e) => e);
    return { code: typeof r.code === "number" ? r.code : 0, items: (JSON.parse(r.stdout || "{}").items ?? []) as { resource: string; item: string; expected: string; found: string }[], stderr: r.stderr as string };
  };

  beforeAll(async () => {
    ip = bootHost(HOST).host;
    adminIp = bootHost(ADMIN).host;
    otherIp = bootHost(OTHER).host;
    knownHosts = path.join(fs.mkdtempSync("/tmp/aistudio-it-ssh-"), "known_hosts");
    fs.writeFileSync(knownHosts, `${ip} ${rec().hostKey}\n`);
    // SSH open to the world on purpose (two /1 halves), plus this machine and one admin host: those
    // two are admin networks for fail2ban, the /1 halves are not
    config = localConfig(HOST, {
      firewall: { adminCidrs: ["0.0.0.0/1", "128.0.0.0/1", "198.18.0.1/32", `${adminIp}/32`], allowSshFromAnywhere: true },
    });
    stack = new TestStack("itssh", config);
    await stack.init();
    const r = await stack.up();
    if (r.code !== 0) throw new Error(`pulumi up failed:\n${r.stdout}\n${r.stderr}`);
    console.log(`cold provision with ssh + fail2ban: ${r.seconds.toFixed(1)}s`);
  });
  afterAll(() => {
    stack?.cleanup();
    if (knownHosts) fs.rmSync(path.dirname(knownHosts), { recursive: true, force: true });
  });

  it("sshd runs with our settings: the drop-in sorts first and sshd -T reads them back", () => {
    expect(hostCmd(HOST, "ls /etc/ssh/sshd_config.d/ | head -1").trim()).toBe("00-aistudio.conf");
    const t = hostCmd(HOST, "sshd -T");
    for (const l of ["passwordauthentication no", "kbdinteractiveauthentication no", "permitrootlogin without-password", "maxauthtries 3", "allowtcpforwarding no", "x11forwarding no", "allowagentforwarding no", "hostkeyalgorithms ssh-ed25519"]) {
      expect(t.split("\n"), l).toContain(l);
    }
    expect(t).toMatch(/^kexalgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,/m);
  });

  it("a password (or keyboard-interactive) login is refused: Permission denied (publickey)", () => {
    const r = ssh(["-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no"]);
    expect(r.status).toBe(255);
    expect(r.stderr).toContain("Permission denied (publickey)");
  });

  it("the deploy key still logs in: OpenSSH (testhost.sh ssh), node-ssh (the runner, the doctor); forwarding is refused", async () => {
    expect(hostCmd(HOST, "echo ok").trim()).toBe("ok");
    expect(await newLogin()).toBe("ok");
    const key = ["-i", rec().privateKeyPath];
    expect(ssh(key).status).toBe(0);
    const fwd = spawnSync("ssh", ["-i", rec().privateKeyPath, "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "HostKeyAlgorithms=ssh-ed25519", "-W", "127.0.0.1:443", `root@${ip}`], { encoding: "utf8", timeout: 20_000, input: "" });
    expect(fwd.status).not.toBe(0);
    expect(fwd.stderr).toMatch(/administratively prohibited/);
    // a client with only an old cipher gets no connection at all
    expect(ssh([...key, "-c", "aes128-cbc"]).stderr).toMatch(/no matching cipher found/);
  });

  it("a host that keeps failing is banned (SSH refused, the site still reachable); an admin-CIDR host never is", async () => {
    const t0 = Date.now();
    knock(OTHER, 7);
    knock(ADMIN, 7);
    let list: string[] = [];
    for (let i = 0; i < 20 && !(list = banned()).includes(otherIp); i++) await new Promise((r) => setTimeout(r, 500));
    console.log(`banned after 7 password attempts: ${list.join(" ")} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    expect(list).toContain(otherIp);
    expect(list).not.toContain(adminIp);
    expect(port22(OTHER)).toBe("closed");
    expect(port22(ADMIN)).toBe("open");
    expect(hostCmdResult(OTHER, `timeout 4 bash -c 'exec 3<>/dev/tcp/${ip}/443' && echo open || echo closed`).out.trim()).toBe("open");
    // the bans are fail2ban's own nftables set: ufw's rules are untouched (no drift of the firewall step)
    expect(hostCmd(HOST, "nft list set inet f2b-table addr-set-sshd")).toContain(otherIp);
    expect(hostCmd(HOST, "ufw show added")).not.toContain(otherIp);
    expect(hostCmd(HOST, "fail2ban-client get sshd ignoreip")).toContain(adminIp);
    expect(hostCmd(HOST, "fail2ban-client get sshd ignoreip")).not.toContain("0.0.0.0/1");
  });

  it("a second pulumi up changes nothing (bans are not drift)", async () => {
    const r = await stack.up();
    expect(r.code, r.stderr).toBe(0);
    expect(unchanged(r), JSON.stringify(Object.entries(r.ops).filter(([, op]) => op !== "same"))).toBe(true);
  });

  it("a setting that locks the deploy key out is rolled back: the deploy fails with the reason, a new login still works", async () => {
    const before = hostCmd(HOST, `cat ${SSHD_DROPIN}`);
    await stack.reconfigure({ ...config, ssh: { extraConfig: "AllowUsers nobody" } });
    const r = await stack.up();
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/a new SSH login with the deploy key failed after the change/);
    expect(out).toMatch(/the change is rolled back over the deploy's open connection/);
    expect(out).toMatch(/the previous sshd configuration is back and sshd reloaded/);
    expect(hostCmd(HOST, `cat ${SSHD_DROPIN}`)).toBe(before);
    expect(await newLogin()).toBe("ok");
    expect(hostCmd(HOST, "systemctl list-timers --all --no-legend | grep -c aistudio-sshd-rollback || true").trim()).toBe("0");
  });

  it("a setting sshd -t rejects is never reloaded: the deploy fails with sshd's message, a new login still works", async () => {
    await stack.reconfigure({ ...config, ssh: { extraConfig: "AllowUser nobody" } });
    const r = await stack.up();
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/sshd -t rejects the new sshd configuration; the previous one stays live/);
    expect(r.stdout + r.stderr).toMatch(/Bad configuration option: AllowUser/);
    expect(await newLogin()).toBe("ok");
    await stack.reconfigure(config);
    const back = await stack.up();
    expect(back.code, back.stderr).toBe(0);
  });

  it("drift sees a re-enabled password login and a stopped fail2ban; pulumi up --refresh repairs both", async () => {
    hostCmd(HOST, `sed -i 's/^PasswordAuthentication no/PasswordAuthentication yes/' ${SSHD_DROPIN} && systemctl reload ssh && systemctl stop fail2ban`);
    const d = await drift();
    expect(d.code, d.stderr).toBe(1);
    const seen = d.items.map((i) => `${i.resource} ${i.item} ${i.expected} ${i.found}`);
    console.log(seen.join("\n"));
    expect(seen.some((s) => /^aistudio-ssh sshd effective .*passwordauthentication=no.* .*passwordauthentication=yes/.test(s)), seen.join("\n")).toBe(true);
    expect(seen.some((s) => /^aistudio-fail2ban unit fail2ban active=active active=inactive/.test(s)), seen.join("\n")).toBe(true);
    const up = await stack.up({ refresh: true });
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(hostCmd(HOST, "sshd -T | grep ^passwordauthentication").trim()).toBe("passwordauthentication no");
    expect(hostCmd(HOST, "systemctl is-active fail2ban").trim()).toBe("active");
    expect((await drift()).code).toBe(0);
  });
});
