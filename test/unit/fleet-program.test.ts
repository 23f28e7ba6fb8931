// The whole program (infra/index.ts) under Pulumi mocks for a fleet on Alibaba Cloud (issue #15):
// every server gets the same steps between its drain and its restore in the ALB's server group,
// the pool is the ALB's (server group and HTTPS listener) and stays a secret, each server is
// smoke-tested at its own address, and the site once more through the load balancer.
import { describe, expect, it, vi } from "vitest";
import type * as pulumiType from "@pulumi/pulumi";
import type { Raw } from "../../infra/config";
import { alicloudFleetRaw, allConfigOf, FLEET_DB_PASSWORD } from "./fixtures";
import { EIP_ADDRESS, Recorded, recordingMocks, settle, unwrapSecret as plain, withoutSecrets } from "./pulumi-mocks";

const SECRETS = ["sshPrivateKey", "sshHostPrivateKey", "sshPrivateKeyPassphrase", "appEnv", "tlsPrivateKey", "wechatAppSecret", "databasePassword", "uploadsSecretAccessKey"].map((k) => `aistudio:${k}`);

/** Runs a fresh copy of the program with `raw` as the stack's config, on the shared recording mocks. */
async function runProgram(raw: Raw, stack: string): Promise<Recorded[]> {
  vi.resetModules();
  const pulumi: typeof pulumiType = await import("@pulumi/pulumi");
  const m = recordingMocks();
  await pulumi.runtime.setMocks(m.mocks, "aistudio", stack, false);
  pulumi.runtime.setAllConfig(allConfigOf(raw), SECRETS);
  await import("../../infra/index");
  await settle(pulumi);
  return m.recorded;
}

describe("a fleet of three on Alibaba Cloud, as the program declares it", async () => {
  const regs = await runProgram(alicloudFleetRaw(), "prod");
  const named = (n: string) => regs.find((r) => r.name === n);

  it("gives every server a drain, its steps and a restore, and the site a smoke test through the load balancer", () => {
    for (const s of ["aistudio", "aistudio-2", "aistudio-3"]) {
      for (const part of ["drain", "restore", "app", "nginx", "smoke", "updates"]) expect(named(`${s}-${part}`), `${s}-${part}`).toBeDefined();
    }
    expect(named("aistudio-site-smoke")).toBeDefined();
    expect(regs.filter((r) => r.type === "aistudio:server:Provisioning").map((r) => r.name)).toEqual(["aistudio", "aistudio-2", "aistudio-3"]);
  });

  it("rolls each server in the ALB's server group by its instance id, with the same release everywhere", () => {
    const drains = ["aistudio", "aistudio-2", "aistudio-3"].map((s) => named(`${s}-drain`)!.inputs);
    expect(drains.map((d) => d.phase)).toEqual(["drain", "drain", "drain"]);
    expect(drains.map((d) => d.member)).toEqual(["id-aistudio-server", "id-aistudio-server-2", "id-aistudio-server-3"]);
    expect(new Set(drains.map((d) => d.release)).size).toBe(1);
    expect(named("aistudio-3-restore")!.inputs).toMatchObject({ phase: "restore", member: "id-aistudio-server-3", release: drains[0].release, timeoutSeconds: 120 });
    expect(plain(drains[1].pool)).toEqual({ kind: "alb", region: "cn-hangzhou", serverGroupId: "id-aistudio-servers", listenerId: "id-aistudio-https" });
    // ALB reports no requests in flight: a drained server is given time
    expect(drains[0].drainSeconds).toBeGreaterThan(0);
  });

  it("smoke-tests each server at its own address, and the site by its domain (the ALB)", () => {
    expect(["aistudio-smoke", "aistudio-2-smoke", "aistudio-3-smoke"].map((n) => named(n)!.inputs.connectTo)).toEqual([EIP_ADDRESS, "198.51.100.12", "198.51.100.13"]);
    expect(named("aistudio-site-smoke")!.inputs.connectTo ?? null).toBeNull();
    expect(named("aistudio-site-smoke")!.inputs.domain).toBe("photogooo.com");
  });

  it("keeps the pool, the deploy key and the database password out of plaintext", () => {
    for (const r of regs.filter((x) => x.type === "pulumi-nodejs:dynamic:Resource")) {
      if (r.inputs.pool !== undefined) expect(withoutSecrets(r.inputs).pool, r.name).toBe("[secret]");
    }
    const text = JSON.stringify(regs.map((r) => withoutSecrets(r.inputs)));
    expect(text).not.toContain(FLEET_DB_PASSWORD);
    expect(text).not.toContain("PRIVATE KEY");
  });
});
