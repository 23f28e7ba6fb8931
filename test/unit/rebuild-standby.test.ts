// The order of a cloud rebuild beside the old server (stacks/rebuild-standby.ts), against a recording
// stand-in for the stack driver: Alibaba Cloud cannot be reached here, so what is checked is what the
// rebuild asks of the stack, in which order, and what it does when a step fails. The stack has no
// backups (nothing to reach over SSH) and a provided certificate (nothing to copy); its site's smoke
// test connects to a closed local port, so the one run that gets that far fails there, after the switch.
// The state rewrite itself is checked against the program's URNs in cloud-standby.test.ts and on a
// real engine in test/integration/standby-swap.test.ts.
import { describe, expect, it } from "vitest";
import type { Deployment } from "@pulumi/pulumi/automation";
import { parseConfig } from "../../infra/config";
import { alicloudCreateRaw, fleetCertificate } from "./fixtures";
import { rebuildStandby } from "../../stacks/rebuild-standby";
import type { StackDriver, RunResult } from "../../stacks/driver";
import type { StateResource } from "../../stacks/standby-swap";

const SERVER = "aistudio:cloud:AlicloudServer";
const urn = (type: string, name: string) => `urn:pulumi:prod::aistudio::${SERVER}$${type}::${name}`;
const INSTANCE = "alicloud:ecs/instance:Instance";
const ASSOC = "alicloud:ecs/eipAssociation:EipAssociation";

/** The state after the converge up: the server and its standby, each with an EIP association. */
function stateWithStandby(): Deployment {
  const component = `urn:pulumi:prod::aistudio::${SERVER}::aistudio`;
  const resources: StateResource[] = [
    { urn: component, type: SERVER },
    { urn: urn(INSTANCE, "aistudio-server"), type: INSTANCE, parent: component },
    { urn: urn("alicloud:ecs/eipAddress:EipAddress", "aistudio-eip"), type: "alicloud:ecs/eipAddress:EipAddress", parent: component, protect: true },
    { urn: urn(ASSOC, "aistudio-eip-assoc"), type: ASSOC, parent: component },
    { urn: urn(INSTANCE, "aistudio-standby-server"), type: INSTANCE, parent: component },
    { urn: urn("alicloud:ecs/eipAddress:EipAddress", "aistudio-standby-address"), type: "alicloud:ecs/eipAddress:EipAddress", parent: component },
    { urn: urn(ASSOC, "aistudio-standby-address-assoc"), type: ASSOC, parent: component },
  ];
  return { version: 3, deployment: { resources } };
}

const ok = (): RunResult => ({ code: 0, stdout: "", stderr: "", seconds: 0, changes: {}, ops: {}, timeline: [] });
const failed = (stderr: string): RunResult => ({ ...ok(), code: 255, stderr });

/** A stand-in driver: each call is logged; `fail` makes the n-th `up` (1-based) fail. */
function recordingDriver(o: { failUp?: number; pending?: Record<string, number> } = {}) {
  const calls: string[] = [];
  let ups = 0;
  let imported: Deployment | undefined;
  const driver = {
    spec: { name: "prod" },
    async preview() { calls.push("preview"); return { ...ok(), changes: o.pending ?? { same: 30 }, steps: [], errors: [] }; },
    async up(x: { target?: string[] } = {}) {
      ups++;
      calls.push(x.target ? `up --target ${x.target.map((t) => t.split("::").pop()).join(",")}` : "up");
      return ups === o.failUp ? failed("error: creating the ECS instance failed: QuotaExceeded") : ok();
    },
    async destroy(x: { target: string[] }) { calls.push(`destroy --target ${x.target.map((t) => t.split("::").pop()).join(",")}`); return ok(); },
    async setConfig(k: string, v: string) { calls.push(`config set ${k} ${v}`); },
    async removeConfig(k: string) { calls.push(`config rm ${k}`); },
    async outputs() { return { standbyAddress: "127.0.0.2", publicIp: "127.0.0.1" }; },
    async exportState() { calls.push("export"); return stateWithStandby(); },
    async importState(d: Deployment) { calls.push("import"); imported = d; },
    async config() { return {}; },
  };
  return { driver: driver as unknown as StackDriver, calls, imported: () => imported };
}

const cert = fleetCertificate();
const config = parseConfig(alicloudCreateRaw({
  tls: { mode: "provided", certificate: cert.cert }, tlsPrivateKey: cert.key,
  backup: { enabled: false }, backupPassword: undefined, backupSecretAccessKey: undefined,
  smoke: { connectTo: "127.0.0.1", timeoutSeconds: 1 },
}), "prod");
// loopback only: the smoke test's diagnostics dial the server over SSH too
const view = { config, outputs: { publicIp: "127.0.0.1" } };
const say = () => undefined;

describe("a cloud rebuild beside the old server", () => {
  it("builds the standby, converges it, then switches: associations freed, state rewritten, the EIP bound, the rest released", async () => {
    const d = recordingDriver();
    const r = await rebuildStandby(d.driver, view, { say });
    expect(d.calls).toEqual([
      "preview",
      "config set aistudio:standby boot", "up",
      "config set aistudio:standby converge", "up",
      // the switch prepared: nothing recorded as depending on the associations
      "export", "import",
      "destroy --target aistudio-eip-assoc,aistudio-standby-address-assoc",
      // the swap computed on the state after the destroy
      "export", "import", "config rm aistudio:standby",
      "up --target aistudio-eip-assoc",
    ]);
    // the site's smoke test (a closed port here) fails after the switch: it says so, and the old server is not brought back
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/the new server has the EIP but failed the smoke test at the domain: .*127\.0\.0\.1/s);
    const names = ((d.imported()!.deployment as { resources: StateResource[] }).resources).map((x) => x.urn.split("::").pop());
    expect(names).toEqual(["aistudio", "aistudio-retired-server", "aistudio-eip", "aistudio-eip-assoc", "aistudio-server", "aistudio-standby-address", "aistudio-standby-address-assoc"]);
  }, 30_000);

  it.each([
    { name: "the standby's creation", failUp: 1, error: /creating the standby failed \(exit 255\):\n.*QuotaExceeded/ },
    { name: "its convergence", failUp: 2, error: /converging the standby failed/ },
  ])("a failure of $name removes the standby and touches nothing else", async ({ failUp, error }) => {
    const d = recordingDriver({ failUp });
    const r = await rebuildStandby(d.driver, view, { say });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(error);
    expect(r.error).toMatch(/The old server was not changed and keeps serving/);
    expect(d.calls.slice(-2)).toEqual(["config rm aistudio:standby", "up"]);
    expect(d.calls.filter((c) => /destroy|import/.test(c))).toEqual([]);
  });

  it("refuses a stack with pending changes before touching anything", async () => {
    const d = recordingDriver({ pending: { same: 28, update: 2 } });
    const r = await rebuildStandby(d.driver, view, { say });
    expect(r.error).toMatch(/pending changes \(update 2\).*pulumi up/);
    expect(d.calls).toEqual(["preview"]);
  });

  it("refuses to start while an earlier rebuild's standby is set", async () => {
    const d = recordingDriver();
    const r = await rebuildStandby(d.driver, { ...view, config: { ...config, cloud: { ...config.cloud!, standby: "converge" } } }, { say });
    expect(r.error).toMatch(/aistudio:standby is set \(converge\).*pulumi config rm aistudio:standby --stack prod/);
    expect(d.calls).toEqual([]);
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
