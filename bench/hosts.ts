// Test hosts for the bench (names bn-*): boot, run commands, and count what sshd saw.
// SSH activity is read from the host's persistent journal on this machine's disk
// (journalctl -D <root>/var/log/journal), so counting never opens an SSH connection itself.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import { readTesthost, TesthostRecord } from "../infra/testhost";
import { TESTHOST, say } from "./repo";

const pexec = promisify(execFile);

/** Hosts this process booted, removed by downAll() (also on failure). */
export const booted = new Set<string>();

/**
 * Boots a fresh test host. With privateArchive (the default), the host gets its own copy of the
 * shared .deb archive as its apt cache: test hosts share one bind-mounted archive directory, whose
 * lock makes concurrent apt-get runs on a fleet fail ("Could not get lock
 * /var/cache/apt/archives/lock"), which real servers never see. The copy is made before anything is
 * timed, the same way for ours, Ansible and the floor.
 */
export async function bootHost(name: string, o: { privateArchive?: boolean } = {}): Promise<TesthostRecord> {
  // bn-…: the bench's hosts; br-…: the rollout bench's fleets (bench/rollout.ts)
  if (!/^b[nr]-[a-z0-9-]{1,8}$/.test(name)) throw new Error(`bench host names are bn-… or br-… (≤ 11 chars): ${name}`);
  await pexec("bash", [TESTHOST, "down", name]).catch(() => undefined);
  booted.add(name);
  say(`booting test host ${name}`);
  await pexec("bash", [TESTHOST, "up", name], { maxBuffer: 16 << 20 });
  const rec = readTesthost(name);
  // sshd at LogLevel VERBOSE logs every session it starts ("Starting session: command ..."):
  // that is how remote commands are counted, the same way for ours, Ansible and the floor
  await hostCmd(name, "printf 'LogLevel VERBOSE\\n' > /etc/ssh/sshd_config.d/zz-bench.conf && systemctl reload ssh && sleep 1");
  // sshd re-executes itself on reload: wait (bounded) until it listens again
  await waitForPort(rec.host, 22, 15_000);
  if (o.privateArchive !== false) {
    await hostCmd(name, `set -e
install -d -m 0755 /var/cache/apt/bench-archives/partial
cp /var/cache/apt/archives/*.deb /var/cache/apt/bench-archives/ 2>/dev/null || true
echo 'Dir::Cache::Archives "/var/cache/apt/bench-archives/";' > /etc/apt/apt.conf.d/99bench-archives`);
  }
  return rec;
}

export async function waitForPort(host: string, port: number, budgetMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ host, port, timeout: 2000 }, () => { sock.destroy(); resolve(true); });
      sock.on("error", () => resolve(false));
      sock.on("timeout", () => { sock.destroy(); resolve(false); });
    });
    if (ok) return;
    if (Date.now() - t0 > budgetMs) throw new Error(`${host}:${port} does not accept connections after ${budgetMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function downHost(name: string): Promise<void> {
  await pexec("bash", [TESTHOST, "down", name]).catch((e) => say(`could not remove ${name}: ${(e as Error).message}`));
  booted.delete(name);
}

export async function downAll(): Promise<void> {
  for (const n of [...booted]) {
    say(`removing test host ${n}`);
    await downHost(n);
  }
}

/** Runs a bash script on the host as root over one SSH session; rejects on a non-zero exit. */
export async function hostCmd(name: string, script: string, timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = execFile("bash", [TESTHOST, "ssh", name, "bash", "-s"], { maxBuffer: 64 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${name}: exit ${(err as { code?: number }).code}: ${stderr || stdout}`.slice(0, 4000)));
      else resolve(stdout);
    });
    p.stdin!.end(script);
  });
}

export async function hostCmdResult(name: string, script: string): Promise<{ code: number; out: string }> {
  try {
    return { code: 0, out: await hostCmd(name, script) };
  } catch (e) {
    return { code: 1, out: (e as Error).message };
  }
}

export interface SshCounts {
  /** sshd "Accepted publickey" lines: SSH connections. */
  connections: number;
  /** sshd "Starting session:" lines: one per remote command (exec) or sftp/scp transfer. */
  commands: number;
}

/** Counts sshd's log lines so far in the host's journal (read from the host's disk). */
export function sshCounts(rec: TesthostRecord): SshCounts {
  const dir = path.join(rec.root, "var/log/journal");
  if (!fs.existsSync(dir)) return { connections: NaN, commands: NaN };
  const out = execFileSync("journalctl", ["-D", dir, "-t", "sshd", "-o", "cat", "--no-pager"], { encoding: "utf8", maxBuffer: 64 << 20 });
  let connections = 0, commands = 0;
  for (const l of out.split("\n")) {
    if (l.startsWith("Accepted publickey")) connections++;
    else if (l.startsWith("Starting session:")) commands++;
  }
  return { connections, commands };
}

export function diffCounts(a: SshCounts, b: SshCounts): SshCounts {
  return { connections: b.connections - a.connections, commands: b.commands - a.commands };
}

/** Counts what sshd saw on the hosts while fn ran (summed over hosts). */
export async function counted<T>(recs: TesthostRecord[], fn: () => Promise<T>): Promise<{ value: T; ssh: SshCounts }> {
  const before = recs.map(sshCounts);
  const value = await fn();
  await new Promise((r) => setTimeout(r, 500)); // journald gets the last lines
  const after = recs.map(sshCounts);
  const ssh = { connections: 0, commands: 0 };
  recs.forEach((_, i) => {
    const d = diffCounts(before[i], after[i]);
    ssh.connections += d.connections;
    ssh.commands += d.commands;
  });
  return { value, ssh };
}
