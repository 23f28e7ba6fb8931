// The local stack's load balancer as a ServerPool (core/lb/pool.ts): HAProxy's runtime API on the LB
// host (provision/loadbalancer.ts), reached over SSH with its pinned host key. One SSH connection
// serves the pool for its whole life (a rollout asks for members every 250 ms); each command is one
// exec channel running `socat` against the admin socket (Debian 12 ships socat; the LB step
// installs it). A dropped connection is dialled again once per command.
//
// Only `show stat` and `set weight` are sent, and a server name must match SERVER_NAME: the runtime
// API takes `;` and newlines as command separators, so a name is never a way to send another one.
import type { NodeSSH } from "node-ssh";
import { Connection, connect, runScript, tail } from "../ssh";
import { q } from "../quote";
import { MemberState, ServerPool } from "./pool";
import { HAPROXY_ADMIN_SOCKET, HAPROXY_BACKEND, SERVER_NAME, parseShowStat } from "./haproxy-stat";

export interface HaproxyPoolOptions {
  /** The LB host (its pinned host key and the deploy key). */
  connection: Connection;
  /** The backend whose servers are the pool ("aistudio"). */
  backend?: string;
  /** HAProxy's admin-level stats socket on the LB host. */
  socket?: string;
  /** How long to keep dialling the LB host's sshd (default 30 s). */
  dialBudgetMs?: number;
}

export class HaproxyPool implements ServerPool {
  readonly name: string;
  private readonly c: Connection;
  private readonly backend: string;
  private readonly socket: string;
  private readonly dialBudgetMs: number;
  private ssh?: Promise<NodeSSH>;
  private closed = false;

  constructor(o: HaproxyPoolOptions) {
    this.c = o.connection;
    this.backend = o.backend ?? HAPROXY_BACKEND;
    this.socket = o.socket ?? HAPROXY_ADMIN_SOCKET;
    this.dialBudgetMs = o.dialBudgetMs ?? 30_000;
    if (!SERVER_NAME.test(this.backend)) throw new Error(`HaproxyPool: unusable backend name ${JSON.stringify(this.backend)}`);
    this.name = `HAProxy backend ${this.backend} on ${this.c.host}`;
  }

  private session(): Promise<NodeSSH> {
    if (this.closed) return Promise.reject(new Error(`${this.name}: the pool is closed`));
    if (!this.ssh) {
      const p = connect(this.c, { dialBudgetMs: this.dialBudgetMs });
      p.catch(() => { if (this.ssh === p) this.ssh = undefined; });
      this.ssh = p;
    }
    return this.ssh;
  }

  private async drop(ssh?: NodeSSH) {
    this.ssh = undefined;
    ssh?.dispose();
  }

  /** Sends one runtime API command and returns HAProxy's answer. */
  async command(cmd: string): Promise<string> {
    const script = `printf '%s\\n' ${q(cmd)} | socat -t 5 - UNIX-CONNECT:${q(this.socket)}`;
    let lastErr: Error | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      let ssh: NodeSSH | undefined;
      try {
        ssh = await this.session();
        if (!ssh.isConnected()) throw new Error("the SSH connection was closed");
        const r = await runScript(ssh, this.c.user, script);
        if (r.code !== 0) {
          const why = tail(`${r.stderr}\n${r.stdout}`.trim(), 5);
          const hint = /No such file|Connection refused/.test(why)
            ? `HAProxy's admin socket ${this.socket} does not answer: is haproxy running on ${this.c.host}? (systemctl status haproxy; the loadbalancer step installs and starts it)`
            : /socat: (command )?not found/.test(why)
              ? `socat is missing on ${this.c.host}: run the loadbalancer step (it installs haproxy and socat)`
              : "see the message above";
          throw Object.assign(new Error(`${this.name}: \`${cmd}\` failed (exit ${r.code}): ${why} / 负载均衡命令失败: ${hint}`), { remote: true });
        }
        return r.stdout;
      } catch (e) {
        const err = e as Error & { remote?: boolean };
        if (err.remote || this.closed) throw err;
        // the connection dropped (or could not be made): dial once more
        lastErr = err;
        await this.drop(ssh);
      }
    }
    throw new Error(`${this.name}: cannot reach the LB host over SSH / 无法连接负载均衡主机: ${lastErr?.message}`);
  }

  async members(): Promise<MemberState[]> {
    // type 4 = servers only (no FRONTEND/BACKEND rows); -1 = every server of the backend
    const out = await this.command(`show stat ${this.backend} 4 -1`);
    const ms = parseShowStat(out, this.backend);
    if (ms.length === 0) {
      throw new Error(`${this.name}: HAProxy lists no server in backend ${this.backend} / 后端没有服务器: is this the LB host, and did the loadbalancer step run? (${out.trim().slice(0, 200)})`);
    }
    return ms;
  }

  async setWeight(id: string, weight: number): Promise<void> {
    if (!SERVER_NAME.test(id)) throw new Error(`${this.name}: ${JSON.stringify(id)} is not a server name HAProxy accepts`);
    if (!Number.isInteger(weight) || weight < 0 || weight > 256) throw new Error(`${this.name}: weight ${weight} is not an integer from 0 to 256`);
    const out = (await this.command(`set weight ${this.backend}/${id} ${weight}`)).trim();
    // HAProxy answers nothing on success, and a sentence ("No such server.") otherwise
    if (out !== "") throw new Error(`${this.name}: set weight ${id} ${weight} refused: ${out} / 设置权重失败`);
  }

  async close(): Promise<void> {
    this.closed = true;
    const p = this.ssh;
    this.ssh = undefined;
    if (p) (await p.catch(() => undefined))?.dispose();
  }
}
