// The rollout bench's pure pieces (bench/rollout.ts): the fleet's test host names, --rollout-sizes,
// and the table rows the report prints.
import { describe, expect, it } from "vitest";
import { fleetNames, parseSizes, rolloutRows, RolloutResults } from "../../bench/rollout";

describe("rollout bench", () => {
  it("names a fleet's test hosts the way the local fleet finds them, br-… and at most 11 characters", () => {
    expect(fleetNames(1)).toEqual({ servers: ["br-f1"] });
    expect(fleetNames(4)).toEqual({ servers: ["br-f4", "br-f4-2", "br-f4-3", "br-f4-4"], lb: "br-f4-lb" });
    for (const n of fleetNames(8).servers) expect(n).toMatch(/^br-[a-z0-9-]{1,8}$/);
  });

  it("parses --rollout-sizes and refuses what it cannot run", () => {
    expect(parseSizes("1,2,4")).toEqual([1, 2, 4]);
    expect(parseSizes(" 2 ")).toEqual([2]);
    for (const bad of ["0", "9", "2,2", "a", "1.5", ""]) expect(() => parseSizes(bad), bad).toThrow(/--rollout-sizes/);
  });

  it("renders one row per size: seconds / failed of requests, a failed deploy as FAILED", () => {
    const fig = (seconds: number, failed = 0, code = 0) => ({ seconds, code, requests: 500, failed, longestGapMs: 120, failures: [] });
    const r: RolloutResults = {
      notes: [],
      errors: [],
      sizes: {
        "4": { servers: 4, cold: { seconds: 200, code: 0 }, rolling: fig(90), mostAtOnce: { ...fig(40), maxUnavailable: 3 }, ansibleSerial1: fig(60, 0), ansibleAllAtOnce: fig(20, 3, 2) },
        "2": { servers: 2, cold: { seconds: 150.04, code: 0 }, rolling: fig(50) },
        "1": { servers: 1, cold: { seconds: 90, code: 1 } },
      },
    };
    expect(rolloutRows(r)).toEqual([
      ["1", "FAILED (1)", "-", "-", "-", "-"],
      ["2", "150.0", "50.0 / 0 of 500, gap 0.1", "= rolling", "-", "-"],
      ["4", "200.0", "90.0 / 0 of 500, gap 0.1", "40.0 / 0 of 500, gap 0.1 (at 3)", "60.0 / 0 of 500, gap 0.1", "FAILED (2) / 3 of 500, gap 0.1"],
    ]);
  });
});
