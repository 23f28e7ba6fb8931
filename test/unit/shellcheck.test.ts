// shellcheck over every script the server runs: the files of provision/scripts/ on their own, and
// the full generated apply and probe scripts (prelude, staging, header, body) of every step for the
// local (self-signed), provided-certificate and acme configs. Findings are fixed in the scripts;
// a deliberate one is disabled inline next to a comment saying why.
//
// shellcheck is a Debian package (scripts/prereqs.sh installs it). Without it this file fails
// when CI=true and is skipped with a warning otherwise.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../infra/config";
import { buildSteps } from "../../infra/steps";
import { readAppDir } from "../../infra/app-source";
import { applyScript, probeScript } from "../../infra/runner/script";
import { repoRoot } from "../../core/paths";
import { LOCAL_DATA, alicloudCreateRaw, localRaw, selfSignedCert } from "./fixtures";

const SCRIPTS_DIR = path.join(repoRoot(), "provision", "scripts");
const version = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
const haveShellcheck = version.status === 0;
const inCi = process.env.CI === "true";

if (!haveShellcheck && !inCi) {
  console.warn(
    "\n!!! shellcheck is not installed: test/unit/shellcheck.test.ts is SKIPPED. Install it with `bash scripts/prereqs.sh` (Debian package shellcheck); with CI=true this fails. !!!\n",
  );
}

/** shellcheck's findings for one bash script ("" when clean). */
function shellcheck(script: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn("shellcheck", ["-s", "bash", "--color=never", "-"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "", err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => (code !== 0 && out === "" ? reject(new Error(`shellcheck failed on ${name} (exit ${code}): ${err}`)) : resolve(out)));
    p.stdin.end(script);
  });
}

describe("shellcheck is available", () => {
  it.runIf(inCi)("is installed (required when CI=true)", () => {
    expect(version.error?.message ?? version.stderr ?? "", "shellcheck is missing: run scripts/prereqs.sh").toBe("");
    expect(version.status).toBe(0);
  });
});

describe.skipIf(!haveShellcheck)("shellcheck -s bash", () => {
  const files = fs.readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith(".sh")).sort();

  it("provision/scripts/ holds the moved apply scripts", () => {
    expect(files).toEqual(expect.arrayContaining(["acme.sh", "app.sh", "nginx.sh", "packages.sh"]));
  });

  it.each(files)("provision/scripts/%s is clean", async (file) => {
    expect(await shellcheck(fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8"), file)).toBe("");
  });

  const appFiles = readAppDir(path.join(repoRoot(), "provision/sample-app"));
  const provided = selfSignedCert("photogooo.com");
  const app = { dir: "provision/sample-app", preStart: ["python manage.py migrate"], packages: ["python3-pil"], port: 9123, dataDir: "/srv/photostudio" };
  const configs = {
    local: parseConfig(localRaw({ app }), "local"),
    provided: parseConfig(localRaw({ app, tls: { mode: "provided", certificate: provided.cert }, tlsPrivateKey: provided.key }), "local"),
    acme: parseConfig(alicloudCreateRaw({ app, tls: { email: "ops@photogooo.com", acmeServer: "https://acme.example/dir", acmeCaBundle: provided.cert } }), "prod"),
    data: parseConfig(localRaw({ app, ...LOCAL_DATA }), "local"),
  };
  const cases = Object.entries(configs).flatMap(([config, cfg]) =>
    buildSteps(cfg, appFiles).flatMap((step) => [
      { config, id: step.id, kind: "apply", script: applyScript(step) },
      { config, id: step.id, kind: "probe", script: probeScript(step) },
    ]),
  );

  it("covers every step of the four configs, acme and the data steps included", () => {
    const ids: Record<string, string[]> = {
      local: ["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "tls", "app", "nginx", "fingerprint"],
      provided: ["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "tls", "app", "nginx", "fingerprint"],
      acme: ["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "volume", "app", "nginx", "acme", "backup", "fingerprint"],
      data: ["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "volume", "database", "tls", "app", "nginx", "backup", "fingerprint"],
    };
    expect(new Set(cases.map((c) => `${c.config}/${c.id}`))).toEqual(new Set(Object.entries(ids).flatMap(([c, s]) => s.map((id) => `${c}/${id}`))));
  });

  it("the backup tool installed on the server is clean", async () => {
    const tool = buildSteps(configs.data, appFiles).find((s) => s.id === "backup")!.files.find((f) => f.path.endsWith("/aistudio-backup"))!;
    expect(await shellcheck(tool.content, "aistudio-backup")).toBe("");
  });

  // all at once (each takes a few hundred milliseconds), asserted one by one below
  const findings = new Map<string, string>();
  beforeAll(async () => {
    await Promise.all(cases.map(async (c) => findings.set(`${c.config}/${c.id}/${c.kind}`, await shellcheck(c.script, `${c.config}/${c.id}/${c.kind}`))));
  }, 60_000);

  it.each(cases)("$config: $id $kind script is clean", ({ config, id, kind }) => {
    expect(findings.get(`${config}/${id}/${kind}`)).toBe("");
  });

  it("really reports a finding (the checks above can fail)", async () => {
    expect(await shellcheck("rm -rf $dir/*\n", "broken")).toContain("SC2086");
  });
});
