// Rebuild of an Alibaba Cloud one-server stack beside the old server, so that a failure at any point
// before the switch leaves the old server serving, untouched (the local stack's way is
// stacks/rebuild-beside.ts; both share the hand-over, stacks/handover.ts):
//   0. the stack must have no pending change (a preview shows none): the rebuild adds a server, it
//      does not deploy a change to the old one
//   1. a fresh backup of the old server (stacks with backups): if it fails, nothing is built
//   2. aistudio:standby boot, `up`: the program declares a standby beside the server (the same
//      instance spec, name and pinned host key; a temporary EIP; a blank data disk of its own; its
//      private address in the RDS whitelist)
//   3. with tls.mode acme the old server's certbot directory is copied to it (the domain points at
//      the old server, so the standby could not answer a challenge; its acme step finds the lineage)
//   4. aistudio:standby converge, `up`: every step and the smoke test on the standby, at its address
//   5. the hand-over of the data (stacks with backups), as locally: bulk restore while the old one
//      serves, then the old app paused, a last backup, its changes on the standby, smoke test; a
//      failure resumes the old app
//   6. the switch: the old app retired (its held requests answered 502); the EIP's association and
//      the standby's temporary one deleted (`destroy --target`, after the state stopped recording what
//      depends on them); the state rewritten so the standby
//      has the server's names (stacks/standby-swap.ts); aistudio:standby removed; `up --target` the
//      association, now to the new server; the site smoke-tested at its domain
//   7. a full `up`: the retired instance is released, the old data disk leaves the stack (prod keeps it
//      in the account: retainOnDelete), the temporary EIP is released, the RDS whitelist is the new
//      server's address alone
// Any failure before 6 removes the standby (aistudio:standby removed, `up`): the old server serves on.
import { redact } from "../core/ssh";
import { smokeOrThrow } from "../checks/smoke";
import { exportCertbotCommand, importCertbotCommand } from "../provision/tls";
import { secretValues, smokeSpec, serverConnection } from "../infra/steps";
import { BackupTarget, backupNow, backupTargetOf, runOnServer, serverTarget } from "./backup";
import type { StackDriver } from "./driver";
import { handOver, HandoverError, retireOld } from "./handover";
import type { StackView } from "./read-stack";
import { applySwap, planSwap, StateResource, withoutDependencyOn } from "./standby-swap";
import type { BesideOutcome } from "./rebuild-beside";

const STANDBY_KEY = "aistudio:standby";
const ASSOC_TYPE = "alicloud:ecs/eipAssociation:EipAssociation";

/** The URNs of the server's EIP association and the standby's temporary one, from the state. */
export function associations(resources: StateResource[], base = "aistudio"): { main?: string; standby?: string } {
  const assoc = (name: string) => resources.find((r) => r.type === ASSOC_TYPE && r.urn.endsWith(`::${name}`))?.urn;
  return { main: assoc(`${base}-eip-assoc`), standby: assoc(`${base}-standby-address-assoc`) };
}

const resourcesOf = async (driver: StackDriver): Promise<StateResource[]> =>
  ((await driver.exportState()).deployment as { resources?: StateResource[] }).resources ?? [];

export async function rebuildStandby(
  driver: StackDriver,
  view: StackView,
  o: { onOutput?: (s: string) => void; say: (s: string) => void },
): Promise<BesideOutcome> {
  const say = o.say;
  const config = view.config;
  const stack = driver.spec.name;
  const secrets = secretValues(config);
  const fail = (error: string, extra: Partial<BesideOutcome> = {}): BesideOutcome => ({ ok: false, data: "none", ...extra, error });
  if (config.cloud?.standby) {
    return fail(`${STANDBY_KEY} is set (${config.cloud.standby}): an earlier rebuild stopped with a standby beside the server. Remove it (\`pulumi config rm ${STANDBY_KEY} --stack ${stack}\`, then \`pulumi up\` releases the standby) and rebuild again`);
  }

  // 0. nothing pending: the rebuild's ups must only add the standby
  say("checking that the stack has no pending change (pulumi preview)");
  const pending = await driver.preview();
  const changed = Object.entries(pending.changes).filter(([op, n]) => op !== "same" && n > 0);
  if (pending.code !== 0 || changed.length > 0) {
    return fail(pending.code !== 0
      ? `the preview failed (exit ${pending.code}), so nothing was built:\n${redact(pending.stderr, secrets).slice(-3000)}`
      : `the stack has pending changes (${changed.map(([op, n]) => `${op} ${n}`).join(", ")}): deploy them first (\`pulumi up\`), so the rebuild builds the new server from what the old one runs`);
  }

  // 1. a fresh backup: the rebuild must never be the moment data is lost
  let backup: string | undefined;
  const oldTarget = config.backup ? backupTargetOf(view, stack) : undefined;
  if (oldTarget) {
    say("backing up the current server first");
    try {
      backup = (await backupNow(oldTarget, say)).snapshot;
      say(`backup ${backup.slice(0, 8)} taken`);
    } catch (e) {
      return fail(`the backup before the rebuild failed, so nothing was built (the old server keeps serving): ${(e as Error).message}`);
    }
  }

  const abandon = async (why: string, extra: Partial<BesideOutcome> = {}): Promise<BesideOutcome> => {
    say("removing the standby (its instance, temporary address and disk): pulumi up without aistudio:standby");
    let removed = "";
    try {
      await driver.removeConfig(STANDBY_KEY);
      const up = await driver.up({ onOutput: o.onOutput });
      if (up.code !== 0) removed = `\nRemoving the standby failed too (exit ${up.code}); run \`pulumi up\` to release it:\n${redact(up.stderr, secrets).slice(-2000)}`;
    } catch (e) {
      removed = `\nRemoving the standby failed too: ${(e as Error).message}; run \`pulumi config rm ${STANDBY_KEY}\` and \`pulumi up\``;
    }
    return fail(`${why}\nThe old server was not changed and keeps serving.${removed}`, { backup, ...extra });
  };

  // 2. the standby's instance, address and disk
  say("declaring a standby server beside the old one (aistudio:standby boot, pulumi up)");
  await driver.setConfig(STANDBY_KEY, "boot");
  const boot = await driver.up({ onOutput: o.onOutput });
  if (boot.code !== 0) return abandon(`creating the standby failed (exit ${boot.code}):\n${redact(boot.stderr, secrets).slice(-3000)}`);
  const address = String((await driver.outputs()).standbyAddress ?? "");
  if (!address) return abandon("the standby has no address in the stack's outputs (standbyAddress)");
  const standby: BackupTarget = serverTarget(config, address, { connectTo: true });
  say(`the standby is at ${address}`);

  // 3. the certificate it cannot request itself
  if (config.tls.mode === "acme") {
    try {
      say("copying the old server's certificate (certbot's directory) to the standby");
      const old = serverTarget(config, String(view.outputs.publicIp ?? ""));
      const archive = (await runOnServer(old, exportCertbotCommand(), undefined, "reading the certificate")).trim();
      await runOnServer(standby, importCertbotCommand(archive), undefined, "installing the certificate", { dialBudgetMs: 180_000 });
    } catch (e) {
      return abandon(`copying the certificate to the standby failed: ${(e as Error).message}`);
    }
  }

  // 4. every step and the smoke test on it
  say(`converging the standby at ${address} (aistudio:standby converge, pulumi up) while the old server serves`);
  await driver.setConfig(STANDBY_KEY, "converge");
  const converge = await driver.up({ onOutput: o.onOutput });
  if (converge.code !== 0) return abandon(`converging the standby failed (exit ${converge.code}):\n${redact(converge.stderr, secrets).slice(-3000)}`);

  // the switch prepared while the old server serves: the associations' URNs (after their deletion they
  // are in no state), the swap checked once, and nothing recorded as depending on the associations
  // (else `destroy --target` refuses: their dependents would go with them)
  let assoc: ReturnType<typeof associations>;
  try {
    const state = await driver.exportState();
    const resources = (state.deployment as { resources?: StateResource[] }).resources ?? [];
    assoc = associations(resources);
    if (!assoc.main || !assoc.standby) throw new Error(`the state lacks the EIP association (${assoc.main ?? "aistudio-eip-assoc: missing"}, ${assoc.standby ?? "aistudio-standby-address-assoc: missing"})`);
    planSwap(resources);
    await driver.importState(withoutDependencyOn(state, [assoc.main, assoc.standby]));
  } catch (e) {
    return abandon(`preparing the switch failed: ${(e as Error).message}`);
  }

  // 5. the data
  let handover: string | undefined;
  let pausedAt: number | undefined;
  if (oldTarget && backup) {
    try {
      ({ snapshot: handover, pausedAt } = await handOver(oldTarget, standby, backup, { old: "the old server", next: "the standby" }, say));
    } catch (e) {
      return abandon((e as Error).message, { handover: e instanceof HandoverError ? e.handover : undefined });
    }
  } else {
    say("no backups configured (aistudio:backup): no data to hand over (the standby passed its smoke test in its up)");
  }

  // 6. the switch: from here the standby is the stack's server
  const done = { built: address, backup, handover, data: handover ? "handover" as const : "none" as const };
  if (oldTarget && pausedAt) await retireOld(oldTarget, "the old server", say);
  say("moving the EIP to the standby: its association and the standby's temporary one are deleted first");
  const freed = await driver.destroy({ target: [assoc.main, assoc.standby], onOutput: o.onOutput });
  if (freed.code !== 0) {
    return fail(`deleting the EIP's associations failed (exit ${freed.code}); the old app is retired and the standby (${address}) has the data, so do not resume the old one. Finish by hand: \`pulumi destroy --target '${assoc.main}' --target '${assoc.standby}'\`, then associate the EIP with the standby in the ECS console; \`npm run rebuild\` again afterwards makes the stack whole:\n${redact(freed.stderr, secrets).slice(-2000)}`, done);
  }
  try {
    const state = await driver.exportState();
    const resources = (state.deployment as { resources?: StateResource[] }).resources ?? [];
    await driver.importState(applySwap(state, planSwap(resources)));
    await driver.removeConfig(STANDBY_KEY);
  } catch (e) {
    return fail(`writing the switched state failed: ${(e as Error).message}. The EIP is associated with no server: associate it with the standby (${address}) in the ECS console so the site answers, then see stacks/standby-swap.ts for the renames the state needs`, done);
  }
  const bound = await driver.up({ target: [assoc.main], onOutput: o.onOutput });
  const pausedSeconds = pausedAt ? Math.round((Date.now() - pausedAt) / 100) / 10 : undefined;
  if (bound.code !== 0) {
    return fail(`associating the EIP with the new server failed (exit ${bound.code}); the state already names the new server as the server: run \`pulumi up\`:\n${redact(bound.stderr, secrets).slice(-2000)}`, { ...done, pausedSeconds });
  }
  if (pausedSeconds !== undefined) say(`the EIP is associated with the new server ${pausedSeconds}s after the old app was paused`);

  // the site, at its domain, from the new server
  try {
    // the same settings and EIP as before the rebuild (aistudio:standby is gone again)
    const host = String(view.outputs.publicIp ?? "");
    await smokeOrThrow({ ...smokeSpec(config, host), connection: serverConnection(config, host), redact: secrets });
  } catch (e) {
    return fail(`the new server has the EIP but failed the smoke test at the domain: ${(e as Error).message}\n\`npm run doctor -- --stack ${stack}\` names the cause; \`pulumi up\` then releases the old server.`, { ...done, pausedSeconds });
  }

  // 7. the old server and the temporary address go; the whitelist is the new server's alone
  say("releasing the old server and the temporary address (pulumi up)");
  const up = await driver.up({ onOutput: o.onOutput });
  if (up.code !== 0) {
    return fail(`the new server serves, but the stack's pulumi up failed (exit ${up.code}); run it again:\n${redact(up.stderr, secrets).slice(-3000)}`, { ...done, pausedSeconds });
  }
  return { ok: true, ...done, pausedSeconds };
}
