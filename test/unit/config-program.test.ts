// The whole program (infra/index.ts) under Pulumi mocks with bad configs: it must stop with every
// problem in one error before a single resource is registered. A good config, run the same way,
// registers resources, so the harness can see a registration when there is one.
import { describe, expect, it, vi } from "vitest";
import type * as pulumiType from "@pulumi/pulumi";
import type { Raw } from "../../infra/config";
import { alicloudCreateRaw, allConfigOf, localRaw, sshKeygen } from "./fixtures";
import { withoutSecrets } from "./pulumi-mocks";

const SECRETS = ["sshPrivateKey", "sshHostPrivateKey", "sshPrivateKeyPassphrase", "appEnv", "tlsPrivateKey", "wechatAppSecret", "uploadsSecretAccessKey"].map((k) => `aistudio:${k}`);

/** Runs a fresh copy of the program with `raw` as the stack's config; returns what it threw and registered. */
async function runProgram(raw: Raw, stack: string): Promise<{ error?: Error; runError: boolean; registered: string[]; inputs: unknown[] }> {
  vi.resetModules();
  const pulumi: typeof pulumiType = await import("@pulumi/pulumi");
  const registered: string[] = [];
  const inputs: unknown[] = [];
  await pulumi.runtime.setMocks({
    newResource: async (a) => {
      registered.push(`${a.type} ${a.name}`);
      inputs.push(a.inputs);
      return { id: `id-${a.name}`, state: { ...a.inputs, ipAddress: "198.51.100.7" } };
    },
    call: async () => ({ ids: ["cn-hangzhou-i"], zones: [{ id: "cn-hangzhou-i", availableInstanceTypes: ["ecs.e-c1m2.large"] }], images: [{ id: "ubuntu_22_04" }] }),
  }, "aistudio", stack, false);
  pulumi.runtime.setAllConfig(allConfigOf(raw), SECRETS);
  let error: Error | undefined;
  try {
    await import("../../infra/index");
  } catch (e) {
    error = e as Error;
  }
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  // a RunError: Pulumi prints its message without a stack trace
  return { error, runError: pulumi.RunError.isInstance(error), registered, inputs };
}

describe("a bad config never reaches resource registration", () => {
  it.each([
    { name: "a typo (tls.emial)", raw: alicloudCreateRaw({ tls: { emial: "ops@photogooo.com" } }), keys: ["tls.emial", "tls.email"] },
    { name: "a key pair that does not match (cloud.sshPublicKey)", raw: alicloudCreateRaw({ cloud: { instanceType: "ecs.e-c1m2.large", sshPublicKey: sshKeygen().publicKey } }), keys: ["cloud.sshPublicKey"] },
    { name: "admin CIDRs whose union is the Internet", raw: alicloudCreateRaw({ firewall: { adminCidrs: ["0.0.0.0/1", "128.0.0.0/1"] } }), keys: ["firewall.adminCidrs"] },
    { name: "no domain, and an app directory that is not there", raw: localRaw({ domain: undefined, app: { dir: "no/such/backend" } }), keys: ["domain", "app.dir"] },
  ])("$name", async ({ raw, keys }) => {
    const { error, runError, registered } = await runProgram(raw, "staging");
    expect(registered).toEqual([]);
    expect(runError).toBe(true);
    expect(error?.message).toMatch(/^invalid configuration \/ 配置无效:\n/);
    for (const k of keys) expect(error?.message).toContain(`aistudio:${k}: `);
  });

  it("a good config registers resources (the harness sees them)", async () => {
    const { error, registered } = await runProgram(localRaw(), "local");
    expect(error).toBeUndefined();
    expect(registered.some((r) => r.startsWith("aistudio:server:Provisioning"))).toBe(true);
  });
});

describe("the deploy key's passphrase is a secret everywhere", () => {
  it("an encrypted deploy key and its passphrase reach the resources only inside secrets", async () => {
    const passphrase = "it-passphrase-5c0ffee-91";
    const key = sshKeygen("ed25519", passphrase);
    const { error, registered, inputs } = await runProgram(localRaw({ sshPrivateKey: key.privateKey, sshPrivateKeyPassphrase: passphrase }), "local");
    expect(error).toBeUndefined();
    expect(registered.length).toBeGreaterThan(3);
    const all = JSON.stringify(inputs);
    expect(all, "the passphrase does reach the steps (inside the secret connection)").toContain(passphrase);
    const plain = JSON.stringify(withoutSecrets(inputs));
    expect(plain).not.toContain(passphrase);
    expect(plain).not.toContain(key.privateKey.split("\n")[1]);
  });
});

describe("the uploads store's secret key is a secret everywhere (uploads.store s3)", () => {
  it("reaches the app's environment file only inside secrets", async () => {
    const secret = "uploads-secret-7e1d0c4a-55";
    const raw = localRaw({ uploads: { store: "s3", endpoint: "http://198.18.0.250:8333", bucket: "aistudio-backup", accessKeyId: "store-key-id" }, uploadsSecretAccessKey: secret });
    const { error, registered, inputs } = await runProgram(raw, "local");
    expect(error).toBeUndefined();
    expect(registered.length).toBeGreaterThan(3);
    expect(JSON.stringify(inputs), "the key does reach the app step (inside its secret env file)").toContain(secret);
    const plain = JSON.stringify(withoutSecrets(inputs));
    expect(plain).not.toContain(secret);
  });
});
