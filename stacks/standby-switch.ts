// The switch of a cloud rebuild from the old server to its standby (stacks/rebuild-standby.ts), written
// so it can be run again from wherever it stopped: `npm run rebuild` on a stack whose state shows a
// switch begun finishes it (switchStage, finishSwitch). Each part looks at the state first:
//   1. while the standby still has its own names: aistudio:standby switch marks that the switch has
//      begun (from here the only way is forward); the two EIP associations (the server's and the
//      standby's temporary one) are destroyed by target, after the state stops recording what depends
//      on them (else the engine refuses: their dependents would go with them); then the state is
//      rewritten so the standby has the server's names (stacks/standby-swap.ts). If the server's
//      association could not be deleted, the old server still has the EIP: the switch stops there
//      (oldStillBound) and the caller gives it up
//   2. aistudio:standby is removed
//   3. when the server's EIP has no association: `up --target` it (the program, in its normal mode,
//      associates the EIP with the server, now the new instance); its backup timers start
//   4. the site is smoke-tested at its domain
//   5. a full `up`: the retired instance is released, the old data disk leaves the stack (prod keeps it
//      in the account: retainOnDelete), the temporary EIP is released, the RDS whitelist is the new
//      server's address alone, the backup step records the timers on
// Between 1 and 3 the site does not answer: two engine runs and four state/config calls.
import type { StackDriver } from "./driver";
import { applySwap, planSwap, resourcesOf, retiredName, StateResource, withoutDependencyOn } from "./standby-swap";

export const STANDBY_KEY = "aistudio:standby";
const ASSOC_TYPE = "alicloud:ecs/eipAssociation:EipAssociation";
const EIP_TYPE = "alicloud:ecs/eipAddress:EipAddress";
const INSTANCE_TYPE = "alicloud:ecs/instance:Instance";

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const find = (rs: StateResource[], type: string, name: string) => rs.find((r) => r.type === type && nameOf(r.urn) === name);

/** The URNs of the server's EIP association and the standby's temporary one, when in the state. */
export function associations(resources: StateResource[], base = "aistudio"): { main?: string; standby?: string } {
  return { main: find(resources, ASSOC_TYPE, `${base}-eip-assoc`)?.urn, standby: find(resources, ASSOC_TYPE, `${base}-standby-address-assoc`)?.urn };
}

/** The server's EIP association's URN, also after it was destroyed: the EIP's, with the association's type and name. */
export function mainAssociationUrn(resources: StateResource[], base = "aistudio"): string {
  const eip = find(resources, EIP_TYPE, `${base}-eip`);
  if (!eip) throw new Error(`no EIP (${base}-eip) in the state: this stack did not create its server`);
  return `${eip.urn.slice(0, eip.urn.lastIndexOf("::")).replace(/alicloud:ecs\/eipAddress:EipAddress$/, ASSOC_TYPE)}::${base}-eip-assoc`;
}

/**
 * Where an earlier rebuild left the stack, from aistudio:standby (`phase`) and the state:
 *   switching      the switch had begun (phase switch, or the state already swapped: a retired
 *                  server): the standby holds the data, so the only way on is forward
 *   standby        a standby was declared, or some of it is left in the state, but the switch had not
 *                  begun: the old server kept its EIP and its data (a paused or retired app aside)
 *   clean          neither
 * Only the marker and the swap count, never a missing association: a standby half built or half
 * released lacks its association too, and taking that for a switch would move the site to it.
 */
export function switchStage(phase: string | undefined, resources: StateResource[], base = "aistudio"): "clean" | "standby" | "switching" {
  if (phase === "switch" || find(resources, INSTANCE_TYPE, retiredName(`${base}-server`, base))) return "switching";
  if (phase !== undefined || resources.some((r) => nameOf(r.urn).startsWith(`${base}-standby`))) return "standby";
  return "clean";
}

export interface SwitchResult {
  ok: boolean;
  error?: string;
  /** The switch stopped with the server's EIP still associated with the old server: give it up. */
  oldStillBound?: boolean;
  /** When the server's EIP was associated with the new server (Date.now()). */
  boundAt?: number;
}

const stateOf = async (driver: StackDriver) => {
  const state = await driver.exportState();
  return { state, resources: resourcesOf(state) };
};

/**
 * Parts 1 to 5 of the switch, each only when the state says it is still to do. `smoke` checks the
 * site at its domain (part 4). Errors say that running the rebuild again finishes the switch.
 */
export async function finishSwitch(
  driver: StackDriver,
  o: {
    /** aistudio:standby as it is set (undefined: removed). */
    phase: string | undefined;
    smoke: () => Promise<void>;
    /** Starts the backup timers on the server at the EIP (the new one, once bound). */
    startTimers: () => Promise<void>;
    say: (s: string) => void;
    onOutput?: (s: string) => void;
    redact: (s: string) => string;
  },
): Promise<SwitchResult> {
  const stack = driver.spec.name;
  const again = `the standby has the data: \`npm run rebuild -- --stack ${stack}\` again finishes the switch from where it stopped.`;
  const failed = (what: string, detail: string): SwitchResult => ({ ok: false, error: `${what}; ${again}\n${o.redact(detail).slice(-2000)}` });
  try {
    let { state, resources } = await stateOf(driver);
    const eipAssoc = mainAssociationUrn(resources);
    // 1. the associations, then the names
    let phase = o.phase;
    if (find(resources, INSTANCE_TYPE, "aistudio-standby-server")) {
      if (phase !== "switch") await driver.setConfig(STANDBY_KEY, (phase = "switch"));
      const a = associations(resources);
      const free = [a.main, a.standby].filter((u): u is string => !!u);
      if (free.length > 0) {
        o.say("moving the EIP to the standby: its association and the standby's temporary one are deleted first");
        await driver.importState(withoutDependencyOn(state, free));
        const r = await driver.destroy({ target: free, onOutput: o.onOutput });
        if (r.code !== 0) {
          // what the engine could not delete is still in the state: is the EIP still the old server's?
          const bound = !!associations((await stateOf(driver)).resources).main;
          if (bound) return { ok: false, oldStillBound: true, error: `deleting the EIP's association failed (exit ${r.code}), so the old server still has the EIP:\n${o.redact(r.stderr).slice(-2000)}` };
          return failed(`deleting the standby's temporary association failed (exit ${r.code})`, r.stderr);
        }
        ({ state, resources } = await stateOf(driver));
      }
      o.say("the standby takes the server's names in the state (aistudio-standby-* -> aistudio-*, the old server aistudio-retired-*)");
      const swapped = applySwap(state, planSwap(resources));
      await driver.importState(swapped);
      resources = resourcesOf(swapped);
    }
    // 2.
    if (phase !== undefined) await driver.removeConfig(STANDBY_KEY);
    // 3. the EIP to the new server, and its backups on at once (the full up below may fail)
    let boundAt: number | undefined;
    if (!associations(resources).main) {
      o.say("associating the EIP with the new server (pulumi up --target)");
      const r = await driver.up({ target: [eipAssoc], onOutput: o.onOutput });
      if (r.code !== 0) return failed(`associating the EIP with the new server failed (exit ${r.code})`, r.stderr);
      boundAt = Date.now();
    }
    await o.startTimers().catch((e) => o.say(`could not start the backup timers on the new server (${(e as Error).message}); the full up below starts them`));
    // 4. the site
    try {
      await o.smoke();
    } catch (e) {
      return { ok: false, boundAt, error: `the new server has the EIP but failed the smoke test at the domain: ${(e as Error).message}\n\`npm run doctor -- --stack ${stack}\` names the cause; \`pulumi up\` then releases the old server.` };
    }
    // 5. what is left of the old server
    o.say("releasing the old server and the temporary address (pulumi up)");
    const up = await driver.up({ onOutput: o.onOutput });
    if (up.code !== 0) return { ok: false, boundAt, error: `the new server serves, but the stack's pulumi up failed (exit ${up.code}); run it again:\n${o.redact(up.stderr).slice(-3000)}` };
    return { ok: true, boundAt };
  } catch (e) {
    return failed("the switch stopped", (e as Error).message);
  }
}
