// Walking skeleton on a real host: `pulumi up` provisions a fresh Debian 12 test host, the smoke
// test passes over HTTPS through nginx, and a second `pulumi up` changes and restarts nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { requireHosts, REPO } from "../support/capability";
import { bootHost, hostCmd, localConfig, TestStack, unchanged } from "../support/hosts";
import { visit } from "../../checks/visit";

const canRun = requireHosts();

describe.skipIf(!canRun)("walking skeleton: pulumi up on a fresh test host", () => {
  const HOST = "it-skel";
  let stack: TestStack;
  let ip: string;

  beforeAll(async () => {
    ip = bootHost(HOST).host;
    stack = new TestStack("itskel", localConfig(HOST));
    await stack.init();
  });
  afterAll(() => stack?.cleanup());

  it("first pulumi up provisions the server and the smoke test passes over HTTPS", async () => {
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = await stack.outputs();
    expect(out.smokeTest.status).toBe(200);
    expect(JSON.parse(out.smokeTest.body).success).toBe(true);
    expect(out.wechatRequestDomains).toEqual(["https://photogooo.com"]);
    console.log(`cold provision: ${r.seconds.toFixed(1)}s`);

    // independent of the program's own smoke test: ask the server ourselves, trusting its certificate
    const pem = hostCmd(HOST, "cat /etc/aistudio/tls/fullchain.pem");
    const v = await visit({ domain: "photogooo.com", connectTo: ip, ca: pem }, "it-skel-1");
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it("a second pulumi up changes nothing and restarts nothing", async () => {
    const before = hostCmd(HOST, "systemctl show -p ActiveEnterTimestampMonotonic --value aistudio nginx");
    const r = await stack.preview({ expectNoChanges: true, diff: true });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const u = await stack.up();
    expect(u.code, u.stdout + u.stderr).toBe(0);
    expect(unchanged(u), JSON.stringify(u.changes)).toBe(true);
    const after = hostCmd(HOST, "systemctl show -p ActiveEnterTimestampMonotonic --value aistudio nginx");
    expect(after).toBe(before);
    console.log(`no-op re-run: ${u.seconds.toFixed(1)}s`);
    // a stack with its own settings file leaves nothing in the project (pulumi writes the salt there)
    expect(fs.existsSync(path.join(REPO, `Pulumi.${stack.name}.yaml`)), "stray Pulumi.<stack>.yaml in the project").toBe(false);
  });
});
