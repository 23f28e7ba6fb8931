// The rolling deploy's logic without a load balancer: drain and restore (core/lb/pool.ts) against a
// scripted pool whose members change as a real one's do, the rollout's batches and release hash
// (infra/fleet/rollout.ts), and the doctor's verdict on one server (checks/doctor/fleet.ts).
import { describe, expect, it } from "vitest";
import { FULL_WEIGHT, MemberState, ServerPool, drain, inRotation, restore } from "../../core/lb/pool";
import { AHEAD_OF_ROLLOUT, batches, releaseOf } from "../../infra/fleet/rollout";
import { serverProblem } from "../../checks/doctor/fleet";
import { rotationRecord } from "../../infra/runner/rotation-impl";
import { probeDiff } from "../../checks/drift";
import { instanceUrnOf } from "../../stacks/fleet-rebuild";
import { STEP_NEEDS } from "../../infra/steps";
import type { Step } from "../../provision/step";

/** A pool whose members() answers the next of `states` for the member each time it is asked (the last one repeats). */
class ScriptedPool implements ServerPool {
  readonly name = "scripted pool";
  readonly weights: [string, number][] = [];
  private asked = 0;
  constructor(private readonly id: string, private readonly states: Partial<MemberState>[]) {}
  async members(): Promise<MemberState[]> {
    const s = this.states[Math.min(this.asked++, this.states.length - 1)];
    const weight = this.weights.length ? this.weights[this.weights.length - 1][1] : FULL_WEIGHT;
    return [{ id: this.id, weight, health: "healthy", detail: "L7OK 200", ...s }, { id: "other", weight: FULL_WEIGHT, health: "healthy", detail: "" }];
  }
  async setWeight(id: string, weight: number) { this.weights.push([id, weight]); }
  async close() {}
}

describe("drain", () => {
  it("sets weight 0 and returns once nothing is in flight", async () => {
    const p = new ScriptedPool("s1", [{ active: 3 }, { active: 3 }, { active: 1 }, { active: 0 }]);
    const progress: string[] = [];
    await drain(p, "s1", { timeoutMs: 5000, pollMs: 1, onProgress: (l) => progress.push(l) });
    expect(p.weights).toEqual([["s1", 0]]);
    expect(progress).toEqual(["draining s1: 3 in flight", "draining s1: 1 in flight"]);
  });

  it("gives a pool that does not count requests in flight (ALB) its drain time", async () => {
    const p = new ScriptedPool("s1", [{ active: undefined }]);
    const ms = await drain(p, "s1", { timeoutMs: 5000, pollMs: 5, minMs: 60 });
    expect(ms).toBeGreaterThanOrEqual(60);
  });

  it("does not wait for a member the load balancer already sends nothing (failing its checks)", async () => {
    const p = new ScriptedPool("s1", [{ health: "unhealthy", active: 0, detail: "L4CON" }, { active: 5 }]);
    await drain(p, "s1", { timeoutMs: 5000, pollMs: 1, minMs: 10_000 });
    expect(p.weights).toEqual([["s1", 0]]);
  });

  it("fails naming the member when it is still busy at the timeout, and leaves it out", async () => {
    const p = new ScriptedPool("s1", [{ active: 2 }]);
    await expect(drain(p, "s1", { timeoutMs: 30, pollMs: 5 })).rejects.toThrow(/s1 still serves 2 request\(s\).*scripted pool/);
    expect(p.weights).toEqual([["s1", 0]]);
  });

  it("refuses a member that is not in the pool, before changing anything", async () => {
    const p = new ScriptedPool("s1", [{}]);
    await expect(drain(p, "s9", { timeoutMs: 30 })).rejects.toThrow(/s9 is not a member of scripted pool/);
    expect(p.weights).toEqual([]);
  });
});

describe("restore", () => {
  it("puts the weight back and waits until the load balancer says healthy", async () => {
    const p = new ScriptedPool("s1", [{ health: "unhealthy", detail: "L7STS 502" }, { health: "unhealthy", detail: "L7STS 502" }, { health: "healthy" }]);
    const progress: string[] = [];
    await restore(p, "s1", { timeoutMs: 5000, pollMs: 1, onProgress: (l) => progress.push(l) });
    expect(p.weights).toEqual([["s1", FULL_WEIGHT]]);
    expect(progress).toEqual(["waiting for s1 to be healthy: unhealthy (L7STS 502)", "waiting for s1 to be healthy: unhealthy (L7STS 502)"]);
  });

  it("fails with the load balancer's words when the member never becomes healthy", async () => {
    const p = new ScriptedPool("s1", [{ health: "unhealthy", detail: "L4CON in 0ms" }]);
    await expect(restore(p, "s1", { timeoutMs: 30, pollMs: 5 })).rejects.toThrow(/s1 is not healthy in scripted pool .*\(unhealthy: L4CON in 0ms\)/);
  });
});

describe("in rotation", () => {
  const m = (o: Partial<MemberState>): MemberState => ({ id: "s1", weight: FULL_WEIGHT, health: "healthy", detail: "", ...o });
  it("is full weight and healthy, nothing less", () => {
    expect(inRotation(m({}))).toBe(true);
    expect(inRotation(m({ weight: 0 }))).toBe(false);
    expect(inRotation(m({ weight: FULL_WEIGHT - 1 }))).toBe(false);
    expect(inRotation(m({ health: "unhealthy" }))).toBe(false);
    expect(inRotation(m({ health: "unknown" }))).toBe(false);
  });
});

describe("the rollout's shape", () => {
  const step = (id: string, apply: string): Step => ({ id, description: id, files: [], apply, probe: "", needs: [] } as unknown as Step);

  it("goes maxUnavailable servers at a time, in order", () => {
    expect(batches(["a", "b", "c"], 1)).toEqual([["a"], ["b"], ["c"]]);
    expect(batches(["a", "b", "c", "d", "e"], 2)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(batches(["a", "b"], 0)).toEqual([["a"], ["b"]]);
  });

  it("a release is every step: any step's change rolls the server, the same steps roll nothing", () => {
    const one = [step("app", "echo 1"), step("nginx", "echo n")];
    expect(releaseOf(one)).toBe(releaseOf([step("app", "echo 1"), step("nginx", "echo n")]));
    expect(releaseOf(one)).not.toBe(releaseOf([step("app", "echo 2"), step("nginx", "echo n")]));
    expect(releaseOf(one)).not.toBe(releaseOf([step("app", "echo 1"), step("nginx", "echo N")]));
  });

  it("runs ahead only steps that do not touch what a server answers; app, nginx and TLS wait for the drain", () => {
    for (const id of AHEAD_OF_ROLLOUT) expect(Object.keys(STEP_NEEDS), id).toContain(id);
    for (const id of ["app", "nginx", "tls", "acme", "database", "backup"]) expect(AHEAD_OF_ROLLOUT, id).not.toContain(id);
  });
});

describe("the doctor's verdict on one server of a fleet", () => {
  const m = (o: Partial<MemberState>): MemberState => ({ id: "s1", weight: FULL_WEIGHT, health: "healthy", detail: "L7OK 200", ...o });
  it("is silent for a healthy server in rotation that answers directly", () => {
    expect(serverProblem(m({}), undefined)).toBeUndefined();
  });
  it("names each thing that is wrong", () => {
    expect(serverProblem(undefined, undefined)).toMatch(/not in the load balancer's server group/);
    expect(serverProblem(m({ weight: 0 }), undefined)).toMatch(/out of rotation \(weight 0\): a rollout stopped at it/);
    expect(serverProblem(m({ health: "unhealthy", detail: "L4TOUT in 2001ms" }), "GET /api/health: connect ETIMEDOUT"))
      .toBe("unhealthy in the load balancer's check (L4TOUT in 2001ms); direct: GET /api/health: connect ETIMEDOUT");
  });
});

describe("the rotation as drift sees it", () => {
  it("a server out of rotation is an item whose weight and health differ from full and healthy", () => {
    const expected = rotationRecord("fl-2", { weight: FULL_WEIGHT, health: "healthy" });
    expect(probeDiff(expected, expected)).toEqual([]);
    expect(probeDiff(expected, rotationRecord("fl-2", { weight: 0, health: "healthy" }))).toEqual([{ item: "rotation fl-2", expected: "weight=100", found: "weight=0" }]);
    expect(probeDiff(expected, rotationRecord("fl-2", { weight: 100, health: "unhealthy" }))).toEqual([{ item: "rotation fl-2", expected: "health=healthy", found: "health=unhealthy" }]);
  });
});

describe("a cloud fleet's rebuild finds each server's instance", () => {
  const urns = ["urn:pulumi:prod::aistudio::aistudio:cloud:AlicloudServer$alicloud:ecs/instance:Instance::aistudio-server",
    "urn:pulumi:prod::aistudio::aistudio:cloud:AlicloudServer$aistudio:cloud:ServerFleet$alicloud:ecs/instance:Instance::aistudio-server-2",
    "urn:pulumi:prod::aistudio::aistudio:cloud:AlicloudServer$aistudio:cloud:ServerFleet$alicloud:ecs/instance:Instance::aistudio-server-12"];
  it("by its name: the first, then -K (never -12 for 1 or 2)", () => {
    expect(instanceUrnOf(urns, 1)).toBe(urns[0]);
    expect(instanceUrnOf(urns, 2)).toBe(urns[1]);
    expect(instanceUrnOf(urns, 12)).toBe(urns[2]);
    expect(instanceUrnOf(urns, 3)).toBeUndefined();
  });
});
