// Which steps wait for which (issue #14: independent work overlaps on a cold server): every need is
// an earlier step, the firewall, the certificate and the app wait only for what they use, and
// nginx goes live only after the firewall, its certificate and the app.
import { describe, expect, it } from "vitest";
import { buildSteps, withNeeds } from "../../infra/steps";
import { parseConfig } from "../../infra/config";
import type { Step } from "../../provision/step";
import { LOCAL_DATA, alicloudCreateRaw, localRaw } from "./fixtures";

const appFiles = [{ rel: "app.py", content: "application = None\n" }];
const needsOf = (steps: Step[]) => Object.fromEntries(steps.map((s) => [s.id, s.needs]));

describe("step needs", () => {
  const plain = buildSteps(parseConfig(localRaw(), "local"), appFiles);
  const data = buildSteps(parseConfig(localRaw(LOCAL_DATA), "local"), appFiles);
  const acme = buildSteps(parseConfig(alicloudCreateRaw({ tls: { email: "ops@photogooo.com" } }), "prod"), appFiles);

  it.each([["plain", plain], ["data", data], ["acme", acme]])("%s: every step says what it needs, and only earlier steps", (_, steps) => {
    const seen = new Set<string>();
    for (const s of steps) {
      expect(s.needs, s.id).toBeDefined();
      for (const n of s.needs!) expect(seen.has(n), `${s.id} needs ${n}, which must come before it`).toBe(true);
      seen.add(s.id);
    }
  });

  it("a plain server: the security updates first; the firewall, the certificate and the app run together after the packages", () => {
    const n = needsOf(plain);
    expect(n.updates).toEqual([]);
    expect(n.packages).toEqual(["updates"]);
    expect(n.baseline).toEqual(["packages", "firewall"]);
    expect(n.firewall).toEqual(["packages"]);
    expect(n.tls).toEqual(["packages"]);
    expect(n.app).toEqual(["packages"]);
    expect(n.nginx).toEqual(["firewall", "tls", "app", "baseline"]);
    expect(n.fingerprint).toEqual(plain.filter((s) => s.id !== "fingerprint").map((s) => s.id));
  });

  it("with data: the volume is prepared while the packages install; the database waits for both, the app for the database", () => {
    const n = needsOf(data);
    expect(n.volume).toEqual([]);
    expect(n.database).toEqual(["packages", "volume"]);
    expect(n.app).toEqual(["packages", "volume", "database"]);
    expect(n.backup).toEqual(["app", "database"]);
  });

  it("ACME runs once nginx serves the challenge", () => {
    expect(needsOf(acme).acme).toEqual(["nginx"]);
  });

  it("a step nobody placed is refused, naming it and where to say what it needs", () => {
    const stray: Step = { id: "stray", description: "", files: [], apply: "", manages: [], probe: "" };
    expect(() => withNeeds([...plain.slice(0, 1), stray])).toThrow(/step stray has no entry in STEP_NEEDS \(infra\/steps\.ts\)/);
  });
});
