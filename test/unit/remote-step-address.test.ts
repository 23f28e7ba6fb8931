// The runner's one exception to "a changed connection re-runs the step": the same server (same
// serverId, the ECS instance; same pinned host key), reached at a new address. After a cloud rebuild's
// switch the new server's step records, made at its temporary address, are at the stack's EIP: the
// next `up` must record the address without running every step again on the server that now serves.
import { describe, expect, it } from "vitest";
import { diff, onlyAddressChanged, update, RemoteStepInputs, RemoteStepOutputs } from "../../infra/runner/remote-step-impl";

const inputs = (over: Partial<RemoteStepInputs> = {}, host = "198.51.100.7"): RemoteStepInputs => ({
  // port 1 on loopback: a step that did run would fail to connect, never reach anything
  connection: { host, port: 1, user: "root", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleHostKey0000000000000000000000000", privateKey: "k" },
  stepId: "nginx",
  serverId: "i-bp1new",
  description: "nginx",
  hash: "h1",
  script: "exit 1",
  probeScript: "true",
  redact: [],
  paths: [],
  ...over,
});
const recorded = (i: RemoteStepInputs, probe = "file /etc/nginx/nginx.conf sha256=ab"): RemoteStepOutputs => ({ ...i, expected: probe, observed: probe });

describe("a step record of the same server at a new address", () => {
  const old = recorded(inputs({}, "198.51.100.99"));

  it("is a change (the record must learn the address) that runs nothing", async () => {
    const news = inputs();
    expect(diff("id", old, news)).toMatchObject({ changes: true, replaces: [] });
    expect(onlyAddressChanged(old, news)).toBe(true);
    // no connection is made: port 1 on the old and new address would fail it
    const { outs } = await update("id", old, news);
    expect(outs.connection.host).toBe("198.51.100.7");
    expect([outs.expected, outs.observed]).toEqual([old.expected, old.observed]);
  });

  it.each([
    { what: "another server (serverId)", olds: old, news: inputs({ serverId: "i-bp1other" }) },
    { what: "another host key", olds: old, news: inputs({ connection: { ...inputs().connection, hostKey: "ssh-ed25519 AAAAother" } }) },
    { what: "a changed step", olds: old, news: inputs({ hash: "h2" }) },
    { what: "no serverId to tell", olds: { ...old, serverId: undefined }, news: inputs({ serverId: undefined }) },
    // a test host's or an adopted server's serverId is its host key: a copy at another address would share it
    { what: "a serverId that is the host key", olds: { ...old, serverId: old.connection.hostKey }, news: inputs({ serverId: old.connection.hostKey }) },
  ])("is not the exception with $what: the step runs again", ({ olds, news }) => {
    expect(diff("id", olds, news).changes).toBe(true);
    expect(onlyAddressChanged(olds, news)).toBe(false);
  });

  it("is not the exception when the server drifted: the step runs again to repair it", () => {
    expect(onlyAddressChanged({ ...old, observed: "file /etc/nginx/nginx.conf sha256=cd" }, inputs())).toBe(false);
  });
});
