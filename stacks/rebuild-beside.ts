// Rebuild of a one-server stack beside the old server (blue/green), so that a failure at any point
// before the hand-over leaves the old server serving, untouched:
//   1. a fresh backup of the old server (stacks with backups): if it fails, nothing is built
//   2. a new server beside it: the local stack boots a new test host at a free address (with a blank
//      volume when the stack has one)
//   3. the new server is converged by a copy of the stack (same settings and secrets, its own state in
//      a temp directory) pointed at it: every step and the smoke test, while the old one serves
//   4. the hand-over of the data (stacks with backups): the fresh backup is restored on the new server
//      while the old one serves (the bulk of the files); then the old server's app is paused (SIGSTOP:
//      its socket keeps accepting, requests wait instead of failing), a last backup is taken, and only
//      what changed since the first one is put on the new server, with the database, which is then
//      smoke-tested; a failure resumes the old app (the waiting requests are answered) and removes
//      the new server
//   5. the old app is retired (its held requests answered 502 at once, never served from the old
//      data), the address moves to the new server (testhost.sh move: the old server is cut off, the
//      address answers from the new one within a second, the old server's volume is kept as
//      VOL-old), the stack's own `up` takes the new server into its state, and the site is smoke-
//      tested again
// The hand-over itself (4, 5) is stacks/handover.ts, shared with the cloud standby (rebuild-standby.ts).
// The cost of the hand-over: while the old app is paused, requests wait; the ones still waiting when
// it is retired fail (502), at most one per client that was waiting. The integration test measures
// them (test/integration/data.test.ts).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { redact } from "../core/ssh";
import { smokeOrThrow } from "../checks/smoke";
import { resumeAppCommand } from "../provision/app";
import { serverConnection, smokeSpec, secretValues } from "../infra/steps";
import { readTesthost, testhostStateDir } from "../infra/testhost";
import { backupTargetOf } from "./backup";
import { backupFirst, handOver, HandoverError, retireOld } from "./handover";
import type { StackDriver } from "./driver";
import { readStack, StackView } from "./read-stack";
import { ScratchStack } from "./scratch";
import { runTesthost, testhostScript } from "./testhost-script";

export interface BesideOutcome {
  ok: boolean;
  /**
   * The new server while it was built: a test host's name (its machine keeps it; the stack's test host
   * name is kept), or a cloud standby's temporary address.
   */
  built?: string;
  backup?: string;
  /** The snapshot taken with the old app paused, restored on the new server. */
  handover?: string;
  data: "handover" | "none";
  /** Seconds the old app was paused before the address answered from the new server. */
  pausedSeconds?: number;
  error?: string;
}

/** The new server's test host name and volume: NAME-1 … NAME-9 (the first free one), VOL-next. */
export function besideNames(name: string, volume: string | undefined, taken: (host: string) => boolean): { host: string; volume?: string } {
  const base = name.slice(0, 9);
  for (let i = 1; i <= 9; i++) {
    const host = `${base}-${i}`;
    if (host !== name && !taken(host)) return { host, volume: volume ? `${volume.slice(0, 26)}-next` : undefined };
  }
  throw new Error(`no free test host name for the new server (${base}-1 … ${base}-9 are all in use): remove the leftovers with \`npm run testhost -- down NAME\``);
}

/**
 * What the local stack derives from its own name and the copy must share instead of deriving its
 * own: the backup repository's path and the uploads' key prefix in the object stores.
 */
export interface StackPins {
  backupRepository?: string;
  uploadsPrefix?: string;
}

/** The stack's settings for the copy that converges the new server: the same, with the new test host. */
export function besideConfig(entries: Record<string, { value: string; secret: boolean }>, host: string, pins: StackPins = {}): { plain: Record<string, unknown>; secrets: Record<string, string> } {
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [key, e] of Object.entries(entries)) {
    if (!key.startsWith("aistudio:")) continue;
    const k = key.slice("aistudio:".length);
    if (e.secret) secrets[k] = e.value;
    else plain[k] = /^[[{]/.test(e.value) ? JSON.parse(e.value) : e.value;
  }
  plain.testhost = host;
  if (pins.backupRepository) plain.backup = { ...(plain.backup as object | undefined), repository: pins.backupRepository };
  if (pins.uploadsPrefix !== undefined && plain.uploads) plain.uploads = { ...(plain.uploads as object), prefix: pins.uploadsPrefix };
  return { plain, secrets };
}

/**
 * `testhost.sh move NEW NAME`, resolving with the moment the address answered from the new server
 * (its "answers from" line): the old server's poweroff after that only makes the command longer.
 */
function moveAddress(next: string, name: string, say: (s: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [testhostScript(), "move", next, name], { stdio: ["ignore", "ignore", "pipe"] });
    let moved = 0;
    let tail = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      tail = (tail + chunk).slice(-2000);
      for (const line of chunk.split("\n").filter(Boolean)) {
        if (!moved && / answers from /.test(line)) moved = Date.now();
        say(line.replace(/^\[testhost\] /, ""));
      }
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 && moved ? resolve(moved) : reject(new Error(`testhost.sh move exited ${code}: ${tail.trim().split("\n").slice(-3).join("\n")}`))));
  });
}

/** True when test host name `host` is in use: a server's directory, or a running machine that took another's place. */
function hostTaken(host: string): boolean {
  const state = testhostStateDir();
  return fs.existsSync(path.join(state, "hosts", host)) || fs.existsSync(path.join(state, "machines", host)) || fs.existsSync(`/sys/class/net/vb-${host}`);
}

/** `name`: the stack's test host (aistudio:testhost), the server being replaced. */
export async function rebuildBeside(
  driver: StackDriver,
  view: StackView,
  name: string,
  o: { onOutput?: (s: string) => void; say: (s: string) => void },
): Promise<BesideOutcome> {
  const say = o.say;
  const config = view.config;
  const old = readTesthost(name);
  const secrets = secretValues(config);

  // 1. a fresh backup: the rebuild must never be the moment data is lost
  let backup: string | undefined;
  const oldTarget = config.backup ? backupTargetOf(view, driver.spec.name) : undefined;
  if (oldTarget) {
    try {
      backup = await backupFirst(oldTarget, say);
    } catch (e) {
      return { ok: false, data: "none", error: (e as Error).message };
    }
  }

  // 2. the new server beside the old one
  const next = besideNames(name, old.volume, hostTaken);
  if (next.volume && fs.existsSync(path.join(testhostStateDir(), "volumes", `${next.volume}.img`))) runTesthost(["volume", "rm", next.volume]);
  say(`building the new server ${next.host} beside ${name} (${old.host}), which keeps serving`);
  // `resumed` false: the hand-over paused the old app and could not resume it
  const abandon = (why: string, extra: Partial<BesideOutcome> = {}, resumed = true): BesideOutcome => {
    say(`removing the new server ${next.host}`);
    try {
      runTesthost(["down", next.host]);
      if (next.volume) runTesthost(["volume", "rm", next.volume]);
    } catch (e) {
      say(`could not remove ${next.host}: ${(e as Error).message}`);
    }
    const oldState = resumed
      ? `The old server ${name} (${old.host}) was not changed and keeps serving.`
      : `The old app on ${name} (${old.host}) is PAUSED and could not be resumed: run \`${resumeAppCommand()}\` on it now.`;
    return { ok: false, built: next.host, backup, data: "none", ...extra, error: `${why}\n${oldState}` };
  };
  try {
    runTesthost(["up", next.host, ...(next.volume ? ["--volume", next.volume] : [])]);
  } catch (e) {
    return abandon(`the new server ${next.host} did not boot: ${(e as Error).message}`);
  }

  // 3. converge it with a copy of the stack
  const entries = await driver.configEntries();
  const { plain, secrets: copySecrets } = besideConfig(entries, next.host, { backupRepository: config.backup?.repository, uploadsPrefix: config.uploads.s3?.prefix });
  const copy = new ScratchStack(`${driver.spec.name}-next`, plain);
  try {
    let newView: StackView;
    try {
      await copy.setSecrets(copySecrets);
      say(`converging ${next.host} with the stack's settings (its own state: ${copy.dir})`);
      const up = await copy.up({ onOutput: o.onOutput });
      if (up.code !== 0) return abandon(`converging the new server failed (exit ${up.code}):\n${redact(up.stderr, secrets).slice(-3000)}`);
      newView = await readStack(await copy.driver());
    } catch (e) {
      return abandon(`converging the new server failed: ${redact((e as Error).message, secrets)}`);
    }
    const newConnection = serverConnection(newView.config, readTesthost(next.host).host);

    // 4. the data: the fresh backup restored on the new server while the old one serves (the bulk),
    // then a last backup with the old app paused, of which only the changes are put on the new server
    let handover: string | undefined;
    let pausedAt: number | undefined;
    if (oldTarget && backup) {
      try {
        ({ snapshot: handover, pausedAt } = await handOver(oldTarget, backupTargetOf(newView, copy.name), backup, { old: name, next: next.host }, say));
      } catch (e) {
        const h = e instanceof HandoverError ? e : undefined;
        return abandon((e as Error).message, { handover: h?.handover }, h?.resumed ?? true);
      }
    } else {
      say("no backups configured (aistudio:backup): no data to hand over");
      try {
        await smokeOrThrow({ ...smokeSpec(newView.config, newConnection.host), connection: newConnection, redact: secrets });
      } catch (e) {
        return abandon(`the new server failed its smoke test: ${(e as Error).message}`);
      }
    }

    // 5. the address moves: from here the new server is the stack's server. A paused old app is
    // retired first, so the requests it holds get nginx's 502 at once rather than hang until the
    // clients give up (the link cut below would leave them without an answer)
    if (oldTarget && pausedAt) await retireOld(oldTarget, name, say);
    say(`moving ${name}'s address ${old.host} to ${next.host}`);
    let movedAt: number;
    try {
      movedAt = await moveAddress(next.host, name, say);
    } catch (e) {
      return { ok: false, built: next.host, backup, handover, data: "none", error: `moving the address failed: ${(e as Error).message}
See \`npm run testhost -- ls\`: if ${name} is still listed, its address did not move; \`npm run testhost -- move ${next.host} ${name}\` again finishes the move (the old app is retired: the new server has the data).` };
    }
    const pausedSeconds = pausedAt ? Math.round((movedAt - pausedAt) / 100) / 10 : undefined;
    if (pausedSeconds !== undefined) say(`the address answers from the new server ${pausedSeconds}s after the old app was paused`);
    say("taking the new server into the stack's state (pulumi up)");
    const up2 = await driver.up({ onOutput: o.onOutput });
    const done = { built: next.host, backup, handover, data: handover ? "handover" as const : "none" as const, pausedSeconds };
    if (up2.code !== 0) {
      return { ok: false, ...done, error: `the new server serves at ${old.host}, but the stack's pulumi up failed (exit ${up2.code}); run it again:\n${redact(up2.stderr, secrets).slice(-3000)}` };
    }
    try {
      const final = await readStack(driver);
      const host = readTesthost(name).host;
      await smokeOrThrow({ ...smokeSpec(final.config, host), connection: serverConnection(final.config, host), redact: secrets });
    } catch (e) {
      return { ok: false, ...done, error: `the new server serves at ${old.host} but failed the smoke test after the move: ${(e as Error).message}\n\`npm run doctor -- --stack ${driver.spec.name}\` names the cause.` };
    }
    return { ok: true, ...done };
  } finally {
    copy.cleanup();
  }
}
