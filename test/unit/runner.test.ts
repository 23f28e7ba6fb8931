// Guards infra/runner/: the script sent to the server stages files exactly and carries secrets only
// in base64, probe output is split from the log, secrets are scrubbed from any output, and the
// provider's diff re-runs a step exactly when its content, its server, or the server's state changed.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../infra/config";
import { secretValues } from "../../infra/steps";
import { PROBE_MARKER, applyScript, hasSecrets, probeScript, splitProbe } from "../../infra/runner/script";
import { parseProbe } from "../../core/probe";
import { redact } from "../../core/ssh";
import { MAX_CHANNELS, RemoteStepInputs, RemoteStepOutputs, diff, withChannel } from "../../infra/runner/remote-step-impl";
import { appStep } from "../../provision/app";
import { nginxStep } from "../../provision/nginx";
import { firewallStep } from "../../provision/firewall";
import { packagesStep } from "../../provision/packages";
import { providedStep, selfSignedStep } from "../../provision/tls";
import { q } from "../../provision/shell";
import { Step, stepHash } from "../../provision/step";
import { HOST_KEY, SSH_KEY, localRaw, selfSignedCert } from "./fixtures";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-runner-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every `base64 -d > PATH <<'__AISTUDIO_B64__' … __AISTUDIO_B64__` heredoc in a script, decoded. */
function stagedFiles(script: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const m of script.matchAll(/^base64 -d > (.+) <<'__AISTUDIO_B64__'\n([\s\S]*?)\n__AISTUDIO_B64__$/gm)) {
    out.set(m[1], Buffer.from(m[2].replace(/\n/g, ""), "base64"));
  }
  return out;
}

const SECRET_ENV = { SECRET_KEY: "s3cr3t-Value with 'quotes' and $dollar", WECHAT_TOKEN: "wx-token-0123456789abcdef" };
const tlsPair = selfSignedCert("photogooo.com");
const app = appStep({
  source: { kind: "files", files: [{ rel: "app.py", content: "application = None\n" }, { rel: "pkg/it's here.py", content: "x = 1\n" }] },
  workers: 2,
  wsgi: "app:application",
  port: 8000,
  dataDir: "/var/lib/aistudio",
  preStart: [],
  env: SECRET_ENV,
});
const tls = providedStep("photogooo.com", tlsPair.cert, tlsPair.key);

describe("applyScript", () => {
  it.each([
    ["app", app],
    ["provided tls", tls],
  ])("%s: stages every file as <path>.aistudio-new with its mode, byte for byte", (_name, step) => {
    const script = applyScript(step);
    const staged = stagedFiles(script);
    expect(staged.size).toBe(step.files.length);
    for (const f of step.files) {
      const target = q(f.path + ".aistudio-new");
      expect(staged.get(target)?.toString("utf8"), `staged ${f.path}`).toBe(f.content);
      expect(script).toContain(`chmod ${f.mode} ${target}\n`);
    }
  });

  it("stages under umask 077 before apply runs, then prints the probe after the marker", () => {
    const script = applyScript(tls);
    const order = ["set -euo pipefail", "umask 077", "base64 -d > /etc/aistudio/tls/privkey.pem.aistudio-new", "umask 022", "put_file /etc/aistudio/tls/privkey.pem", `echo ${PROBE_MARKER}`, "probe_cert /etc/aistudio/tls/fullchain.pem"];
    // each piece must appear after the previous one
    let at = 0;
    for (const piece of order) {
      const i = script.indexOf(piece, at);
      expect(i, `"${piece}" missing or out of order`).toBeGreaterThanOrEqual(at);
      at = i + piece.length;
    }
  });

  it("never contains a secret file's content in plaintext, only base64", () => {
    const appScript = applyScript(app);
    for (const v of Object.values(SECRET_ENV)) expect(appScript).not.toContain(v);
    const envFile = app.files.find((f) => f.secret)!;
    expect(appScript).not.toContain(envFile.content.trim());

    const tlsScript = applyScript(tls);
    const keyBody = tlsPair.key.split("\n").filter((l) => l.length > 0 && !l.startsWith("-----"));
    expect(keyBody.length).toBeGreaterThan(0);
    for (const line of keyBody) expect(tlsScript).not.toContain(line);
    expect(tlsScript).not.toContain("PRIVATE KEY");
  });

  it("hasSecrets marks exactly the steps that carry secret files", () => {
    expect(app.files.filter((f) => f.secret).map((f) => f.path)).toEqual(["/etc/aistudio/aistudio.env"]);
    expect(tls.files.filter((f) => f.secret).map((f) => f.path)).toEqual(["/etc/aistudio/tls/privkey.pem"]);
    expect(hasSecrets(app)).toBe(true);
    expect(hasSecrets(tls)).toBe(true);
    expect(hasSecrets(nginxStep({ domain: "photogooo.com" }))).toBe(false);
    expect(hasSecrets(selfSignedStep("photogooo.com"))).toBe(false);
    expect(hasSecrets(packagesStep())).toBe(false);
    expect(hasSecrets(firewallStep({ sshPort: 22, adminCidrs: [] }))).toBe(false);
  });

  it("the probe script carries no file content and no secret", () => {
    for (const step of [app, tls]) {
      const p = probeScript(step);
      expect(p).not.toContain("base64 -d");
      for (const f of step.files) expect(p).not.toContain(Buffer.from(f.content).toString("base64").slice(0, 40));
    }
    for (const v of Object.values(SECRET_ENV)) expect(probeScript(app)).not.toContain(v);
  });

  it("runs locally end to end: stages, puts files in place once, reports the probe (no network)", () => {
    const user = spawnSync("id", ["-un"], { encoding: "utf8" }).stdout.trim();
    const group = spawnSync("id", ["-gn"], { encoding: "utf8" }).stdout.trim();
    const file = path.join(tmp, "etc dir", "demo.env");
    const content = 'SECRET="it\'s $x"\n中文\n';
    const step: Step = {
      id: "demo",
      description: "demo step",
      files: [{ path: file, content, mode: "0640", secret: true }],
      apply: `put_file ${q(file)} 0640 ${q(user)} ${q(group)}\necho "changed=$CHANGED"`,
      manages: [{ kind: "file", subject: file }],
      probe: `probe_file ${q(file)}`,
    };
    const run = () => spawnSync("bash", ["-s"], { input: applyScript(step), encoding: "utf8" });

    const first = run();
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe(content);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe("640");
    expect(fs.existsSync(file + ".aistudio-new")).toBe(false);
    const { log, probe } = splitProbe(first.stdout);
    expect(log).toBe("changed=1\n");
    expect(parseProbe(probe)).toEqual([{ kind: "file", subject: file, fields: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), mode: "640", owner: `${user}:${group}` } }]);
    expect(first.stdout).not.toContain("it's $x");

    const second = run();
    expect(second.status).toBe(0);
    expect(splitProbe(second.stdout)).toEqual({ log: "changed=0\n", probe });
  });
});

describe("splitProbe", () => {
  it("separates the apply log from the probe output after the marker", () => {
    expect(splitProbe(`installing\ndone\n${PROBE_MARKER}\nunit nginx enabled=enabled active=active\n\n`)).toEqual({
      log: "installing\ndone\n",
      probe: "unit nginx enabled=enabled active=active",
    });
  });

  it("uses the last marker (the log may echo the marker text)", () => {
    expect(splitProbe(`${PROBE_MARKER}\nfake\n${PROBE_MARKER}\nreal\n`)).toEqual({ log: `${PROBE_MARKER}\nfake\n`, probe: "real" });
  });

  it("without a marker everything is log and the probe is empty", () => {
    expect(splitProbe("failed early\n")).toEqual({ log: "failed early\n", probe: "" });
  });

  it("an empty probe after the marker is empty", () => {
    expect(splitProbe(`log\n${PROBE_MARKER}\n`)).toEqual({ log: "log\n", probe: "" });
  });

  it("matches what probeScript prints when run by bash", () => {
    const r = spawnSync("bash", ["-s"], { input: probeScript({ probe: "echo noise >&2\necho 'state: ok'" }), encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(splitProbe(r.stdout)).toEqual({ log: "", probe: "state: ok" });
  });
});

describe("redact", () => {
  const rsaPem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const pemLines = rsaPem.split("\n").filter((l) => l.trim().length >= 16);

  it("replaces a secret value", () => {
    expect(redact("login with hunter2pass failed; hunter2pass again", ["hunter2pass"])).toBe("login with *** failed; *** again");
  });

  it("replaces the base64 form of a secret", () => {
    const b64 = Buffer.from("hunter2pass").toString("base64");
    expect(redact(`staged ${b64} ok`, ["hunter2pass"])).toBe("staged *** ok");
  });

  it("removes a whole multi-line PEM key", () => {
    const out = redact(`before\n${rsaPem}after`, [rsaPem]);
    expect(out).toBe("before\n***after");
  });

  it("removes every long line of a multi-line secret when they appear separately", () => {
    expect(pemLines.length).toBeGreaterThan(20);
    const leaked = `error at line 5: ${pemLines[5]}\nand: ${pemLines[20]}\n${pemLines[0]}`;
    const out = redact(leaked, [rsaPem]);
    for (const l of pemLines) expect(out).not.toContain(l);
    expect(out).toBe("error at line 5: ***\nand: ***\n***");
  });

  it("removes lines of a CRLF secret from output with LF lines", () => {
    const crlf = rsaPem.replace(/\n/g, "\r\n");
    const out = redact(`key: ${pemLines[3]}\n`, [crlf]);
    expect(out).toBe("key: ***\n");
  });

  it("redacts a secret that contains another secret completely", () => {
    const password = "hunter2pass";
    const url = "postgres://aistudio:hunter2pass@db.internal:5432/aistudio";
    const out = redact(`connecting to ${url}`, [password, url]);
    expect(out).toBe("connecting to ***");
  });

  it("leaves text without secrets alone and ignores empty or tiny values", () => {
    expect(redact("nothing to hide", ["", "abc", "hunter2pass"])).toBe("nothing to hide");
  });

  it("scrubs every secret value of a config (SSH key, TLS key, WeChat secret, app env)", () => {
    const cfg = parseConfig(
      localRaw({
        tls: { mode: "provided", certificate: tlsPair.cert },
        tlsPrivateKey: tlsPair.key,
        wechatAppSecret: "wx-app-secret-98765",
        appEnv: SECRET_ENV,
      }),
      "local",
    );
    const secrets = secretValues(cfg);
    expect(secrets).toEqual(expect.arrayContaining([SSH_KEY, tlsPair.key, "wx-app-secret-98765", ...Object.values(SECRET_ENV)]));
    const output = secrets.join("\n--\n");
    const out = redact(output, secrets);
    for (const s of secrets) for (const line of s.split("\n").filter((l) => l.length >= 16)) expect(out).not.toContain(line);
    for (const v of Object.values(SECRET_ENV)) expect(out).not.toContain(v);
    expect(out).not.toContain("wx-app-secret-98765");
  });
});

describe("diff (the RemoteStep provider)", () => {
  const connection = { host: "198.18.0.10", port: 22, user: "root", hostKey: HOST_KEY, privateKey: SSH_KEY };
  const inputs = (over: Partial<RemoteStepInputs> = {}): RemoteStepInputs => ({
    connection,
    stepId: "nginx",
    description: "nginx site",
    hash: stepHash(nginxStep({ domain: "photogooo.com" })),
    script: "script",
    probeScript: "probe",
    redact: [],
    paths: ["/etc/nginx/sites-available/aistudio.conf"],
    ...over,
  });
  const outputs = (over: Partial<RemoteStepOutputs> = {}): RemoteStepOutputs => ({
    ...inputs(),
    expected: "probe_file /etc/nginx/sites-available/aistudio.conf sha256=aa mode=644 owner=root:root",
    observed: "probe_file /etc/nginx/sites-available/aistudio.conf sha256=aa mode=644 owner=root:root",
    ...over,
  });

  it("no changes when hash and connection are equal and the server is as the last apply left it", () => {
    expect(diff("id", outputs(), inputs())).toEqual({ changes: false, replaces: [], stables: ["stepId"], deleteBeforeReplace: false });
  });

  it("no changes when only the SSH private key used to connect was rotated", () => {
    expect(diff("id", outputs(), inputs({ connection: { ...connection, privateKey: "another key" } })).changes).toBe(false);
  });

  it("changes when the step's hash differs", () => {
    const news = inputs({ hash: stepHash(nginxStep({ domain: "www.photogooo.com" })) });
    expect(diff("id", outputs(), news).changes).toBe(true);
  });

  it("changes when a refresh observed drift (observed !== expected)", () => {
    const drifted = outputs({ observed: "probe_file /etc/nginx/sites-available/aistudio.conf sha256=bb mode=644 owner=root:root" });
    expect(diff("id", drifted, inputs()).changes).toBe(true);
    expect(diff("id", outputs({ observed: "probe failed (exit 255): …" }), inputs()).changes).toBe(true);
  });

  it.each([
    ["host", { host: "198.18.0.11" }],
    ["port", { port: 2222 }],
    ["user", { user: "deploy" }],
    ["pinned host key (the server was rebuilt)", { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther" }],
  ])("changes when the connection's %s changes", (_what, over) => {
    expect(diff("id", outputs(), inputs({ connection: { ...connection, ...over } })).changes).toBe(true);
  });

  it("changes when the old state has no connection", () => {
    const olds = { ...outputs(), connection: undefined } as unknown as RemoteStepOutputs;
    expect(diff("id", olds, inputs()).changes).toBe(true);
  });
});

describe("channels per connection (sshd's MaxSessions)", () => {
  it(`runs at most ${MAX_CHANNELS} scripts on one connection at once, all of them in the end; other connections are not held up`, async () => {
    const a = { host: "198.18.0.10", port: 22, user: "root", hostKey: HOST_KEY, privateKey: SSH_KEY };
    const b = { ...a, host: "198.18.0.11" };
    let now = 0, peak = 0;
    const releases: (() => void)[] = [];
    const job = () => withChannel(a, async () => {
      peak = Math.max(peak, ++now);
      await new Promise<void>((r) => releases.push(r));
      now--;
      return "done";
    });
    const all = Promise.all(Array.from({ length: 13 }, job));
    await new Promise((r) => setTimeout(r, 10));
    expect(releases).toHaveLength(MAX_CHANNELS);
    expect(await withChannel(b, async () => "other host")).toBe("other host");
    for (let i = 0; i < 13; i++) {
      releases.shift()!();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await all).toEqual(Array(13).fill("done"));
    expect(peak).toBe(MAX_CHANNELS);
    // a failing script frees its channel too
    await expect(withChannel(a, async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect(await withChannel(a, async () => "after")).toBe("after");
  });
});
