// The backup commands against a deployed stack: back up now, list the snapshots, restore one (then
// smoke-test). They run the server's own tool (/usr/local/sbin/aistudio-backup, installed by the
// backup step) over the stack's pinned SSH connection; progress lines come back on stderr as they
// happen. Secrets stay in memory and are scrubbed from everything shown.
import { connect, Connection, redact, runScript } from "../core/ssh";
import { backupNowCommand, restoreCommand, snapshotsCommand } from "../provision/backup";
import { smokeOrThrow, SmokeOutcome } from "../checks/smoke";
import { secretValues, serverConnection, smokeSpec } from "../infra/steps";
import type { AistudioConfig } from "../infra/config";
import { readStack, StackView } from "./read-stack";
import { StackDriver, StackSpec } from "./driver";

export interface Snapshot {
  id: string;
  time: string;
  /** Bytes the snapshot restores. */
  size: number;
  paths: string[];
  tags: string[];
}

export interface BackupRun {
  time: number;
  snapshot: string;
  seconds: number;
  tag: string;
  filesNew: number;
  bytesAdded: number;
  bytesProcessed: number;
}

/** A deployed stack's server, as the backup commands need it. */
export interface BackupTarget {
  config: AistudioConfig;
  connection: Connection;
  secrets: string[];
}

/** The backup target of a stack already read (rebuild reads its stack once for everything). */
export function backupTargetOf(view: StackView, stack: string): BackupTarget {
  const c = view.config;
  if (!c.backup) throw new Error(`stack ${stack} has no backups configured (aistudio:backup): nothing to back up to`);
  return serverTarget(c, String(view.outputs.publicIp ?? c.server.host));
}

/**
 * A server of the stack at `host` other than the one DNS names (a rebuild's standby at its temporary
 * address): its smoke test connects there instead of resolving the domain.
 */
export function serverTarget(c: AistudioConfig, host: string, o: { connectTo?: boolean } = {}): BackupTarget {
  const config = o.connectTo ? { ...c, smoke: { ...c.smoke, connectTo: host } } : c;
  return { config, connection: serverConnection(c, host), secrets: secretValues(c) };
}

export async function backupTarget(spec: StackSpec): Promise<BackupTarget> {
  return backupTargetOf(await readStack(await StackDriver.open(spec)), spec.name);
}

/**
 * Runs one command on the stack's server (the tool's, or the rebuild's pause/resume/retire) over its
 * pinned connection; stderr lines go to onProgress as they arrive (scrubbed); `label` names it in the
 * error (default: its first two words).
 */
export async function runOnServer(
  t: BackupTarget, command: string, onProgress?: (line: string) => void, label = command.split(" ").slice(0, 2).join(" "), o: { dialBudgetMs?: number } = {},
): Promise<string> {
  const ssh = await connect(t.connection, { dialBudgetMs: o.dialBudgetMs ?? 30_000 });
  try {
    let partial = "";
    let stderr = "";
    const r = await runScript(ssh, t.connection.user, command, {
      onStderr: (chunk) => {
        const text = redact(chunk.toString(), t.secrets);
        stderr += text;
        partial += text;
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) onProgress?.(l);
      },
    });
    if (partial) onProgress?.(partial);
    if (r.code !== 0) {
      throw new Error(`${label} failed on ${t.connection.host} (exit ${r.code}):\n${redact(stderr || r.stderr, t.secrets).trim().split("\n").slice(-8).join("\n")}`);
    }
    return redact(r.stdout, t.secrets);
  } finally {
    ssh.dispose();
  }
}

export async function backupNow(t: BackupTarget, onProgress?: (line: string) => void, tag = "manual"): Promise<BackupRun> {
  const out = await runOnServer(t, backupNowCommand(tag), onProgress);
  return JSON.parse(out.trim().split("\n").pop()!) as BackupRun;
}

export async function listSnapshots(t: BackupTarget): Promise<Snapshot[]> {
  return JSON.parse(await runOnServer(t, snapshotsCommand())) as Snapshot[];
}

/** Restores a snapshot (or "latest"), then runs the deploy's smoke test against the server. */
export async function restoreSnapshot(t: BackupTarget, snapshot: string, onProgress?: (line: string) => void, o: { keepReplaced?: boolean; over?: string } = {}): Promise<SmokeOutcome> {
  await runOnServer(t, restoreCommand(snapshot, o), onProgress);
  onProgress?.("[restore] smoke test");
  return smokeOrThrow({ ...smokeSpec(t.config, t.connection.host), connection: t.connection, redact: t.secrets });
}

/** Human sizes: 1.2 GiB, 340 MiB, 12 KiB. */
export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
