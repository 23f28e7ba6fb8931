// The order of a cloud rebuild beside the old server (stacks/rebuild-standby.ts, standby-switch.ts),
// against a stand-in for the stack driver that keeps a state the way the engine would change it (an
// `up` with aistudio:standby adds the standby, `destroy --target` removes what it names, `up --target`
// creates the EIP association, a normal `up` deletes what the program no longer declares). Alibaba
// Cloud cannot be reached here, so what is checked is what the rebuild asks of the stack, in which
// order, what the state holds at each import, and how a rebuild stopped half way is finished. The
// stack has no backups (nothing to reach over SSH) and a provided certificate (nothing to copy); the
// site's smoke test is given to the rebuild. The rewrite itself is checked against the program's URNs
// (cloud-standby.test.ts) and on a real engine (test/integration/standby-swap.test.ts).
import { describe, expect, it } from "vitest";
import type { Deployment } from "@pulumi/pulumi/automation";
import { parseConfig } from "../../infra/config";
import { alicloudCreateRaw, fleetCertificate } from "./fixtures";
import { rebuildStandby } from "../../stacks/rebuild-standby";
import { switchStage } from "../../stacks/standby-switch";
import type { StackDriver, RunResult } from "../../stacks/driver";
import type { StateResource } from "../../stacks/standby-swap";

const SERVER = "aistudio:cloud:AlicloudServer";
const T = { instance: "alicloud:ecs/instance:Instance", eip: "alicloud:ecs/eipAddress:EipAddress", assoc: "alicloud:ecs/eipAssociation:EipAssociation", dns: "alicloud:dns/alidnsRecord:AlidnsRecord" };
const COMPONENT = `urn:pulumi:prod::aistudio::${SERVER}::aistudio`;
const urn = (type: string, name: string) => `urn:pulumi:prod::aistudio::${SERVER}$${type}::${name}`;
const res = (type: string, name: string, o: Partial<StateResource> = {}): StateResource => ({ urn: urn(type, name), type, parent: COMPONENT, ...o });
const MAIN_ASSOC = urn(T.assoc, "aistudio-eip-assoc");

/** The server as it runs: instance, EIP, association, and a DNS record that depends on the association. */
const serving = (): StateResource[] => [
  { urn: COMPONENT, type: SERVER },
  res(T.instance, "aistudio-server", { id: "i-old" }),
  res(T.eip, "aistudio-eip", { protect: true }),
  res(T.assoc, "aistudio-eip-assoc", { outputs: { instanceId: "i-old" } }),
  res(T.dns, "aistudio-dns", { dependencies: [MAIN_ASSOC] }),
];
const standbyResources = (): StateResource[] => [
  res(T.instance, "aistudio-standby-server", { id: "i-new" }),
  res(T.eip, "aistudio-standby-address"),
  res(T.assoc, "aistudio-standby-address-assoc", { outputs: { instanceId: "i-new" } }),
];
const names = (rs: StateResource[]) => rs.map((r) => r.urn.split("::").pop()!);

const ok = (): RunResult => ({ code: 0, stdout: "", stderr: "", seconds: 0, changes: {}, ops: {}, timeline: [] });
const failed = (stderr: string): RunResult => ({ ...ok(), code: 255, stderr });

/**
 * A driver over an in-memory state. `failUp`: the n-th `up` (1-based) fails; `failDestroy`: the destroy
 * fails. Every call is logged; `imports` keeps every state imported.
 */
function engineDriver(o: { state?: StateResource[]; standby?: string; failUp?: number; failDestroy?: boolean; pending?: Record<string, number> } = {}) {
  let state: StateResource[] = structuredClone(o.state ?? serving());
  let standby = o.standby;
  const calls: string[] = [];
  const imports: StateResource[][] = [];
  let ups = 0;
  const short = (us: string[]) => us.map((u) => u.split("::").pop()).join(",");
  const driver = {
    spec: { name: "prod" },
    async preview() { calls.push("preview"); return { ...ok(), changes: o.pending ?? { same: 30 }, steps: [], errors: [] }; },
    async up(x: { target?: string[] } = {}) {
      ups++;
      calls.push(x.target ? `up --target ${short(x.target)}` : "up");
      if (ups === o.failUp) return failed("error: creating the ECS instance failed: QuotaExceeded");
      if (x.target) {
        // the program's association, to whatever the state calls aistudio-server
        if (x.target.includes(MAIN_ASSOC) && !state.some((r) => r.urn === MAIN_ASSOC)) {
          const server = state.find((r) => r.urn === urn(T.instance, "aistudio-server"))!;
          state.push(res(T.assoc, "aistudio-eip-assoc", { outputs: { instanceId: server.id } }));
        }
      } else if (standby) {
        // boot, converge or switch: the whole standby is declared
        if (!state.some((r) => r.urn.endsWith("::aistudio-standby-server"))) state.push(...standbyResources());
      } else {
        // what the normal program does not declare goes
        state = state.filter((r) => !/::aistudio-(standby|retired)-/.test(r.urn));
      }
      return ok();
    },
    async destroy(x: { target: string[] }) {
      calls.push(`destroy --target ${short(x.target)}`);
      if (o.failDestroy) return failed("error: UnassociateEipAddress: IncorrectEipStatus");
      for (const t of x.target) {
        const dependents = state.filter((r) => r.dependencies?.includes(t)).map((r) => r.urn);
        if (dependents.length) return failed(`error: Resource '${dependents[0]}' will be destroyed but was not specified in --target list`);
      }
      state = state.filter((r) => !x.target.includes(r.urn));
      return ok();
    },
    async setConfig(k: string, v: string) { calls.push(`config set ${k} ${v}`); standby = v; },
    async removeConfig(k: string) { calls.push(`config rm ${k}`); standby = undefined; },
    async outputs() { return { standbyAddress: "127.0.0.2", publicIp: "127.0.0.1" }; },
    async exportState(): Promise<Deployment> { return { version: 3, deployment: { resources: structuredClone(state) } }; },
    async importState(d: Deployment) {
      calls.push("import");
      state = structuredClone((d.deployment as { resources: StateResource[] }).resources);
      imports.push(structuredClone(state));
    },
  };
  return { driver: driver as unknown as StackDriver, calls, imports, state: () => state, standby: () => standby };
}

/** A stand-in for the commands run on the server at an address: logged as "HOST: label". */
function servers() {
  const runs: string[] = [];
  const commands: string[] = [];
  return { runs, commands, run: async (host: string, command: string, label: string) => { runs.push(`${host}: ${label}`); commands.push(command); return ""; } };
}

const cert = fleetCertificate();
const config = parseConfig(alicloudCreateRaw({
  tls: { mode: "provided", certificate: cert.cert }, tlsPrivateKey: cert.key,
  backup: { enabled: false }, backupPassword: undefined, backupSecretAccessKey: undefined,
}), "prod");
// loopback only, should anything dial the server
const view = { config, outputs: { publicIp: "127.0.0.1" } };
const say = () => undefined;
const smokes = () => {
  const seen: number[] = [];
  return { seen, smoke: async () => { seen.push(Date.now()); } };
};

describe("a cloud rebuild beside the old server", () => {
  it("builds the standby, converges it, then switches: associations freed, state rewritten, the EIP bound, the rest released", async () => {
    const d = engineDriver();
    const s = smokes();
    const srv = servers();
    const r = await rebuildStandby(d.driver, view, { say, smoke: s.smoke, run: srv.run });
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, built: "127.0.0.2", data: "none" });
    expect(d.calls).toEqual([
      "preview",
      "config set aistudio:standby boot", "up",
      "config set aistudio:standby converge", "up",
      // the switch has begun (a rerun goes forward); nothing recorded as depending on the associations, then both go
      "config set aistudio:standby switch",
      "import", "destroy --target aistudio-eip-assoc,aistudio-standby-address-assoc",
      // the swap, on the state after the destroy
      "import", "config rm aistudio:standby",
      "up --target aistudio-eip-assoc",
      "up",
    ]);
    expect(s.seen).toHaveLength(1);
    // the new server's backups start as soon as it has the EIP (before the full up, which may fail)
    expect(srv.runs).toEqual(["127.0.0.1: starting the backup timers"]);
    expect(srv.commands[0]).toMatch(/systemctl start aistudio-backup.timer aistudio-backup-check.timer/);
    const [stripped, swapped] = d.imports;
    expect(stripped.find((x) => x.urn.endsWith("::aistudio-dns"))!.dependencies).toEqual([]);
    expect(names(swapped)).toEqual(["aistudio", "aistudio-retired-server", "aistudio-eip", "aistudio-dns", "aistudio-server", "aistudio-standby-address"]);
    // the end: the EIP's association is to the new instance, nothing retired or temporary is left
    expect(names(d.state())).toEqual(["aistudio", "aistudio-eip", "aistudio-dns", "aistudio-server", "aistudio-eip-assoc"]);
    expect(d.state().find((x) => x.urn === MAIN_ASSOC)!.outputs).toEqual({ instanceId: "i-new" });
    expect(d.standby()).toBeUndefined();
  });

  it.each([
    { name: "the standby's creation", failUp: 1, error: /creating the standby failed \(exit 255\):\n.*QuotaExceeded/ },
    { name: "its convergence", failUp: 2, error: /converging the standby failed/ },
  ])("a failure of $name removes the standby and touches nothing else", async ({ failUp, error }) => {
    const d = engineDriver({ failUp });
    const r = await rebuildStandby(d.driver, view, { say, smoke: smokes().smoke, run: servers().run });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(error);
    expect(r.error).toMatch(/The old server was not changed and keeps serving/);
    expect(d.calls.slice(-2)).toEqual(["config rm aistudio:standby", "up"]);
    expect(d.calls.filter((c) => /destroy|import/.test(c))).toEqual([]);
    expect(names(d.state())).toEqual(names(serving()));
  });

  it("refuses a stack with pending changes before touching anything", async () => {
    const d = engineDriver({ pending: { same: 28, update: 2 } });
    const r = await rebuildStandby(d.driver, view, { say, smoke: smokes().smoke, run: servers().run });
    expect(r.error).toMatch(/pending changes \(update 2\).*pulumi up/);
    expect(d.calls).toEqual(["preview"]);
  });

  it("a refused delete of the EIP's association gives the switch up: the old server still has the EIP, so its app is revived and the standby released", async () => {
    const d = engineDriver({ failDestroy: true });
    const srv = servers();
    const r = await rebuildStandby(d.driver, view, { say, smoke: smokes().smoke, run: srv.run });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/deleting the EIP's association failed \(exit 255\), so the old server still has the EIP:\n.*IncorrectEipStatus/);
    expect(r.error).toMatch(/The switch was given up: the old app was revived/);
    expect(srv.runs).toEqual(["127.0.0.1: reviving the app"]);
    expect(srv.commands[0]).toMatch(/zz-retired.conf.*kill -CONT.*systemctl start aistudio.socket aistudio.service.*systemctl start aistudio-backup.timer/s);
    expect(d.calls.slice(-3)).toEqual(["destroy --target aistudio-eip-assoc,aistudio-standby-address-assoc", "config rm aistudio:standby", "up"]);
    expect(names(d.state())).toEqual(names(serving()));
    expect(d.standby()).toBeUndefined();
  });
});

describe("a rebuild that stopped half way is taken up by the next one", () => {
  const withStandby = () => [...serving(), ...standbyResources()];
  const swappedState = () => [
    { urn: COMPONENT, type: SERVER }, res(T.instance, "aistudio-retired-server", { id: "i-old" }), res(T.eip, "aistudio-eip"), res(T.dns, "aistudio-dns"),
    res(T.instance, "aistudio-server", { id: "i-new" }), res(T.eip, "aistudio-standby-address"),
  ];
  it.each([
    {
      name: "marked switching, before the associations were deleted",
      state: withStandby,
      standby: "switch",
      calls: ["import", "destroy --target aistudio-eip-assoc,aistudio-standby-address-assoc", "import", "config rm aistudio:standby", "up --target aistudio-eip-assoc", "up"],
    },
    {
      name: "after the associations were deleted",
      state: () => withStandby().filter((r) => !r.urn.endsWith("-assoc")).map((r) => ({ ...r, dependencies: [] })),
      standby: "switch",
      calls: ["import", "config rm aistudio:standby", "up --target aistudio-eip-assoc", "up"],
    },
    { name: "after the state was swapped", state: swappedState, standby: "switch", calls: ["config rm aistudio:standby", "up --target aistudio-eip-assoc", "up"] },
    { name: "after aistudio:standby was removed", state: swappedState, standby: undefined, calls: ["up --target aistudio-eip-assoc", "up"] },
  ])("switching, $name: the switch is finished, the EIP bound to the new instance", async ({ state, standby, calls }) => {
    const d = engineDriver({ state: state(), standby });
    const s = smokes();
    const srv = servers();
    const r = await rebuildStandby(d.driver, { ...view, config: { ...config, cloud: { ...config.cloud!, standby: standby as "switch" | undefined } } }, { say, smoke: s.smoke, run: srv.run });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    // no preview, no new standby, the old app never revived: only what was left of the switch
    expect(d.calls).toEqual(calls);
    expect(srv.runs).toEqual(["127.0.0.1: starting the backup timers"]);
    expect(s.seen).toHaveLength(1);
    expect(d.state().find((x) => x.urn === MAIN_ASSOC)!.outputs).toEqual({ instanceId: "i-new" });
    expect(names(d.state()).filter((n) => /standby|retired/.test(n))).toEqual([]);
  });

  it("switching, after the EIP was bound: only the full up is left", async () => {
    const bound = [...swappedState(), res(T.assoc, "aistudio-eip-assoc", { outputs: { instanceId: "i-new" } })];
    const d = engineDriver({ state: bound });
    const r = await rebuildStandby(d.driver, view, { say, smoke: smokes().smoke, run: servers().run });
    expect(r.ok).toBe(true);
    expect(d.calls).toEqual(["up"]);
    expect(names(d.state()).filter((n) => /standby|retired/.test(n))).toEqual([]);
  });

  it.each([
    { name: "after the standby's boot (its temporary association never made)", state: () => [...serving(), ...standbyResources().filter((r) => !r.urn.endsWith("-assoc"))], standby: "boot" },
    { name: "after its convergence (or a pause or retire of the old app)", state: () => [...serving(), ...standbyResources()], standby: "converge" },
    { name: "half released (aistudio:standby removed, the instance not yet deleted)", state: () => [...serving(), res(T.instance, "aistudio-standby-server")], standby: undefined },
  ])("a standby that never took over, $name: the old app is revived, the standby released, then the rebuild runs afresh", async ({ state, standby }) => {
    const d = engineDriver({ state: state(), standby });
    const srv = servers();
    const r = await rebuildStandby(d.driver, { ...view, config: { ...config, cloud: { ...config.cloud!, standby: standby as "boot" | undefined } } }, { say, smoke: smokes().smoke, run: srv.run });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(srv.runs[0]).toBe("127.0.0.1: reviving the app");
    const release = standby ? ["config rm aistudio:standby", "up"] : ["up"];
    expect(d.calls.slice(0, release.length + 1)).toEqual([...release, "preview"]);
    // and the new rebuild went all the way
    expect(d.calls.slice(-2)).toEqual(["up --target aistudio-eip-assoc", "up"]);
    expect(d.state().find((x) => x.urn === MAIN_ASSOC)!.outputs).toEqual({ instanceId: "i-new" });
  });

  it("tells the stages apart by the marker and the swap, never by a missing association", () => {
    expect(switchStage(undefined, serving())).toBe("clean");
    expect(switchStage("boot", serving())).toBe("standby");
    expect(switchStage("converge", [...serving(), ...standbyResources()])).toBe("standby");
    // a standby half built or half released lacks an association too: still a standby, not a switch
    expect(switchStage("boot", [...serving(), res(T.instance, "aistudio-standby-server")])).toBe("standby");
    expect(switchStage(undefined, [...serving(), res(T.instance, "aistudio-standby-server")])).toBe("standby");
    expect(switchStage("switch", [...serving(), ...standbyResources()])).toBe("switching");
    expect(switchStage(undefined, [res(T.instance, "aistudio-retired-server"), res(T.instance, "aistudio-server")])).toBe("switching");
  });
});

describe("the certificate a standby cannot request itself (tls.mode acme)", () => {
  it("goes over as base64 of certbot's directory, and nothing but base64 reaches the standby's shell", async () => {
    const { exportCertbotCommand, importCertbotCommand } = await import("../../provision/tls");
    expect(exportCertbotCommand()).toMatch(/tar -C \/etc -czf - letsencrypt \| base64 -w0$/);
    expect(importCertbotCommand("SGVsbG8=")).toContain("printf '%s' SGVsbG8= | base64 -d | tar -C /etc -xzf -");
    expect(() => importCertbotCommand("SGVs'; rm -rf / #")).toThrow(/not base64/);
  });
});
