// Runs the Ansible baseline (bench/ansible/playbook.yml) against test hosts: renders the inventory
// from bench/ansible/inventory.ini.tmpl and a known_hosts file with the hosts' pinned keys into a
// work directory, then ansible-playbook with bench/ansible/ansible.cfg.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TesthostRecord } from "../infra/testhost";
import { REPO, WORK } from "./repo";

const ANSIBLE_DIR = path.join(REPO, "bench/ansible");

export interface PlaybookRun {
  code: number;
  seconds: number;
  output: string;
  /** PLAY RECAP per host: ok, changed, failed, skipped, ... */
  recap: Record<string, Record<string, number>>;
}

export class AnsibleProject {
  readonly dir: string;
  readonly inventory: string;
  readonly controlDir: string;
  readonly transcript: string[] = [];

  /** lb: a load-balancer host, the inventory's group [lb] (bench/ansible/rolling.yml drains through it). */
  constructor(readonly name: string, readonly hosts: TesthostRecord[], readonly o: { lb?: TesthostRecord } = {}) {
    fs.mkdirSync(WORK, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(WORK, `ans-${name}-`));
    // ControlPath sockets need a short path (108 bytes); one directory per project, so a reused
    // address never meets a master of a host that is gone
    this.controlDir = fs.mkdtempSync("/tmp/bn-cp-");
    const kh = path.join(this.dir, "known_hosts");
    fs.writeFileSync(kh, [...hosts, ...(o.lb ? [o.lb] : [])].map((h) => `${h.host} ${h.hostKey}\n`).join(""));
    const tmpl = fs.readFileSync(path.join(ANSIBLE_DIR, "inventory.ini.tmpl"), "utf8");
    this.inventory = path.join(this.dir, "inventory.ini");
    fs.writeFileSync(
      this.inventory,
      tmpl
        .replace(/^@HOSTS@$/m, hosts.map((h) => `${h.name} ansible_host=${h.host}`).join("\n"))
        .replace("@KEY@", hosts[0].privateKeyPath)
        .replace("@KNOWN_HOSTS@", kh)
        + `\n[lb]\n${o.lb ? `${o.lb.name} ansible_host=${o.lb.host}\n` : ""}`,
    );
  }

  /** ansible-playbook (bench/ansible/<playbook>) with the files rendered in filesDir (vars.json there). */
  run(filesDir: string, extraArgs: string[] = [], playbook = "playbook.yml"): Promise<PlaybookRun> {
    const t0 = Date.now();
    const args = [
      "-i", this.inventory,
      "--forks", String(Math.max(5, this.hosts.length)),
      "-e", `@${path.join(filesDir, "vars.json")}`,
      ...extraArgs,
      path.join(ANSIBLE_DIR, playbook),
    ];
    const env = {
      ...process.env,
      ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, "ansible.cfg"),
      ANSIBLE_SSH_CONTROL_PATH_DIR: this.controlDir,
      ANSIBLE_LOCAL_TEMP: path.join(this.dir, "tmp"),
      ANSIBLE_NOCOLOR: "1",
      ANSIBLE_FORCE_COLOR: "0",
      PYTHONUNBUFFERED: "1",
    };
    return new Promise((resolve) => {
      execFile("ansible-playbook", args, { cwd: ANSIBLE_DIR, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const output = stdout + stderr;
        this.transcript.push(output);
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, seconds: (Date.now() - t0) / 1000, output, recap: parseRecap(output) });
      });
    });
  }

  /** Ends the SSH control masters this project left (ControlPersist). */
  closeMasters(): void {
    if (!fs.existsSync(this.controlDir)) return;
    for (const s of fs.readdirSync(this.controlDir)) {
      try {
        execFileSync("ssh", ["-o", `ControlPath=${path.join(this.controlDir, s)}`, "-O", "exit", "bench-master"], { stdio: "ignore", timeout: 5000 });
      } catch { /* already gone */ }
    }
    fs.rmSync(this.controlDir, { recursive: true, force: true });
  }

  cleanup(): void {
    this.closeMasters();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function parseRecap(out: string): Record<string, Record<string, number>> {
  const recap: Record<string, Record<string, number>> = {};
  const i = out.lastIndexOf("PLAY RECAP");
  if (i < 0) return recap;
  for (const line of out.slice(i).split("\n").slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const counts: Record<string, number> = {};
    for (const kv of m[2].matchAll(/(\w+)=(\d+)/g)) counts[kv[1]] = Number(kv[2]);
    recap[m[1]] = counts;
  }
  return recap;
}

export function ansibleAvailable(): boolean {
  try {
    execFileSync("ansible-playbook", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
