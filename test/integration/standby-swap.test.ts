// The state surgery of a cloud rebuild beside the old server (stacks/standby-swap.ts), run by the real
// Pulumi engine on a stand-in of the program: no cloud and no test host. Every cloud resource is a
// dynamic resource whose provider appends `create|update|delete <id>` to a log file, so the test sees
// exactly which provider calls the engine made. The flow is the rebuild's:
//   up (normal) → up (standby) → withoutDependencyOn the associations, import → destroy --target the
//   two address associations → export, planSwap, applySwap, import → up --target the main association
//   (normal mode) → up (full) → preview.
import { afterAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Deployment, EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { pulumiEnv } from "../../stacks/driver";
import { applySwap, planSwap, StateResource, withoutDependencyOn } from "../../stacks/standby-swap";

const REPO = path.resolve(__dirname, "../..");
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

// The provider is serialized into the provider process: it captures nothing from this file (the log
// path comes in as an input) and uses only require("fs"). Ids are `<kind>-<n>`, n = the log's line
// count + 1, so every id ever handed out is unique. No diff: the engine diffs the inputs itself, and
// a changed input is an update (never a replace), which the log would show.
const provider: pulumi.dynamic.ResourceProvider = {
  create: async (inputs: any) => {
    const fs = require("fs");
    const n = fs.existsSync(inputs.log) ? fs.readFileSync(inputs.log, "utf8").split("\n").filter(Boolean).length : 0;
    const id = `${inputs.kind}-${n + 1}`;
    fs.appendFileSync(inputs.log, `create ${id}\n`);
    return { id, outs: { ...inputs } };
  },
  update: async (id: string, _olds: any, news: any) => {
    require("fs").appendFileSync(news.log, `update ${id}\n`);
    return { outs: { ...news } };
  },
  delete: async (id: string, props: any) => {
    require("fs").appendFileSync(props.log, `delete ${id}\n`);
  },
};

class Cloud extends pulumi.dynamic.Resource {
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    // a copy: dynamic.Resource adds __provider to the object it gets (a shared spec would carry it)
    super(provider, name, { ...props }, opts);
  }
}

class Component extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs({});
  }
}

/**
 * The stand-in of infra/index.ts with the cloud server, its data disk and the server's steps.
 * `stepsWaitForServer`: the step components have dependsOn the server component, as in infra/index.ts.
 */
function program(log: string, o: { stepsWaitForServer: boolean }) {
  return async () => {
    const standby = new pulumi.Config("aistudio").get("standby") !== undefined;
    // same spec for the server and its standby (the real program declares both from one config)
    const spec = { log, kind: "server", instanceType: "ecs.c7.large", image: "debian_12" };
    const srv = new Component("aistudio:cloud:AlicloudServer", "aistudio");
    const eip = new Cloud("aistudio-eip", { log, kind: "eip" }, { parent: srv, protect: true });
    const server = new Cloud("aistudio-server", spec, { parent: srv });
    const assoc = new Cloud("aistudio-eip-assoc", { log, kind: "eip-assoc", allocationId: eip.id, instanceId: server.id }, { parent: srv });
    // as infra/components/cloud.ts: the DNS record waits for the association
    new Cloud("aistudio-dns", { log, kind: "dns", value: eip.id }, { parent: srv, dependsOn: [assoc] });
    let standbyServer: Cloud | undefined;
    if (standby) {
      standbyServer = new Cloud("aistudio-standby-server", spec, { parent: srv });
      const address = new Cloud("aistudio-standby-address", { log, kind: "eip" }, { parent: srv });
      new Cloud("aistudio-standby-address-assoc", { log, kind: "eip-assoc", allocationId: address.id, instanceId: standbyServer.id }, { parent: srv });
    }

    const data = new Component("aistudio:cloud:DataStore", "aistudio", { parent: srv });
    const diskSpec = { log, kind: "disk", size: 40 };
    const disk = new Cloud("aistudio-data", diskSpec, { parent: data, protect: true, retainOnDelete: true });
    new Cloud("aistudio-data-attach", { log, kind: "attach", diskId: disk.id, instanceId: server.id }, { parent: data, dependsOn: [disk, server] });
    let standbyDisk: Cloud | undefined;
    if (standbyServer) {
      // as infra/components/data-cloud.ts: unprotected until the switch (a rebuild that gives up deletes it)
      standbyDisk = new Cloud("aistudio-standby-data", diskSpec, { parent: data });
      new Cloud("aistudio-standby-data-attach", { log, kind: "attach", diskId: standbyDisk.id, instanceId: standbyServer.id }, { parent: data, dependsOn: [standbyDisk, standbyServer] });
    }

    // The steps' `host` is their server's id: the standby's steps get the standby server's, so once
    // the swap gives them the main names the normal program declares the very same host for them
    // (no update at all; stricter than the real runner, which would also accept a host-only update).
    // With stepsWaitForServer both step components wait for the whole server component, as in
    // infra/index.ts: dependsOn a component records a dependency on every resource under it, the
    // address associations too.
    const steps = (name: string, host: pulumi.Input<string>) => {
      const p = new Component("aistudio:server:Provisioning", name, o.stepsWaitForServer ? { dependsOn: [srv] } : undefined);
      const packages = new Cloud(`${name}-packages`, { log, kind: "step", step: "packages", host }, { parent: p });
      new Cloud(`${name}-app`, { log, kind: "step", step: "app", host }, { parent: p, dependsOn: [packages] });
    };
    steps("aistudio", server.id);
    if (standbyServer) steps("aistudio-standby", standbyServer.id);

    return { serverId: server.id, diskId: disk.id, standbyServerId: standbyServer?.id, standbyDiskId: standbyDisk?.id };
  };
}

interface Step { op: string; name: string; type: string }

/** A stack of the stand-in program in its own temp dir (file backend, PULUMI_HOME, provider log). */
class Harness {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-standby-swap-"));
  readonly log = path.join(this.dir, "provider.log");
  stack!: Stack;

  async open(o: { stepsWaitForServer: boolean }): Promise<this> {
    const env = pulumiEnv({
      name: "swap",
      env: {
        PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "standby-swap-test",
        PULUMI_HOME: path.join(this.dir, "home"),
        // the dynamic-provider launcher resolves @pulumi/pulumi from its cwd (the temp work dir)
        NODE_PATH: path.join(REPO, "node_modules"),
      },
    });
    // as StackDriver.open: the CLI found by the driver's toolchainBin is first on PATH
    const bin = env.PATH.split(":")[0];
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(bin), skipVersionCheck: true });
    const workDir = path.join(this.dir, "work");
    fs.mkdirSync(workDir);
    this.stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "swap", projectName: "standbyswap", program: program(this.log, o) },
      { workDir, envVars: env, pulumiCommand, pulumiHome: env.PULUMI_HOME, projectSettings: { name: "standbyswap", runtime: "nodejs", backend: { url: env.PULUMI_BACKEND_URL } } },
    );
    return this;
  }

  lines(): string[] {
    return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8").split("\n").filter(Boolean) : [];
  }

  /** Runs an engine op; returns its result, its steps (from the engine events) and the provider calls it made. */
  async run<T>(op: (onEvent: (e: EngineEvent) => void) => Promise<T>): Promise<{ result: T; steps: Step[]; calls: string[] }> {
    const before = this.lines().length;
    const steps: Step[] = [];
    const result = await op((e) => {
      const m = e.resourcePreEvent?.metadata;
      if (m) steps.push({ op: m.op, name: m.urn.split("::").pop()!, type: m.urn.split("::")[2] });
    });
    const r = { result, steps, calls: this.lines().slice(before) };
    return r;
  }

  async state(): Promise<StateResource[]> {
    return ((await this.stack.exportStack()).deployment.resources ?? []) as StateResource[];
  }

  cleanup(): void {
    if (process.env.KEEP_SWAP_DIR) console.error(`[standby-swap] kept ${this.dir}`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const byName = (rs: StateResource[], name: string) => rs.filter((r) => r.urn.endsWith(`::${name}`));
const urnOf = (rs: StateResource[], name: string): string => {
  const found = byName(rs, name);
  if (found.length !== 1) throw new Error(`${found.length} resources named ${name} in the state`);
  return found[0].urn;
};
const outputs = (r: StateResource) => r.outputs as Record<string, string>;
/** Name -> provider id of every dynamic resource in a state. */
const ids = (rs: StateResource[]) => Object.fromEntries(rs.filter((r) => r.type === DYNAMIC).map((r) => [r.urn.split("::").pop()!, r.id as string]));
// The resources' changes. The default provider of the dynamic resources is left out: the stack's
// config is among its inputs, so setting or removing aistudio:standby updates it (no resource changes).
const changed = (steps: Step[]) => steps.filter((s) => s.op !== "same" && !s.type.startsWith("pulumi:providers:")).map((s) => `${s.op} ${s.name}`).sort();
const providerSteps = (steps: Step[]) => steps.filter((s) => s.op !== "same" && s.type.startsWith("pulumi:providers:")).map((s) => `${s.op} ${s.name}`);

describe("standby swap on the real engine (dynamic stand-ins, file backend)", () => {
  const harnesses: Harness[] = [];
  const harness = async (o: { stepsWaitForServer: boolean }) => {
    const h = new Harness();
    harnesses.push(h);
    return h.open(o);
  };
  afterAll(() => harnesses.forEach((h) => h.cleanup()));

  it("promotes the standby: the normal program then finds the new server and deletes only the old one", async () => {
    const h = await harness({ stepsWaitForServer: true });
    const { stack } = h;
    // (0) the stack as it runs today
    const first = await h.run((onEvent) => stack.up({ onEvent }));
    expect(first.calls.filter((c) => c.startsWith("create")).length).toBe(8); // eip, server, assoc, dns, disk, attach, 2 steps
    const normal = ids(await h.state());

    // the rebuild declares the standby beside the server
    await stack.setConfig("aistudio:standby", { value: "converge" });
    const up = await h.run((onEvent) => stack.up({ onEvent }));
    expect(changed(up.steps)).toEqual([
      "create aistudio-standby", "create aistudio-standby-address", "create aistudio-standby-address-assoc", "create aistudio-standby-app",
      "create aistudio-standby-data", "create aistudio-standby-data-attach", "create aistudio-standby-packages", "create aistudio-standby-server",
    ]);
    const withStandby = await h.state();
    const standbyIds = ids(withStandby);
    const newServer = standbyIds["aistudio-standby-server"];
    const newDisk = standbyIds["aistudio-standby-data"];
    expect(up.result.outputs.standbyServerId.value).toBe(newServer);
    expect(up.result.outputs.standbyDiskId.value).toBe(newDisk);

    // (1) both address associations go
    // (the main association's URN is kept from here: after the destroy it is in no state)
    const mainAssoc = urnOf(withStandby, "aistudio-eip-assoc");
    const assocs = [mainAssoc, urnOf(withStandby, "aistudio-standby-address-assoc")];
    // as the rebuild does: nothing recorded as depending on them (the step components do, below)
    for (const p of withStandby.filter((r) => r.type === "aistudio:server:Provisioning")) expect(p.dependencies).toEqual(expect.arrayContaining(assocs));
    await stack.importStack(withoutDependencyOn(await stack.exportStack(), assocs));
    const destroyed = await h.run((onEvent) => stack.destroy({ onEvent, target: assocs }));
    expect(changed(destroyed.steps)).toEqual(["delete aistudio-eip-assoc", "delete aistudio-standby-address-assoc"]);
    expect(destroyed.calls.sort()).toEqual([`delete ${normal["aistudio-eip-assoc"]}`, `delete ${standbyIds["aistudio-standby-address-assoc"]}`].sort());

    // (2) the swap
    const exported = await stack.exportStack();
    const plan = planSwap(exported.deployment.resources, "aistudio", { serverType: DYNAMIC });
    const names = (urns: string[]) => urns.map((u) => u.split("::").pop()).sort();
    expect(names(plan.promote.map(([from]) => from))).toEqual([
      "aistudio-standby", "aistudio-standby-app", "aistudio-standby-data", "aistudio-standby-data-attach", "aistudio-standby-packages", "aistudio-standby-server",
    ]);
    expect(names(plan.retire.map(([, to]) => to))).toEqual(["aistudio-retired-data", "aistudio-retired-data-attach", "aistudio-retired-server"]);
    expect(names(plan.drop)).toEqual(["aistudio", "aistudio-app", "aistudio-packages"]);
    await stack.importStack(applySwap(exported, plan));
    const swapped = await h.state();
    expect(ids(swapped)["aistudio-server"]).toBe(newServer);
    expect(ids(swapped)["aistudio-data"]).toBe(newDisk);
    expect(ids(swapped)["aistudio-retired-server"]).toBe(normal["aistudio-server"]);
    expect(byName(swapped, "aistudio-retired-data")[0]).toMatchObject({ id: normal["aistudio-data"], retainOnDelete: true });
    expect(byName(swapped, "aistudio-retired-data")[0].protect).toBeFalsy();
    // the promoted disk is kept as the old one was (applySwap), before any `up`
    expect(byName(swapped, "aistudio-data")[0]).toMatchObject({ protect: true, retainOnDelete: true });

    // (3) normal mode, only the main association: it comes back, to the new server
    await stack.removeConfig("aistudio:standby");
    const targetedUp = await h.run((onEvent) => stack.up({ onEvent, target: [mainAssoc] }));
    expect(changed(targetedUp.steps)).toEqual(["create aistudio-eip-assoc"]);
    expect(targetedUp.calls).toHaveLength(1);
    expect(targetedUp.calls[0]).toMatch(/^create eip-assoc-\d+$/);
    const beforeFull = await h.state();
    const assoc = byName(beforeFull, "aistudio-eip-assoc")[0];
    expect(outputs(assoc).instanceId).toBe(newServer);
    expect(outputs(assoc).allocationId).toBe(normal["aistudio-eip"]);
    // nothing else moved: the retired resources and the temporary address are still there
    for (const n of ["aistudio-retired-server", "aistudio-retired-data", "aistudio-retired-data-attach", "aistudio-standby-address"]) expect(byName(beforeFull, n)).toHaveLength(1);

    // (4) the full up in the normal mode
    const fullUp = await h.run((onEvent) => stack.up({ onEvent }));
    expect(changed(fullUp.steps)).toEqual(["delete aistudio-retired-data", "delete aistudio-retired-data-attach", "delete aistudio-retired-server", "delete aistudio-standby-address"]);
    expect(fullUp.calls.sort()).toEqual([
      `delete ${normal["aistudio-data-attach"]}`, `delete ${normal["aistudio-server"]}`, `delete ${standbyIds["aistudio-standby-address"]}`,
    ].sort());
    // the attachment goes before the instance it is on
    expect(fullUp.calls.indexOf(`delete ${normal["aistudio-data-attach"]}`)).toBeLessThan(fullUp.calls.indexOf(`delete ${normal["aistudio-server"]}`));
    // the old disk leaves the state, not the account (retainOnDelete): no provider delete for it
    expect(fullUp.calls).not.toContain(`delete ${normal["aistudio-data"]}`);
    expect(fullUp.result.summary.resourceChanges).toMatchObject({ delete: 4 });
    expect(fullUp.result.summary.resourceChanges?.create ?? 0).toBe(0);
    expect(fullUp.result.summary.resourceChanges?.update ?? 0).toBe(0);
    expect(fullUp.result.summary.resourceChanges?.replace ?? 0).toBe(0);
    // the promoted server and disk are the ones the standby up created
    expect(fullUp.result.outputs.serverId.value).toBe(newServer);
    expect(fullUp.result.outputs.diskId.value).toBe(newDisk);
    for (const s of fullUp.steps.filter((x) => ["aistudio-server", "aistudio-data", "aistudio-data-attach", "aistudio-packages", "aistudio-app", "aistudio-eip", "aistudio-eip-assoc"].includes(x.name))) {
      expect(s.op, s.name).toBe("same");
    }

    const final = await h.state();
    // the program declares the server's disk protected and retained: the promoted disk now is
    expect(byName(final, "aistudio-data")[0]).toMatchObject({ protect: true, retainOnDelete: true });
    expect(final.filter((r) => /-standby|-retired/.test(r.urn)).map((r) => r.urn)).toEqual([]);
    expect(ids(final)).toEqual({
      "aistudio-eip": normal["aistudio-eip"],
      "aistudio-dns": normal["aistudio-dns"],
      "aistudio-server": newServer,
      "aistudio-eip-assoc": byName(beforeFull, "aistudio-eip-assoc")[0].id,
      "aistudio-data": newDisk,
      "aistudio-data-attach": standbyIds["aistudio-standby-data-attach"],
      "aistudio-packages": standbyIds["aistudio-standby-packages"],
      "aistudio-app": standbyIds["aistudio-standby-app"],
    });
    // the new server's steps, the only step records left, name the new server as their host
    expect(outputs(byName(final, "aistudio-packages")[0]).host).toBe(newServer);

    // a second run changes nothing
    const preview = await h.run((onEvent) => stack.preview({ onEvent }));
    expect(changed(preview.steps)).toEqual([]);
    expect(providerSteps(preview.steps)).toEqual([]);
    expect(Object.entries(preview.result.changeSummary).filter(([k, v]) => k !== "same" && v)).toEqual([]);
    expect(preview.calls).toEqual([]);
  }, 300_000);

  // infra/index.ts declares both step components with dependsOn [cloud]: the state then records a
  // dependency of each on every resource under the server component, the two associations too, and
  // the engine refuses step (1)'s targeted destroy. This is why the rebuild (stacks/rebuild-standby.ts)
  // imports the state withoutDependencyOn the associations first (the test above).
  it("engine: destroy --target of the associations is refused while the step components depend on the server component", async () => {
    const h = await harness({ stepsWaitForServer: true });
    const { stack } = h;
    await stack.up();
    await stack.setConfig("aistudio:standby", { value: "converge" });
    await stack.up();
    const rs = await h.state();
    const assocs = [urnOf(rs, "aistudio-eip-assoc"), urnOf(rs, "aistudio-standby-address-assoc")];
    for (const p of rs.filter((r) => r.type === "aistudio:server:Provisioning")) expect(p.dependencies).toEqual(expect.arrayContaining(assocs));
    const before = h.lines().length;
    const err = await stack.destroy({ target: assocs }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/Resource 'urn:pulumi:swap::standbyswap::aistudio:server:Provisioning::aistudio' will be destroyed but was not specified in --target list/);
    expect(err?.message).toMatch(/pass --target-dependents to proceed/);
    // nothing was deleted
    expect(h.lines().slice(before)).toEqual([]);
    expect((await h.state()).map((r) => r.urn)).toEqual(rs.map((r) => r.urn));
  }, 120_000);

  it("applySwap refuses a state with pending operations", () => {
    const d: Deployment = {
      version: 3,
      deployment: {
        resources: [],
        pending_operations: [{ resource: { urn: "urn:pulumi:s::p::t::aistudio-server" }, type: "creating" }],
      },
    };
    expect(() => applySwap(d, { promote: [], retire: [], drop: [] })).toThrow(/1 pending operation\(s\)/);
  });

  it("planSwap refuses while a retired resource from an earlier rebuild is still in the state", () => {
    const p = "urn:pulumi:s::p::aistudio:cloud:AlicloudServer$pulumi-nodejs:dynamic:Resource";
    const rs: StateResource[] = ["aistudio-server", "aistudio-standby-server", "aistudio-retired-server"].map((n) => ({ urn: `${p}::${n}`, type: DYNAMIC }));
    expect(() => planSwap(rs, "aistudio", { serverType: DYNAMIC })).toThrow(/aistudio-retired-server is still in the state/);
    // and without it the same state plans
    expect(planSwap(rs.slice(0, 2), "aistudio", { serverType: DYNAMIC }).retire).toEqual([[`${p}::aistudio-server`, `${p}::aistudio-retired-server`]]);
  });
});
