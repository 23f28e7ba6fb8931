// The hand-over of the data from an old server to a new one built beside it, shared by the rebuilds
// beside the old server (stacks/rebuild-beside.ts: a local test host; stacks/rebuild-standby.ts: an
// Alibaba Cloud standby):
//   1. the backup taken before the rebuild is restored on the new server while the old one serves
//      (the bulk of the files)
//   2. the old app is paused (SIGSTOP: its socket, held by systemd, keeps accepting; requests wait),
//      a last backup is taken, and only what changed since the first one is put on the new server,
//      with the database; the new server is then smoke-tested with that data
//   3. a failure in 2 resumes the old app: the waiting requests are answered, nothing was lost
// After a hand-over the old app is retired (retireOld) before the address moves, never resumed: it
// would answer from data the new server no longer shares.
import { pauseAppCommand, resumeAppCommand, retireAppCommand, reviveAppCommand } from "../provision/app";
import { backupTimersCommand } from "../provision/backup";
import { BackupTarget, backupNow, restoreSnapshot, runOnServer } from "./backup";

/**
 * A failed hand-over; `handover`: the snapshot taken with the old app paused, if it got that far;
 * `resumed` false: the old app was paused and could not be resumed (the site hangs until it is).
 */
export class HandoverError extends Error {
  constructor(message: string, readonly handover?: string, readonly resumed = true) {
    super(message);
    this.name = "HandoverError";
  }
}

/**
 * The backup a rebuild beside the old server starts with (the bulk the hand-over restores); its
 * failure, thrown, says that nothing was built.
 */
export async function backupFirst(old: BackupTarget, say: (s: string) => void): Promise<string> {
  say("backing up the current server first");
  try {
    const snapshot = (await backupNow(old, say)).snapshot;
    say(`backup ${snapshot.slice(0, 8)} taken`);
    return snapshot;
  } catch (e) {
    throw new Error(`the backup before the rebuild failed, so nothing was built (the old server keeps serving): ${(e as Error).message}`);
  }
}

export interface Handover {
  /** The snapshot taken with the old app paused, restored on the new server. */
  snapshot: string;
  /** When the old app was paused (Date.now()). */
  pausedAt: number;
}

/** `backup`: the snapshot taken before the rebuild; `names` say which server is which in the messages. */
export async function handOver(
  old: BackupTarget, next: BackupTarget, backup: string, names: { old: string; next: string }, say: (s: string) => void,
): Promise<Handover> {
  try {
    say(`restoring backup ${backup.slice(0, 8)} on ${names.next} while ${names.old} serves`);
    await restoreSnapshot(next, backup, say, { keepReplaced: false });
  } catch (e) {
    throw new HandoverError(`restoring backup ${backup.slice(0, 8)} on the new server failed: ${(e as Error).message}`);
  }
  say(`pausing the app on ${names.old}: requests wait instead of failing while its last changes are handed over`);
  const pausedAt = Date.now();
  let snapshot: string | undefined;
  try {
    await runOnServer(old, pauseAppCommand(), undefined, "pausing the app");
    snapshot = (await backupNow(old, say, "handover")).snapshot;
    say(`hand-over backup ${snapshot.slice(0, 8)} taken; putting its changes since ${backup.slice(0, 8)} on ${names.next}`);
    await restoreSnapshot(next, snapshot, say, { keepReplaced: false, over: backup });
    return { snapshot, pausedAt };
  } catch (e) {
    say(`the hand-over failed: resuming the app on ${names.old}`);
    const resumed = await runOnServer(old, resumeAppCommand(), undefined, "resuming the app").then(() => true, (r) => {
      say(`COULD NOT RESUME the app on ${names.old}: ${(r as Error).message}; run there: ${resumeAppCommand()}`);
      return false;
    });
    throw new HandoverError(`handing the data over to the new server failed: ${(e as Error).message}`, snapshot, resumed);
  }
}

/**
 * The old server's app retired (provision/app.ts) and its backup timers stopped: a later scheduled
 * backup of its data, stale once the new server serves, must not become the repository's newest
 * snapshot (what `restore` takes by default).
 */
export const retireOldCommand = (): string => `${retireAppCommand()}; rc=$?; ${backupTimersCommand("stop")}; exit $rc`;

/** The old app back with its backup timers: a rebuild that gave up, or stopped, before its switch. */
export const reviveOldCommand = (): string => `${reviveAppCommand()}; rc=$?; ${backupTimersCommand("start")}; exit $rc`;

/**
 * The paused old app is retired before the address moves: the requests it holds get nginx's 502 at
 * once rather than hang until the clients give up. A failure is reported, not thrown: the move ends
 * them too.
 */
export async function retireOld(old: BackupTarget, name: string, say: (s: string) => void): Promise<void> {
  say(`retiring the paused app on ${name}: the requests it holds are answered 502`);
  await runOnServer(old, retireOldCommand(), undefined, "retiring the app").catch((e) => say(`could not retire the app on ${name} (${(e as Error).message}); its held requests end when its address moves`));
}
