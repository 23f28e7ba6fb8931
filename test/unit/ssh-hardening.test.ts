// The ssh and fail2ban steps (issue #16): the generated sshd drop-in and jail, the config that feeds
// them, and the failure paths of provision/scripts/ssh.sh and fail2ban.sh run for real in a sandbox
// (the server's paths under a temporary root, stub commands first in PATH), as in failure-paths.test.ts.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../infra/config";
import { buildSteps } from "../../infra/steps";
import { confirmScript, rollbackScript } from "../../infra/runner/script";
import { PRELUDE } from "../../provision/prelude";
import { ShellVars, scriptFromFile } from "../../provision/shell";
import { SSHD_DROPIN, SSHD_PENDING, SSHD_ROLLBACK_SCRIPT, effective, hostKeyAlgorithms, sshScriptVars, sshStep, sshdDropIn } from "../../provision/ssh";
import { JAIL_PATH, fail2banScriptVars, fail2banStep, ignoreIps, jailFile } from "../../provision/fail2ban";
import { stepHash } from "../../provision/step";
import { HOST_KEY, alicloudCreateRaw, localRaw } from "./fixtures";

const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIABGUDScD0M+lvciI2gpuKhFg4yWhYLHepjGeq80DM7Q";
const lines = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#"));

describe("the sshd drop-in", () => {
  const text = sshdDropIn({ hostKey: ED });

  it("takes keys only, root with a key only, and turns every forwarding off", () => {
    expect(lines(text)).toEqual(expect.arrayContaining([
      "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "PermitRootLogin prohibit-password",
      "MaxAuthTries 3", "LoginGraceTime 30",
      "X11Forwarding no", "AllowAgentForwarding no", "AllowTcpForwarding no", "AllowStreamLocalForwarding no", "PermitTunnel no",
      "LogLevel VERBOSE",
    ]));
    // sshd keeps the first value it reads: the file sorts first in sshd_config.d
    expect(path.basename(SSHD_DROPIN)).toBe("00-aistudio.conf");
    expect(SSHD_DROPIN.startsWith("/etc/ssh/sshd_config.d/")).toBe(true);
  });

  it("offers only algorithms the runner's ssh2 speaks beside OpenSSH's post-quantum one", () => {
    // what node_modules/ssh2 supports (lib/protocol/constants.js), checked against the lists
    const { SUPPORTED_KEX, SUPPORTED_CIPHER, SUPPORTED_MAC } = require("ssh2/lib/protocol/constants.js") as Record<string, string[]>;
    const get = (k: string) => lines(text).find((l) => l.startsWith(k + " "))!.split(" ")[1].split(",");
    expect(get("KexAlgorithms").filter((a) => SUPPORTED_KEX.includes(a))).toContain("curve25519-sha256");
    expect(get("Ciphers").filter((a) => SUPPORTED_CIPHER.includes(a))).toEqual(expect.arrayContaining(["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]));
    expect(get("MACs").filter((a) => SUPPORTED_MAC.includes(a))).toContain("hmac-sha2-256-etm@openssh.com");
    for (const k of ["KexAlgorithms", "Ciphers", "MACs"]) expect(get(k).join(","), k).not.toMatch(/sha1|cbc|md5|nistp|group14|group1-|-96/);
  });

  it("offers the pinned host key's type: ed25519, an ECDSA key besides, sshd's default for RSA", () => {
    expect(hostKeyAlgorithms(ED)).toEqual(["ssh-ed25519"]);
    expect(hostKeyAlgorithms("ecdsa-sha2-nistp256 AAAA")).toEqual(["ssh-ed25519", "ecdsa-sha2-nistp256"]);
    expect(hostKeyAlgorithms("ssh-rsa AAAA")).toBeUndefined();
    expect(sshdDropIn({ hostKey: "ssh-rsa AAAA" })).not.toMatch(/HostKeyAlgorithms/);
    expect(lines(text)).toContain("HostKeyAlgorithms ssh-ed25519");
  });

  it("appends ssh.extraConfig after ours; the probe reads back what sshd -T prints", () => {
    expect(sshdDropIn({ hostKey: ED, extraConfig: "AllowUsers root\n" }).trimEnd().split("\n").at(-1)).toBe("AllowUsers root");
    expect(effective({ hostKey: ED })).toContainEqual(["permitrootlogin", "without-password"]);
    const step = sshStep({ hostKey: ED });
    expect(step.manages).toEqual([{ kind: "file", subject: SSHD_DROPIN }, { kind: "sshd", subject: "effective" }]);
    expect(step.probe).toContain("passwordauthentication");
  });

  it("a changed confirmation changes the step's hash; steps without one keep theirs", () => {
    const step = sshStep({ hostKey: ED });
    expect(stepHash({ ...step, confirm: { ...step.confirm!, rollback: "true" } })).not.toBe(stepHash(step));
    expect(confirmScript({ ...step, confirm: undefined })).toBeUndefined();
    expect(confirmScript(step)).toContain("PHASE=confirm");
    expect(rollbackScript(step)).toContain("PHASE=rollback");
  });
});

describe("config: aistudio:ssh.extraConfig", () => {
  it("is written into the drop-in of the step", () => {
    const cfg = parseConfig(localRaw({ ssh: { extraConfig: "AllowUsers root admin" } }), "local");
    const ssh = buildSteps(cfg, []).find((s) => s.id === "ssh")!;
    expect(ssh.files[0].content).toContain("\nAllowUsers root admin\n");
  });

  it("refuses a keyword aistudio sets (even inside a Match block), naming it", () => {
    expect(() => parseConfig(localRaw({ ssh: { extraConfig: "Match Address 10.0.0.0/8\n  PasswordAuthentication yes" } }), "local"))
      .toThrow(/ssh\.extraConfig: sets PasswordAuthentication, which aistudio sets itself/);
    expect(() => parseConfig(localRaw({ ssh: { extraConfig: "x11forwarding=yes" } }), "local")).toThrow(/sets x11forwarding/);
  });
});

describe("the fail2ban jail", () => {
  it("never bans loopback and the admin networks of the config; bans with nftables, reads the journal", () => {
    const cfg = parseConfig(alicloudCreateRaw({ firewall: { adminCidrs: ["203.0.113.7/32", "198.51.100.0/24"] } }), "prod");
    const jail = buildSteps(cfg, []).find((s) => s.id === "fail2ban")!.files[0];
    expect(jail.path).toBe(JAIL_PATH);
    expect(lines(jail.content)).toEqual(expect.arrayContaining([
      "ignoreip = 127.0.0.1/8 ::1 203.0.113.7/32 198.51.100.0/24",
      "banaction = nftables-multiport", "backend = systemd", "mode = aggressive", "port = 22", "enabled = true",
      "maxretry = 5", "findtime = 600", "bantime = 3600",
    ]));
    expect(lines(jail.content).indexOf("[sshd]")).toBeGreaterThan(lines(jail.content).indexOf("[DEFAULT]"));
  });

  it("SSH opened to the world on purpose (wider than /minAdminPrefix) is not an admin network", () => {
    expect(ignoreIps({ adminCidrs: ["0.0.0.0/1", "128.0.0.0/1", "203.0.113.7/32"], minAdminPrefix: 16 })).toEqual(["127.0.0.1/8", "::1", "203.0.113.7/32"]);
    expect(ignoreIps({ adminCidrs: [], minAdminPrefix: 16 })).toEqual(["127.0.0.1/8", "::1"]);
    expect(jailFile({ sshPort: 2222, adminCidrs: [], minAdminPrefix: 16 })).toMatch(/\nport = 2222\n/);
  });

  it("is probed for its file, the service and the running jail (never its bans)", () => {
    const step = fail2banStep({ sshPort: 22, adminCidrs: [], minAdminPrefix: 16 });
    expect(step.manages.map((m) => `${m.kind} ${m.subject}`)).toEqual([`file ${JAIL_PATH}`, "unit fail2ban", "fail2ban sshd"]);
    expect(step.probe).not.toMatch(/banned/i);
  });
});

// ---- the scripts in a sandbox --------------------------------------------------------------------

const roots: string[] = [];
afterAll(() => roots.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

class Box {
  readonly root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-ssh-")));
  private readonly bin = path.join(this.root, ".stubs");
  private readonly log = path.join(this.root, ".calls");
  constructor(stubs: Record<string, string>) {
    roots.push(this.root);
    fs.mkdirSync(this.bin);
    fs.mkdirSync(this.at("/run")); // always there on a server
    fs.writeFileSync(this.log, "");
    const all = { chown: "exit 0", systemctl: "exit 0", "systemd-run": "exit 0", journalctl: "exit 0", sleep: "exit 0", ...stubs };
    for (const [n, body] of Object.entries(all)) fs.writeFileSync(path.join(this.bin, n), `#!/bin/bash\nprintf '%s\\n' "\${0##*/} $*" >> "$STUB_LOG"\n${body}\n`, { mode: 0o755 });
  }
  at = (p: string) => this.root + p;
  write(p: string, text: string) {
    fs.mkdirSync(path.dirname(this.at(p)), { recursive: true });
    fs.writeFileSync(this.at(p), text);
  }
  read = (p: string) => fs.readFileSync(this.at(p), "utf8");
  exists = (p: string) => fs.existsSync(this.at(p));
  calls = (name: string) => fs.readFileSync(this.log, "utf8").split("\n").filter((l) => l.startsWith(name + " "));
  /** Runs provision/scripts/NAME.sh with `vars` (server paths moved under the root), after staging `staged`. */
  run(name: string, vars: ShellVars, staged: { path: string; content: string }[] = []) {
    const moved = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === "string" && v.startsWith("/") ? this.at(v) : v]));
    for (const f of staged) this.write(f.path + ".aistudio-new", f.content);
    const r = spawnSync("bash", ["-s"], {
      input: `${PRELUDE}\n${scriptFromFile(name, moved)}`,
      encoding: "utf8",
      env: { PATH: `${this.bin}:${process.env.PATH}`, STUB_LOG: this.log, LC_ALL: "C" },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }
}

describe("provision/scripts/ssh.sh: checked, reloaded, confirmed by a new login or rolled back", () => {
  const o = { hostKey: ED };
  const OLD = "# the previous drop-in\nPasswordAuthentication no\n";
  // sshd -T prints what the drop-in sets (the check passes) unless a test says otherwise
  const sshdT = effective(o).map(([k, v]) => `${k} ${v}`).join("\\n");
  const okSshd = `case $1 in -t) exit 0;; -T) printf '${sshdT}\\n';; esac`;
  const staged = () => [{ path: SSHD_DROPIN, content: sshdDropIn(o) }];
  const live = (stubs: Record<string, string> = {}) => {
    const box = new Box({ sshd: okSshd, ...stubs });
    box.write(SSHD_DROPIN, OLD);
    return box;
  };

  it("the step runs this file with these variables in each phase", () => {
    const step = sshStep(o);
    expect(step.apply).toBe(scriptFromFile("ssh", sshScriptVars(o, "apply")));
    expect(step.confirm).toEqual({ script: scriptFromFile("ssh", sshScriptVars(o, "confirm")), rollback: scriptFromFile("ssh", sshScriptVars(o, "rollback")) });
  });

  it("a drop-in sshd -t rejects: the previous one is back, nothing reloaded, sshd's message and the fix", () => {
    const box = live({ sshd: `case $1 in -t) echo "/etc/ssh/sshd_config.d/00-aistudio.conf line 30: Bad configuration option: AllowUser" >&2; exit 255;; esac` });
    const r = box.run("ssh", sshScriptVars(o, "apply"), staged());
    expect(r.code).toBe(1);
    expect(r.err).toContain("sshd -t rejects the new sshd configuration; the previous one stays live");
    expect(r.err).toContain("Bad configuration option: AllowUser");
    expect(box.read(SSHD_DROPIN)).toBe(OLD);
    expect(box.exists(SSHD_PENDING)).toBe(false);
    expect(box.calls("systemctl").filter((c) => /reload|restart/.test(c))).toEqual([]);
    expect(box.calls("systemd-run")).toEqual([]);
  });

  it("a setting another file sets first: restored, and the step names the keyword and why", () => {
    const box = live({ sshd: `case $1 in -t) exit 0;; -T) printf '${sshdT.replace("passwordauthentication no", "passwordauthentication yes")}\\n';; esac` });
    const r = box.run("ssh", sshScriptVars(o, "apply"), staged());
    expect(r.code).toBe(1);
    expect(r.err).toContain("passwordauthentication (want no, sshd has 'yes')");
    expect(r.err).toMatch(/another file sets these before ours/);
    expect(box.read(SSHD_DROPIN)).toBe(OLD);
  });

  it("an accepted change: rollback timer armed, then sshd reloaded; the confirmation keeps it", () => {
    const box = live();
    const r = box.run("ssh", sshScriptVars(o, "apply"), staged());
    expect(r.code, r.err).toBe(0);
    expect(box.read(SSHD_DROPIN)).toBe(sshdDropIn(o));
    expect(box.exists(SSHD_PENDING)).toBe(true);
    expect(box.calls("systemd-run")[0]).toMatch(/--unit=aistudio-sshd-rollback --on-active=120 \S*bash \S*\/run\/aistudio-sshd-rollback\.sh$/);
    expect(box.calls("systemctl")).toContain("systemctl reload-or-restart ssh");
    const c = box.run("ssh", sshScriptVars(o, "confirm"));
    expect(c.code, c.err).toBe(0);
    expect(box.calls("systemctl")).toContain("systemctl stop aistudio-sshd-rollback.timer");
    expect(box.exists(SSHD_PENDING) || box.exists(SSHD_DROPIN + ".aistudio-prev") || box.exists(SSHD_ROLLBACK_SCRIPT)).toBe(false);
    expect(box.read(SSHD_DROPIN)).toBe(sshdDropIn(o));
  });

  it("the new login failed: the rollback puts the previous drop-in back and reloads sshd", () => {
    const box = live();
    expect(box.run("ssh", sshScriptVars(o, "apply"), staged()).code).toBe(0);
    const r = box.run("ssh", sshScriptVars(o, "rollback"));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("the previous sshd configuration is back and sshd reloaded (a new login with the deploy key failed)");
    expect(box.read(SSHD_DROPIN)).toBe(OLD);
    expect(box.calls("systemctl").filter((c) => /reload/.test(c))).toEqual(["systemctl reload-or-restart ssh", "systemctl reload-or-restart ssh"]);
  });

  it("no confirmation at all: the timer's script alone restores the previous drop-in", () => {
    const box = live();
    expect(box.run("ssh", sshScriptVars(o, "apply"), staged()).code).toBe(0);
    const r = spawnSync("bash", [box.at(SSHD_ROLLBACK_SCRIPT)], { encoding: "utf8", env: { PATH: `${box.at("/.stubs")}:${process.env.PATH}`, STUB_LOG: box.at("/.calls") } });
    expect(r.status, r.stderr).toBe(0);
    expect(box.read(SSHD_DROPIN)).toBe(OLD);
    expect(box.exists(SSHD_PENDING)).toBe(false);
  });

  it("a first drop-in that fails its confirmation is removed; a confirmation after the timer rolled back fails", () => {
    const box = new Box({ sshd: okSshd });
    expect(box.run("ssh", sshScriptVars(o, "apply"), staged()).code).toBe(0);
    expect(box.run("ssh", sshScriptVars(o, "rollback")).code).toBe(0);
    expect(box.exists(SSHD_DROPIN)).toBe(false);
    const late = box.run("ssh", sshScriptVars(o, "confirm"));
    expect(late.code).toBe(1);
    expect(late.err).toContain("rolled back by the server's timer before a new login confirmed it");
  });

  it("(opposite) an unchanged drop-in reloads nothing and arms nothing", () => {
    const box = new Box({ sshd: okSshd });
    box.write(SSHD_DROPIN, sshdDropIn(o));
    fs.chmodSync(box.at(SSHD_DROPIN), 0o644);
    const r = box.run("ssh", sshScriptVars(o, "apply"), staged());
    expect(r.code, r.err).toBe(0);
    expect(box.calls("systemd-run")).toEqual([]);
    expect(box.calls("systemctl").filter((c) => /reload/.test(c))).toEqual([]);
    expect(box.run("ssh", sshScriptVars(o, "confirm")).code).toBe(0);
  });
});

describe("provision/scripts/fail2ban.sh", () => {
  const opts = { sshPort: 22, adminCidrs: ["203.0.113.7/32"], minAdminPrefix: 16 };
  const staged = () => [{ path: JAIL_PATH, content: jailFile(opts) }];

  it("the step runs this file with these variables", () => {
    expect(fail2banStep(opts).apply).toBe(scriptFromFile("fail2ban", fail2banScriptVars()));
  });

  it("a jail fail2ban rejects: the previous one is back and the step fails with fail2ban's message", () => {
    const box = new Box({ "fail2ban-client": `case $1 in --test) echo "ERROR  No section: 'sshd'" >&2; exit 255;; esac` });
    box.write(JAIL_PATH, "# previous\n");
    const r = box.run("fail2ban", fail2banScriptVars(), staged());
    expect(r.code).toBe(1);
    expect(r.err).toContain("fail2ban rejects the new jail file; the previous one stays");
    expect(r.err).toContain("No section: 'sshd'");
    expect(box.read(JAIL_PATH)).toBe("# previous\n");
  });

  it("a fresh install left failed is started; a running one is reloaded only when the jail changed", () => {
    const failed = new Box({ "fail2ban-client": "exit 0", systemctl: `case $1 in is-active) exit 3;; esac; exit 0` });
    expect(failed.run("fail2ban", fail2banScriptVars(), staged()).code).toBe(0);
    expect(failed.calls("systemctl")).toContain("systemctl restart fail2ban");
    const running = new Box({ "fail2ban-client": "exit 0" });
    expect(running.run("fail2ban", fail2banScriptVars(), staged()).code).toBe(0);
    expect(running.calls("fail2ban-client")).toContain("fail2ban-client reload");
    fs.chmodSync(running.at(JAIL_PATH), 0o644);
    expect(running.run("fail2ban", fail2banScriptVars(), staged()).code).toBe(0);
    expect(running.calls("fail2ban-client").filter((c) => c === "fail2ban-client reload")).toHaveLength(1);
  });

  it("a jail that never comes up fails the step with fail2ban's journal", () => {
    const box = new Box({ "fail2ban-client": `case $1 in status) exit 255;; esac; exit 0`, journalctl: `echo "ERROR Have not found any log file for sshd jail"` });
    const r = box.run("fail2ban", fail2banScriptVars(), staged());
    expect(r.code).toBe(1);
    expect(r.err).toContain("fail2ban's sshd jail is not running 20 s after the start");
    expect(r.err).toContain("Have not found any log file");
  });
});

it("fixtures: the host key is ed25519", () => expect(HOST_KEY.startsWith("ssh-ed25519 ")).toBe(true));
