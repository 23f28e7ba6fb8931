// Rebuild of an Alibaba Cloud one-server stack beside the old server, so that a failure at any point
// before the switch leaves the old server serving, untouched (the local stack's way is
// stacks/rebuild-beside.ts; both share the hand-over, stacks/handover.ts):
//   0. an earlier rebuild's leftovers first: a switch begun is finished (stacks/standby-switch.ts); a
//      standby that never took over is released and the old app revived. Then the stack must have no
//      pending change (a preview shows none): the rebuild adds a server, it deploys nothing to the old
//   1. a fresh backup of the old server (stacks with backups): if it fails, nothing is built
//   2. aistudio:standby boot, `up`: the program declares a standby beside the server (the same
//      instance spec, name and pinned host key; a temporary EIP; a blank data disk of its own; its
//      private address in the RDS whitelist)
//   3. with tls.mode acme the old server's certbot directory is copied to it (the domain points at
//      the old server, so the standby could not answer a challenge; its acme step finds the lineage)
//   4. aistudio:standby converge, `up`: every step and the smoke test on the standby, at its address
//      (its backup timers stay off until the switch: a backup of its half-restored data dir must not
//      become the repository's newest snapshot)
//   5. the hand-over of the data (stacks with backups), as locally: bulk restore while the old one
//      serves, then the old app paused, a last backup, its changes on the standby, smoke test; a
//      failure resumes the old app
//   6. the old app retired (its held requests answered 502), then the switch (stacks/standby-switch.ts)
// Any failure before 6 removes the standby (aistudio:standby removed, `up`): the old server serves on.
import { redact } from "../core/ssh";
import { smokeOrThrow } from "../checks/smoke";
import { resumeAppCommand } from "../provision/app";
import { backupTimersCommand } from "../provision/backup";
import { exportCertbotCommand, importCertbotCommand } from "../provision/tls";
import { secretValues, smokeSpec, serverConnection } from "../infra/steps";
import { BackupTarget, runOnServer, serverTarget } from "./backup";
import type { StackDriver } from "./driver";
import { backupFirst, handOver, HandoverError, retireOld, reviveOldCommand } from "./handover";
import type { StackView } from "./read-stack";
import { planSwap, resourcesOf } from "./standby-swap";
import { finishSwitch, STANDBY_KEY, switchStage } from "./standby-switch";
import type { BesideOutcome } from "./rebuild-beside";

export interface StandbyOptions {
  onOutput?: (s: string) => void;
  say: (s: string) => void;
  /** The site's smoke test after the switch (default: the deploy's, at the domain through the EIP). */
  smoke?: () => Promise<void>;
  /** Runs a command on the stack's server at `host` (default: over its pinned SSH connection). */
  run?: (host: string, command: string, label: string, dialBudgetMs?: number) => Promise<string>;
}

/** The new server's backup timers, once it has the EIP. */
const START_TIMERS = backupTimersCommand("start");

export async function rebuildStandby(driver: StackDriver, view: StackView, o: StandbyOptions): Promise<BesideOutcome> {
  const say = o.say;
  const stack = driver.spec.name;
  const secrets = secretValues(view.config);
  const scrub = (s: string) => redact(s, secrets);
  const fail = (error: string, extra: Partial<BesideOutcome> = {}): BesideOutcome => ({ ok: false, data: "none", ...extra, error });
  // the server at the EIP: the old one until the switch binds the EIP to the new one (same host key)
  const eip = String(view.outputs.publicIp ?? "");
  const oldServer = serverTarget(view.config, eip);
  const run = o.run ?? ((host, command, label, dialBudgetMs) => runOnServer(serverTarget(view.config, host), command, undefined, label, { dialBudgetMs }));
  const smoke = o.smoke ?? (() => smokeOrThrow({ ...smokeSpec(view.config, eip), connection: serverConnection(view.config, eip), redact: secrets }).then(() => undefined));
  const switchOptions = { smoke, startTimers: () => run(eip, START_TIMERS, "starting the backup timers").then(() => undefined), say, onOutput: o.onOutput, redact: scrub };

  // 0. what an earlier rebuild left
  const phase = view.config.cloud?.standby;
  const stage = switchStage(phase, resourcesOf(await driver.exportState()));
  if (stage === "switching") {
    say("an earlier rebuild stopped during its switch: finishing it (the standby has the data)");
    const r = await finishSwitch(driver, { ...switchOptions, phase });
    if (r.oldStillBound) return giveUp(driver, run, eip, r.error!, { say, onOutput: o.onOutput, redact: scrub });
    return { ok: r.ok, data: "none", error: r.error };
  }
  if (stage === "standby") {
    say("an earlier rebuild left a standby that never took over: reviving the old app (if it was paused or retired) and releasing the standby");
    const released = await release(driver, run, eip, phase, { say, onOutput: o.onOutput, redact: scrub });
    if (released) return fail(`releasing the earlier rebuild's standby failed: ${released}`);
  }
  const config = { ...view.config, cloud: view.config.cloud && { ...view.config.cloud, standby: undefined } };

  say("checking that the stack has no pending change (pulumi preview)");
  const pending = await driver.preview();
  const changed = Object.entries(pending.changes).filter(([op, n]) => op !== "same" && n > 0);
  if (pending.code !== 0 || changed.length > 0) {
    return fail(pending.code !== 0
      ? `the preview failed (exit ${pending.code}), so nothing was built:\n${scrub(pending.stderr).slice(-3000)}`
      : `the stack has pending changes (${changed.map(([op, n]) => `${op} ${n}`).join(", ")}): deploy them first (\`pulumi up\`), so the rebuild builds the new server from what the old one runs`);
  }

  // 1. a fresh backup: the rebuild must never be the moment data is lost
  let backup: string | undefined;
  const oldTarget = config.backup ? oldServer : undefined;
  if (oldTarget) {
    try {
      backup = await backupFirst(oldTarget, say);
    } catch (e) {
      return fail((e as Error).message);
    }
  }

  // a failure before the switch: the standby goes; the old server serves on (`resumed` false: the
  // hand-over paused its app and could not resume it)
  const abandon = async (why: string, extra: Partial<BesideOutcome> = {}, resumed = true): Promise<BesideOutcome> => {
    say("removing the standby (its instance, temporary address and disk): pulumi up without aistudio:standby");
    let removed = "";
    try {
      await driver.removeConfig(STANDBY_KEY);
      const up = await driver.up({ onOutput: o.onOutput });
      if (up.code !== 0) removed = `\nRemoving the standby failed too (exit ${up.code}); \`npm run rebuild\` again releases it:\n${scrub(up.stderr).slice(-2000)}`;
    } catch (e) {
      removed = `\nRemoving the standby failed too: ${(e as Error).message}; \`npm run rebuild\` again releases it`;
    }
    const old = resumed
      ? "The old server was not changed and keeps serving."
      : `The old server's app is PAUSED and could not be resumed: run \`${resumeAppCommand()}\` on it now.`;
    return fail(`${why}\n${old}${removed}`, { backup, ...extra });
  };

  // 2-4. the standby: its machine, its certificate, its steps
  let standby: BackupTarget;
  let address: string;
  try {
    say("declaring a standby server beside the old one (aistudio:standby boot, pulumi up)");
    await driver.setConfig(STANDBY_KEY, "boot");
    const boot = await driver.up({ onOutput: o.onOutput });
    if (boot.code !== 0) return await abandon(`creating the standby failed (exit ${boot.code}):\n${scrub(boot.stderr).slice(-3000)}`);
    address = String((await driver.outputs()).standbyAddress ?? "");
    if (!address) return await abandon("the standby has no address in the stack's outputs (standbyAddress)");
    standby = serverTarget(config, address, { connectTo: true });
    say(`the standby is at ${address}`);
    if (config.tls.mode === "acme") {
      say("copying the old server's certificate (certbot's directory) to the standby");
      const archive = (await run(eip, exportCertbotCommand(), "reading the certificate")).trim();
      await run(address, importCertbotCommand(archive), "installing the certificate", 180_000);
    }
    say(`converging the standby at ${address} (aistudio:standby converge, pulumi up) while the old server serves`);
    await driver.setConfig(STANDBY_KEY, "converge");
    const converge = await driver.up({ onOutput: o.onOutput });
    if (converge.code !== 0) return await abandon(`converging the standby failed (exit ${converge.code}):\n${scrub(converge.stderr).slice(-3000)}`);
    // the switch's rewrite checked now, while the old server serves
    planSwap(resourcesOf(await driver.exportState()));
  } catch (e) {
    return await abandon(`building the standby failed: ${scrub((e as Error).message)}`);
  }

  // 5. the data
  let handover: string | undefined;
  let pausedAt: number | undefined;
  if (oldTarget && backup) {
    try {
      ({ snapshot: handover, pausedAt } = await handOver(oldTarget, standby, backup, { old: "the old server", next: "the standby" }, say));
    } catch (e) {
      const h = e instanceof HandoverError ? e : undefined;
      return await abandon((e as Error).message, { handover: h?.handover }, h?.resumed ?? true);
    }
  } else {
    say("no backups configured (aistudio:backup): no data to hand over (the standby passed its smoke test in its up)");
  }

  // 6. from here the standby is the stack's server
  const done = { built: address, backup, handover, data: handover ? "handover" as const : "none" as const };
  if (oldTarget && pausedAt) await retireOld(oldTarget, "the old server", say);
  const r = await finishSwitch(driver, { ...switchOptions, phase: "converge" });
  if (r.oldStillBound) return { ...done, ...(await giveUp(driver, run, eip, r.error!, { say, onOutput: o.onOutput, redact: scrub })) };
  const pausedSeconds = pausedAt && r.boundAt ? Math.round((r.boundAt - pausedAt) / 100) / 10 : undefined;
  if (pausedSeconds !== undefined) say(`the EIP was associated with the new server ${pausedSeconds}s after the old app was paused`);
  return { ok: r.ok, ...done, pausedSeconds, error: r.error };
}

interface Io { say: (s: string) => void; onOutput?: (s: string) => void; redact: (s: string) => string }
type Run = NonNullable<StandbyOptions["run"]>;

/**
 * The standby goes and the old server is as before it: its app revived (a pause or a retire undone;
 * its data is what was handed over) and its backup timers on, aistudio:standby removed, `up`.
 * Returns what failed, or undefined.
 */
async function release(driver: StackDriver, run: Run, eip: string, phase: string | undefined, io: Io): Promise<string | undefined> {
  try {
    await run(eip, reviveOldCommand(), "reviving the app");
    if (phase !== undefined) await driver.removeConfig(STANDBY_KEY);
  } catch (e) {
    return (e as Error).message;
  }
  const up = await driver.up({ onOutput: io.onOutput });
  return up.code === 0 ? undefined : `pulumi up, exit ${up.code}:\n${io.redact(up.stderr).slice(-3000)}`;
}

/** A switch that stopped while the old server still had the EIP: given up, the old server serving again. */
async function giveUp(driver: StackDriver, run: Run, eip: string, why: string, io: Io): Promise<BesideOutcome> {
  io.say("the old server still has the EIP: giving the switch up, reviving the old app and releasing the standby");
  const failed = await release(driver, run, eip, "switch", io);
  return {
    ok: false,
    data: "none",
    error: `${why}\n${failed
      ? `Giving the switch up failed too (${failed}); \`npm run rebuild\` again revives the old app and releases the standby.`
      : "The switch was given up: the old app was revived with its data (what was handed over) and serves again; the standby was released."}`,
  };
}
