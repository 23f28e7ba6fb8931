// A cloud rebuild's standby (aistudio:standby, stacks/rebuild-standby.ts) under Pulumi mocks: what the
// program declares beside the server while a rebuild runs, with the options that decide whether the
// switch keeps data (seen through a transformation, as in cloud-data.test.ts); and the tie between
// the program's names and the state rewrite of the switch (stacks/standby-swap.ts): the standby's
// URNs, promoted, are exactly the URNs the program declares in its normal mode.
import { beforeAll, describe, expect, it } from "vitest";
import type * as pulumiType from "@pulumi/pulumi";
import { ConfigError, parseConfig, type Raw } from "../../infra/config";
import { alicloudAdoptRaw, alicloudCreateRaw, alicloudFleetRaw, allConfigOf, localRaw } from "./fixtures";
import {
  EIP_ADDRESS, PRIVATE_IP, Recorded, SECRET_SIG, STANDBY_EIP, STANDBY_PRIVATE_IP, ZONE, idOf, one, ofType, outputValue, policyViolations, recordingMocks, settle, unwrapSecret, withoutSecrets,
} from "./pulumi-mocks";
import { applySwap, planSwap, StateResource, twinName } from "../../stacks/standby-swap";

const T = {
  instance: "alicloud:ecs/instance:Instance",
  eip: "alicloud:ecs/eipAddress:EipAddress",
  assoc: "alicloud:ecs/eipAssociation:EipAssociation",
  disk: "alicloud:ecs/ecsDisk:EcsDisk",
  diskAttach: "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment",
  snapPolicy: "alicloud:ecs/autoSnapshotPolicy:AutoSnapshotPolicy",
  snapAttach: "alicloud:ecs/ecsAutoSnapshotPolicyAttachment:EcsAutoSnapshotPolicyAttachment",
  rds: "alicloud:rds/instance:Instance",
  provisioning: "aistudio:server:Provisioning",
  dynamic: "pulumi-nodejs:dynamic:Resource",
};

const RDS: Raw = {
  database: { mode: "external", name: "photos", user: "photos_app", rds: { instanceType: "pg.n2.2c.1m", storageGb: 50, engineVersion: "16.0" } },
  databasePassword: "Db-Passw0rd-0123456789",
};

interface Registered extends Recorded {
  urn: string;
  parentUrn?: string;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
}

/**
 * Runs the whole program (infra/index.ts) with `raw` as the prod stack's config under recording mocks.
 * A stack transformation sees every resource with its parent, from which the URNs are built the way
 * the engine builds them (the whole chain of parent types; the mock monitor keeps only the last).
 */
async function runProgram(raw: Raw): Promise<{ resources: Registered[]; outputs: Record<string, unknown> }> {
  const { vi } = await import("vitest");
  vi.resetModules();
  const pulumi: typeof pulumiType = await import("@pulumi/pulumi");
  const { mocks, recorded } = recordingMocks();
  await pulumi.runtime.setMocks(mocks, "aistudio", "prod", false);
  pulumi.runtime.setAllConfig(allConfigOf(raw), Object.keys(raw).filter((k) => /Key$|Password|Secret/.test(k)).map((k) => `aistudio:${k}`));
  const seen: { resource: pulumiType.Resource; type: string; name: string; parent?: pulumiType.Resource; opts: pulumiType.CustomResourceOptions }[] = [];
  // the program runs inside a root stack resource, as `pulumi up` runs it: stack transformations need one
  let program: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((a) => {
      seen.push({ resource: a.resource, type: a.type, name: a.name, parent: a.opts.parent, opts: a.opts as pulumiType.CustomResourceOptions });
      return undefined;
    });
    program = await import("../../infra/index");
    return {};
  });
  const outputs: Record<string, unknown> = {};
  for (const k of ["standbyAddress", "publicIp"] as const) {
    const v = program[k];
    outputs[k] = pulumi.Output.isInstance(v) ? await outputValue(v as pulumiType.Output<unknown>) : v;
  }
  await settle(pulumi);
  const chainOf = new Map<pulumiType.Resource, string>();
  const chain = (s: (typeof seen)[number]): string => {
    const p = s.parent && seen.find((x) => x.resource === s.parent);
    return p ? `${chain(p)}$${s.type}` : s.type;
  };
  const urnOf = (s: (typeof seen)[number]) => `urn:pulumi:prod::aistudio::${chain(s)}::${s.name}`;
  for (const s of seen) chainOf.set(s.resource, urnOf(s));
  const resources = seen.filter((s) => s.type !== "pulumi:pulumi:Stack").map((s) => {
    const r = recorded.find((x) => x.type === s.type && x.name === s.name);
    return {
      ...(r ?? { type: s.type, name: s.name, inputs: {}, id: "" }),
      urn: urnOf(s),
      parentUrn: s.parent ? chainOf.get(s.parent) : undefined,
      protect: !!s.opts.protect,
      retainOnDelete: !!s.opts.retainOnDelete,
      deleteBeforeReplace: !!s.opts.deleteBeforeReplace,
      ignoreChanges: s.opts.ignoreChanges ?? [],
    };
  });
  return { resources, outputs };
}

const named = (rs: Registered[], type: string, name: string): Registered => {
  const found = rs.filter((r) => r.type === type && r.name === name);
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0];
};

/** A state made of what the program registered, in registration order (the engine's order too). */
const stateOf = (rs: Registered[]): StateResource[] => rs.map((r) => ({ urn: r.urn, type: r.type, parent: r.parentUrn, protect: r.protect, retainOnDelete: r.retainOnDelete, dependencies: r.parentUrn ? [r.parentUrn] : [] }));

describe("aistudio:standby in the config", () => {
  it("takes boot or converge on a created server, and nothing else anywhere else", () => {
    const problems = (raw: Raw, stack = "prod") => {
      try {
        parseConfig(raw, stack);
        return [];
      } catch (e) {
        return (e as ConfigError).problems.filter((p) => p.key === "standby");
      }
    };
    expect(problems(alicloudCreateRaw({ standby: "boot" }))).toEqual([]);
    expect(problems(alicloudCreateRaw({ standby: "converge" }))).toEqual([]);
    expect(problems(alicloudCreateRaw({ standby: "yes" }))[0].message).toMatch(/must be "boot", "converge" or "switch".*pulumi config rm aistudio:standby --stack prod/);
    expect(problems(localRaw({ standby: "boot" }), "local")[0].message).toMatch(/only for a created Alibaba Cloud server/);
    expect(problems(alicloudAdoptRaw({ standby: "boot" }))[0].message).toMatch(/only for a created Alibaba Cloud server/);
    expect(problems(alicloudFleetRaw({ standby: "boot" }))[0].message).toMatch(/one server/);
  });
});

describe("the system image of every ECS instance", () => {
  it("a fleet's servers do not follow a newer image either", async () => {
    const { resources } = await runProgram(alicloudFleetRaw());
    const instances = resources.filter((x) => x.type === T.instance);
    expect(instances.length).toBe(3);
    for (const r of instances) expect(r.ignoreChanges, r.name).toEqual(["imageId"]);
  }, 60_000);
});

describe("the standby beside a prod server (backups, data disk, RDS)", () => {
  let normal: Registered[];
  let boot: Registered[];
  let converge: { resources: Registered[]; outputs: Record<string, unknown> };
  beforeAll(async () => {
    normal = (await runProgram(alicloudCreateRaw(RDS))).resources;
    boot = (await runProgram(alicloudCreateRaw({ ...RDS, standby: "boot" }))).resources;
    converge = await runProgram(alicloudCreateRaw({ ...RDS, standby: "converge" }));
  }, 60_000);

  it("the normal program declares no standby", () => {
    expect(normal.filter((r) => r.name.includes("standby"))).toEqual([]);
  });

  it("the standby instance has every input of the server's (name, host name, spec, host key's user data)", () => {
    const server = named(boot, T.instance, "aistudio-server");
    const standby = named(boot, T.instance, "aistudio-standby-server");
    expect(standby.inputs).toEqual(server.inputs);
    expect(standby.inputs.instanceName).toBe("aistudio-server");
    expect(String(unwrapSecret(standby.inputs.userData))).toContain("ed25519_private");
  });

  it("neither instance follows a newer system image (the provider would replace a running server's system disk): a rebuild moves to it", () => {
    for (const r of boot.filter((x) => x.type === T.instance)) expect(r.ignoreChanges, r.name).toEqual(["imageId"]);
  });

  it("it is reached at a temporary EIP of its own, not protected; the server's EIP is kept and moves delete-first", () => {
    const address = named(boot, T.eip, "aistudio-standby-address");
    expect(address.protect).toBe(false);
    expect(named(boot, T.eip, "aistudio-eip").protect).toBe(true);
    expect(named(boot, T.assoc, "aistudio-standby-address-assoc").inputs).toMatchObject({ allocationId: idOf("aistudio-standby-address"), instanceId: idOf("aistudio-standby-server") });
    const main = named(boot, T.assoc, "aistudio-eip-assoc");
    expect(main.inputs).toMatchObject({ allocationId: idOf("aistudio-eip"), instanceId: idOf("aistudio-server") });
    // an EIP is bound to one instance at a time: the new association only after the old one is gone
    expect(main.deleteBeforeReplace).toBe(true);
  });

  it("it gets a blank encrypted disk of its own in the same zone, snapshotted by the same policy, not protected until the switch", () => {
    const disk = named(boot, T.disk, "aistudio-data");
    const twin = named(boot, T.disk, "aistudio-standby-data");
    expect(twin.inputs).toEqual(disk.inputs);
    expect(twin.inputs).toMatchObject({ zoneId: ZONE, encrypted: true, deleteWithInstance: false, diskName: "aistudio-data" });
    expect([disk.protect, disk.retainOnDelete]).toEqual([true, true]);
    expect([twin.protect, twin.retainOnDelete]).toEqual([false, false]);
    expect(named(boot, T.diskAttach, "aistudio-standby-data-attach").inputs).toMatchObject({ diskId: idOf("aistudio-standby-data"), instanceId: idOf("aistudio-standby-server") });
    expect(ofType(boot, T.snapPolicy)).toHaveLength(1);
    expect(named(boot, T.snapAttach, "aistudio-standby-data-snapshots-attach").inputs).toMatchObject({ diskId: idOf("aistudio-standby-data"), autoSnapshotPolicyId: idOf("aistudio-data-snapshots") });
  });

  it("RDS admits the standby's private address beside the server's, and no other; the normal program only the server's", () => {
    expect(one(boot, T.rds).inputs.securityIps).toEqual([`${PRIVATE_IP}/32`, `${STANDBY_PRIVATE_IP}/32`]);
    expect(one(normal, T.rds).inputs.securityIps).toEqual([`${PRIVATE_IP}/32`]);
  });

  it("the policy pack passes the standby's resources", async () => {
    expect(await policyViolations(boot)).toEqual([]);
  });

  it("boot declares the standby's machine only; converge runs every step and the smoke test on it, at its address", () => {
    expect(boot.filter((r) => r.type === T.provisioning).map((r) => r.name)).toEqual(["aistudio"]);
    expect(converge.outputs.standbyAddress).toBe(STANDBY_EIP);
    expect(converge.outputs.publicIp).toBe(EIP_ADDRESS);
    const standbySteps = converge.resources.filter((r) => r.parentUrn?.endsWith(`${T.provisioning}::aistudio-standby`));
    const mainSteps = converge.resources.filter((r) => r.parentUrn?.endsWith(`${T.provisioning}::aistudio`));
    expect(standbySteps.length).toBeGreaterThan(5);
    expect(standbySteps.map((r) => twinName(r.name, "aistudio")).sort()).toEqual(mainSteps.map((r) => r.name).sort());
    // the same steps but for the backup timers, off until the switch (and the fingerprint over them)
    const hashOf = (rs: Registered[], name: string) => rs.find((r) => r.name === name)?.inputs.hash;
    const differ = mainSteps.filter((m) => m.inputs.hash !== undefined && hashOf(standbySteps, m.name.replace(/^aistudio-/, "aistudio-standby-")) !== m.inputs.hash).map((m) => m.name);
    expect(differ.sort()).toEqual(["aistudio-backup", "aistudio-fingerprint"]);
    for (const s of standbySteps) {
      const connection = unwrapSecret(s.inputs.connection);
      if (s.name === "aistudio-standby-smoke") expect(s.inputs.connectTo).toBe(STANDBY_EIP);
      else expect(s.inputs.serverId).toBe(idOf("aistudio-standby-server"));
      expect(connection.host, s.name).toBe(STANDBY_EIP);
    }
  });

  it("the standby's steps hold the secrets only inside secret values", () => {
    const raw = alicloudCreateRaw(RDS);
    const secrets = [raw.sshPrivateKey, raw.sshHostPrivateKey, raw.databasePassword, raw.backupPassword, raw.backupSecretAccessKey].map(String);
    const standby = converge.resources.filter((r) => r.name.includes("standby"));
    expect(JSON.stringify(standby.map((r) => r.inputs))).toContain(SECRET_SIG);
    const plain = JSON.stringify(standby.map((r) => withoutSecrets(r.inputs)));
    for (const s of secrets) expect(plain).not.toContain(s.trim().split("\n")[1] ?? s);
  });

  it("the switch's rewrite turns the standby's URNs into exactly the URNs of the normal program", () => {
    const state = stateOf(converge.resources);
    const plan = planSwap(state);
    const after = (applySwap({ version: 3, deployment: { resources: state } }, plan).deployment as { resources: StateResource[] }).resources;
    // what the next normal `up` finds: its own URNs, plus what it deletes (retired, temporary address)
    const leftover = after.map((r) => r.urn).filter((u) => /::aistudio-(retired|standby)-/.test(u));
    expect(leftover.map((u) => u.split("::").pop()).sort()).toEqual([
      "aistudio-retired-data", "aistudio-retired-data-attach", "aistudio-retired-data-snapshots-attach", "aistudio-retired-server",
      "aistudio-standby-address", "aistudio-standby-address-assoc",
    ]);
    expect(after.map((r) => r.urn).filter((u) => !leftover.includes(u)).sort()).toEqual(normal.map((r) => r.urn).sort());
    // the old server's step records are gone, the standby's are the server's
    const promoted = new Map(plan.promote);
    expect(promoted.get(named(converge.resources, T.instance, "aistudio-standby-server").urn)).toBe(named(normal, T.instance, "aistudio-server").urn);
    const oldRecords = converge.resources.filter((r) => (r.type === T.provisioning && r.name === "aistudio") || r.parentUrn === `urn:pulumi:prod::aistudio::${T.provisioning}::aistudio`);
    expect(oldRecords.length).toBeGreaterThan(5);
    expect([...plan.drop].sort()).toEqual(oldRecords.map((r) => r.urn).sort());
    // the retired disk can be deleted from the stack (retainOnDelete keeps it in the account)
    expect(after.find((r) => r.urn.endsWith("::aistudio-retired-data"))).toMatchObject({ protect: false, retainOnDelete: true });
    // the promoted disk is kept as the old one was, before any `up` (a switch can stop before one)
    expect(after.find((r) => r.urn.endsWith("::aistudio-data"))).toMatchObject({ protect: true, retainOnDelete: true });
    // every parent precedes its children
    const index = new Map(after.map((r, i) => [r.urn, i]));
    for (const r of after) if (r.parent) expect(index.get(r.parent), r.urn).toBeLessThan(index.get(r.urn)!);
  });
});
