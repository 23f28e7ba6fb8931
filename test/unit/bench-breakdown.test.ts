// The bench's cold-provision breakdown (issue #14): our phases from the engine's timeline, the
// floor's from the marks its script prints on the host.
import { describe, expect, it } from "vitest";
import { medianPhases, oursPhases } from "../../bench/breakdown";
import { floorPhases } from "../../bench/floor";

describe("cold-provision breakdown", () => {
  it("ours: engine start, each step in start order (overlapping ones in full), smoke, engine end; the stack and unchanged resources left out", () => {
    const phases = oursPhases([
      { name: "aistudio-bn1o0", type: "pulumi:pulumi:Stack", op: "create", start: 0.1, end: 30 },
      { name: "aistudio", type: "aistudio:server:Provisioning", op: "create", start: 0.9, end: 29 },
      { name: "aistudio-packages", type: "aistudio:server:Provisioning$pulumi-nodejs:dynamic:Resource", op: "create", start: 1.2, end: 16.2 },
      { name: "aistudio-app", type: "x", op: "create", start: 16.3, end: 19.3 },
      { name: "aistudio-firewall", type: "x", op: "create", start: 16.3, end: 17.3 },
      { name: "aistudio-tls", type: "x", op: "same", start: 16.3, end: 16.3 },
      { name: "aistudio-smoke", type: "x", op: "create", start: 19.5, end: 19.8 },
    ], 21);
    expect(phases).toEqual([["engine start", 1.2], ["packages", 15], ["app", 3], ["firewall", 1], ["smoke test", 0.3], ["engine end", 1.2]]);
  });

  it("the floor: ssh until the script started, then each phase from the mark before it", () => {
    const out = "phase start 100.5\nphase aptUpdate 101.5\nnoise\nphase packages 113.0\nphase gunicorn 113.25\nfloor-ok\n";
    expect(floorPhases(out, 100_250)).toEqual({ ssh: 0.25, aptUpdate: 1, packages: 11.5, gunicorn: 0.25 });
  });

  it("medians per phase over runs, in the first run's order", () => {
    expect(medianPhases([[["a", 1], ["b", 4]], [["a", 3], ["b", 2], ["c", 5]], [["a", 2], ["b", 3]]])).toEqual([["a", 2], ["b", 3], ["c", 5]]);
  });
});
