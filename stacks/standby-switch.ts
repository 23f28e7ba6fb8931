// The switch of a cloud rebuild from the old server to its standby (stacks/rebuild-standby.ts), written
// so it can be run again from wherever it stopped: `npm run rebuild` on a stack whose state shows a
// switch begun finishes it (switchStage, finishSwitch). Each part looks at the state first:
//   1. while the standby still has its own names: the two EIP associations (the server's and the
//      standby's temporary one) are destroyed by target, after the state stops recording what depends
//      on them (else the engine refuses: their dependents would go with them); then the state is
//      rewritten so the standby has the server's names (stacks/standby-swap.ts)
//   2. aistudio:standby is removed
//   3. when the server's EIP has no association: `up --target` it (the program, in its normal mode,
//      associates the EIP with the server, now the new instance)
//   4. the site is smoke-tested at its domain
//   5. a full `up`: the retired instance is released, the old data disk leaves the stack (prod keeps it
//      in the account: retainOnDelete), the temporary EIP is released, the RDS whitelist is the new
//      server's address alone, the new server's backup timers start
// Between 1 and 3 the site does not answer: two engine runs and three state/config calls.
import type { StackDriver } from "./driver";
import { applySwap, planSwap, retiredName, StateResource, withoutDependencyOn } from "./standby-swap";

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
 * Where an earlier rebuild left the stack:
 *   clean          no standby, nothing retired
 *   standby        a standby was declared (aistudio:standby set) but the switch had not begun: the
 *                  old server kept its EIP and its data
 *   switching      the switch had begun (an association gone, or the state already swapped): the
 *                  standby holds the data, so the only way on is forward
 */
export function switchStage(standbySet: boolean, resources: StateResource[], base = "aistudio"): "clean" | "standby" | "switching" {
  const retired = find(resources, INSTANCE_TYPE, retiredName(`${base}-server`, base));
  const standbyServer = find(resources, INSTANCE_TYPE, `${base}-standby-server`);
  const a = associations(resources, base);
  if (retired) return "switching";
  if (standbyServer && (!a.main || !a.standby)) return "switching";
  return standbySet ? "standby" : "clean";
}

export interface SwitchResult {
  ok: boolean;
  error?: string;
  /** When the server's EIP was associated with the new server (Date.now()). */
  boundAt?: number;
}

const stateOf = async (driver: StackDriver) => {
  const state = await driver.exportState();
  return { state, resources: (state.deployment as { resources?: StateResource[] }).resources ?? [] };
};

/**
 * Parts 1 to 5 of the switch, each only when the state says it is still to do. `smoke` checks the
 * site at its domain (part 4). Errors say that running the rebuild again finishes the switch.
 */
export async function finishSwitch(
  driver: StackDriver,
  o: { standbySet: boolean; smoke: () => Promise<void>; say: (s: string) => void; onOutput?: (s: string) => void; redact: (s: string) => string },
): Promise<SwitchResult> {
  const stack = driver.spec.name;
  const again = `\`npm run rebuild -- --stack ${stack}\` again takes it from here: it finishes a switch begun, or, when the old server still has the EIP, revives its app (its data is what was handed over) and releases the standby.`;
  const failed = (what: string, detail: string): SwitchResult => ({ ok: false, error: `${what}; ${again}\n${o.redact(detail).slice(-2000)}` });
  try {
    let { state, resources } = await stateOf(driver);
    const eipAssoc = mainAssociationUrn(resources);
    // 1. the associations, then the names
    if (find(resources, INSTANCE_TYPE, "aistudio-standby-server")) {
      const a = associations(resources);
      const free = [a.main, a.standby].filter((u): u is string => !!u);
      if (free.length > 0) {
        o.say("moving the EIP to the standby: its association and the standby's temporary one are deleted first");
        await driver.importState(withoutDependencyOn(state, free));
        const r = await driver.destroy({ target: free, onOutput: o.onOutput });
        if (r.code !== 0) return failed(`deleting the EIP associations failed (exit ${r.code})`, r.stderr);
        ({ state, resources } = await stateOf(driver));
      }
      o.say("the standby takes the server's names in the state (aistudio-standby-* -> aistudio-*, the old server aistudio-retired-*)");
      await driver.importState(applySwap(state, planSwap(resources)));
    }
    // 2.
    if (o.standbySet) await driver.removeConfig(STANDBY_KEY);
    // 3. the EIP to the new server
    let boundAt: number | undefined;
    if (!associations((await stateOf(driver)).resources).main) {
      o.say("associating the EIP with the new server (pulumi up --target)");
      const r = await driver.up({ target: [eipAssoc], onOutput: o.onOutput });
      if (r.code !== 0) return failed(`associating the EIP with the new server failed (exit ${r.code})`, r.stderr);
      boundAt = Date.now();
    }
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
