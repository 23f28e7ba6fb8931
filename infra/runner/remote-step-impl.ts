// The dynamic provider behind RemoteStep. Loaded by the provider process from the compiled project
// (see remote-step.ts), so the state never holds a serialized copy of this code or any secret.
// One SSH connection per host is kept for the life of the provider process: all reads of a refresh
// share it.
import type { NodeSSH } from "node-ssh";
import { Connection, connect, redact, runScript, tail } from "../../core/ssh";
import { splitProbe } from "./script";

export interface RemoteStepInputs {
  connection: Connection;
  stepId: string;
  /** Identity of the machine (instance id / host key): a rebuilt server re-runs every step. */
  serverId?: string;
  description: string;
  /** Content hash of the step: the trigger. */
  hash: string;
  /** The apply script (secret when the step carries secret files). */
  script: string;
  /** The probe script (never secret). */
  probeScript: string;
  /** Values to scrub from any output (secret). */
  redact: string[];
  /** Paths of the files this step manages, for drift reports. */
  paths: string[];
  /** Step.confirm: run over a NEW connection after the apply (prelude, confirm, probe). */
  confirmScript?: string;
  /** Step.confirm's rollback, run over the applying connection when the new login fails. */
  rollbackScript?: string;
}

export interface RemoteStepOutputs extends RemoteStepInputs {
  /** Probe output right after the last successful apply: the state we own. */
  expected: string;
  /** Probe output at the last read (refresh) or apply. */
  observed: string;
}

const pool = new Map<string, Promise<NodeSSH>>();

function key(c: Connection): string {
  return `${c.user}@${c.host}:${c.port}#${c.hostKey}`;
}

/**
 * How long a dial keeps retrying: a step that applies may meet a server still booting (a new ECS
 * server answers SSH only after boot and cloud-init: up to 3 minutes); a refresh reads a server that
 * was serving at the last apply, so a server that does not answer within 30 s is down, and drift
 * and the doctor say so then rather than after 3 minutes.
 */
export const DIAL_BUDGET_MS = { apply: 180_000, read: 30_000 };

export async function session(c: Connection, purpose: keyof typeof DIAL_BUDGET_MS = "apply"): Promise<NodeSSH> {
  const k = key(c);
  let p = pool.get(k);
  if (!p) {
    p = connect(c, {
      dialBudgetMs: DIAL_BUDGET_MS[purpose],
      onRetry: (n, e) => console.error(`[aistudio] waiting for sshd on ${c.host}:${c.port} (attempt ${n}: ${e.message})`),
    });
    pool.set(k, p);
    p.catch(() => pool.delete(k));
  }
  const ssh = await p;
  if (!ssh.isConnected()) {
    pool.delete(k);
    return session(c, purpose);
  }
  return ssh;
}

/**
 * sshd refuses a connection's channels beyond MaxSessions (OpenSSH's default 10, which the ssh step
 * keeps): a refresh reads every step's probe over the one pooled connection at the same time, and
 * Pulumi does not bound that (13 steps with the data features). At most MAX_CHANNELS scripts run on
 * one connection at once; the others wait for a free one.
 */
export const MAX_CHANNELS = 8;
const channels = new Map<string, { busy: number; waiting: (() => void)[] }>();

export async function withChannel<T>(c: Connection, fn: () => Promise<T>): Promise<T> {
  const k = key(c);
  let slot = channels.get(k);
  if (!slot) channels.set(k, (slot = { busy: 0, waiting: [] }));
  const s = slot;
  if (s.busy >= MAX_CHANNELS) await new Promise<void>((resolve) => s.waiting.push(resolve));
  else s.busy++;
  try {
    return await fn();
  } finally {
    // a waiter takes the slot over (busy stays), or the slot is freed
    const next = s.waiting.shift();
    if (next) next();
    else s.busy--;
  }
}

export function closeAll(): void {
  for (const p of pool.values()) p.then((s) => s.dispose()).catch(() => undefined);
  pool.clear();
}

async function apply(i: RemoteStepInputs): Promise<RemoteStepOutputs> {
  const ssh = await session(i.connection);
  const r = await withChannel(i.connection, () => runScript(ssh, i.connection.user, i.script));
  if (r.code !== 0) {
    const out = redact(`${r.stdout}\n${r.stderr}`, i.redact);
    throw new Error(
      `step "${i.stepId}" failed on ${i.connection.host} (exit ${r.code}) / 部署步骤失败: ${i.description}\n` +
        tail(out, 40),
    );
  }
  const probe = i.confirmScript ? await confirm(i, ssh) : splitProbe(r.stdout).probe;
  return { ...i, expected: probe, observed: probe };
}

/**
 * The proof that a step which could lock the deploy key out (sshd) did not: a NEW connection with
 * the deploy key runs the step's confirmation, whose probe is returned. When the login or the
 * confirmation fails, the rollback runs over `applied` (the connection that applied the change,
 * still open: sshd keeps sessions across a reload) and the step fails with the reason.
 */
async function confirm(i: RemoteStepInputs, applied: NodeSSH): Promise<string> {
  let why: string;
  try {
    // sshd answers at once after a reload; a refused or failed login is the answer, not a reason to wait
    const fresh = await connect(i.connection, { dialBudgetMs: 20_000 });
    try {
      const r = await runScript(fresh, i.connection.user, i.confirmScript!);
      if (r.code === 0) return splitProbe(r.stdout).probe;
      why = `the confirmation over a new connection failed (exit ${r.code}): ${tail(redact(r.stderr, i.redact), 10)}`;
    } finally {
      fresh.dispose();
    }
  } catch (e) {
    why = `a new SSH login with the deploy key failed after the change / 变更后使用部署密钥的新 SSH 登录失败: ${redact((e as Error).message, i.redact)}`;
  }
  const rb = await withChannel(i.connection, () => runScript(applied, i.connection.user, i.rollbackScript ?? "exit 1")).catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }));
  const rolled = rb.code === 0
    ? "the change is rolled back over the deploy's open connection / 已通过原连接回滚该变更"
    : `the rollback over the deploy's open connection failed too (exit ${rb.code}); the server rolls the change back by itself within minutes (its timer) / 原连接回滚也失败，服务器将在数分钟内自动回滚`;
  throw new Error(
    `step "${i.stepId}" failed on ${i.connection.host} / 部署步骤失败: ${i.description}\n${why}\n${rolled}\n` +
      `${tail(redact(`${rb.stdout}\n${rb.stderr}`, i.redact), 10)}\n` +
      `fix: a setting that refuses ${i.connection.user}'s key (AllowUsers, AllowGroups, Match, ListenAddress in aistudio:ssh.extraConfig?) — correct it and run pulumi up again / 修正导致部署密钥无法登录的设置后重新运行 pulumi up`,
  );
}

export async function create(i: RemoteStepInputs) {
  const outs = await apply(i);
  return { id: `${i.connection.host}/${i.stepId}`, outs };
}

export async function update(_id: string, olds: RemoteStepOutputs, news: RemoteStepInputs) {
  // the same server at a new address (a rebuild's standby after the switch): nothing to run again
  if (onlyAddressChanged(olds, news)) return { outs: { ...news, expected: olds.expected, observed: olds.observed } };
  return { outs: await apply(news) };
}

/**
 * True when the step, the server and its pinned host key are the same, nothing drifted, and only the
 * address differs: the server was reached at a temporary address before (a rebuild's standby) and is
 * now reached at the stack's own. Only where the serverId names the machine itself (an ECS instance
 * id): a test host's or an adopted server's serverId is its host key, which a copy of the server at
 * another address would share.
 */
export function onlyAddressChanged(olds: RemoteStepOutputs, news: RemoteStepInputs): boolean {
  const oc = olds.connection, nc = news.connection;
  return !!oc && !!olds.serverId && olds.serverId !== oc.hostKey && olds.serverId === news.serverId && olds.hash === news.hash &&
    (olds.observed ?? "") === (olds.expected ?? "") &&
    oc.host !== nc.host && oc.port === nc.port && oc.user === nc.user && oc.hostKey === nc.hostKey;
}

export async function read(id: string, props: RemoteStepOutputs) {
  const ssh = await session(props.connection, "read");
  const r = await withChannel(props.connection, () => runScript(ssh, props.connection.user, props.probeScript));
  const observed = r.code === 0 ? splitProbe(r.stdout).probe : `probe failed (exit ${r.code}): ${tail(redact(r.stderr, props.redact), 5)}`;
  return { id, props: { ...props, observed } };
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  stables: string[];
  deleteBeforeReplace: boolean;
}

export function diff(_id: string, olds: RemoteStepOutputs, news: RemoteStepInputs): DiffResult {
  const changed: string[] = [];
  if (olds.hash !== news.hash) changed.push("hash");
  if ((olds.serverId ?? "") !== (news.serverId ?? "")) changed.push("serverId");
  const oc = olds.connection, nc = news.connection;
  // a new pinned host key means another machine at the same address (rebuilt server or test host)
  if (!oc || oc.host !== nc.host || oc.port !== nc.port || oc.user !== nc.user || oc.hostKey !== nc.hostKey) changed.push("connection");
  // drift: what a refresh found differs from what the last apply left
  if ((olds.observed ?? "") !== (olds.expected ?? "")) changed.push("observed");
  return { changes: changed.length > 0, replaces: [], stables: ["stepId"], deleteBeforeReplace: false };
}

export async function deleteStep(): Promise<void> {
  // Nothing is removed from the server on destroy: the server (or the test host) is destroyed as a whole.
}
