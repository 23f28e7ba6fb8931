// Guards the probe contract (core/probe.ts): the record format and its one parser, the prelude's
// bash helpers that print it, that every step's probe prints exactly the items the step declares,
// and that each kind of hand edit on a server reaches the drift report as the right item with the
// right expected and found values. The helpers run in a sandbox: real bash, real files and openssl
// under a temporary directory, and fake systemctl / dpkg-query / ufw / ss whose answers the tests set.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  ProbeRecord, RAW, canonicalProbe, diffRecords, escapeField, parseLine, parseProbe, recordKey, serializeProbe, serializeRecord, unescapeField,
} from "../../core/probe";
import { DriftItem, driftFromPreview, probeDiff } from "../../checks/drift";
import { buildSteps } from "../../infra/steps";
import { parseConfig } from "../../infra/config";
import { probeScript, splitProbe } from "../../infra/runner/script";
import { fingerprintOf } from "../../provision/fingerprint";
import { parseServerFacts, serverScript } from "../../checks/doctor/server-facts";
import { PRELUDE } from "../../provision/prelude";
import { SYSCTLS } from "../../provision/baseline";
import { q, words } from "../../provision/shell";
import { LOCAL_DATA, alicloudAdoptRaw, alicloudCreateRaw, localRaw, selfSignedCert } from "./fixtures";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-probe-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// the sandbox: fake system commands answering from files under $FAKE

const FAKE = path.join(tmp, "fake");
const BIN = path.join(tmp, "bin");
const FAKES: Record<string, string> = {
  systemctl: `case $1 in
  is-enabled) f="$FAKE/unit.$2.enabled"; [ -f "$f" ] || { echo "Failed to get unit file state for $2.service" >&2; exit 1; }; cat "$f"; [ "$(cat "$f")" = enabled ] ;;
  is-active) f="$FAKE/unit.$2.active"; if [ -f "$f" ]; then cat "$f"; [ "$(cat "$f")" = active ]; else echo inactive; exit 3; fi ;;
  show) [ ! -f "$FAKE/unit.$2.show" ] || cat "$FAKE/unit.$2.show" ;;
  *) exit 1 ;;
esac`,
  "dpkg-query": `[ "$1" = -s ] && [ -f "$FAKE/pkg.$2" ] || { echo "dpkg-query: package '$2' is not installed" >&2; exit 1; }
printf 'Package: %s\\nStatus: %s\\nVersion: %s\\n' "$2" "$(sed -n 1p "$FAKE/pkg.$2")" "$(sed -n 2p "$FAKE/pkg.$2")"`,
  ufw: `case "$*" in
  "status verbose" | status) cat "$FAKE/ufw.status" 2>/dev/null || echo "Status: inactive" ;;
  "show added") echo "Added user rules (see 'ufw status' for running firewall):"; cat "$FAKE/ufw.added" 2>/dev/null || echo "(None)" ;;
  *) exit 1 ;;
esac`,
  ss: `cat "$FAKE/ss" 2>/dev/null || true`,
  // the doctor's OS facts: pending upgrades, NTP state, fail2ban's jail
  "apt-get": `cat "$FAKE/apt-get" 2>/dev/null || true`,
  timedatectl: `cat "$FAKE/timedatectl" 2>/dev/null || exit 1`,
  "fail2ban-client": `cat "$FAKE/fail2ban" 2>/dev/null || exit 255`,
};
fs.mkdirSync(BIN, { recursive: true });
for (const [name, body] of Object.entries(FAKES)) fs.writeFileSync(path.join(BIN, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });

/** Sets what a fake answers: `fake("unit.nginx.active", "active")`; undefined removes it. */
function fake(name: string, content: string | undefined): void {
  const f = path.join(FAKE, name);
  if (content === undefined) fs.rmSync(f, { force: true });
  else fs.writeFileSync(f, content.endsWith("\n") || content === "" ? content : content + "\n");
}

/** Runs a bash script with the fakes first on PATH; returns stdout, fails on any stderr or exit code. */
function run(script: string): string {
  const r = spawnSync("bash", ["-c", script], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, FAKE },
  });
  expect(r.stderr, script).toBe("");
  expect(r.status, script).toBe(0);
  return r.stdout;
}

/** Runs bash lines after the prelude (the probe helpers). */
const sh = (script: string) => run(PRELUDE + "\n" + script);

beforeEach(() => {
  fs.rmSync(FAKE, { recursive: true, force: true });
  fs.mkdirSync(FAKE, { recursive: true });
});

// ---------------------------------------------------------------------------------------------

describe("record format: serializer and parser", () => {
  const HOSTILE = [
    "plain",
    "",
    "a\tb",
    "line1\nline2\n",
    "cr\r\nlf",
    "key=value=more",
    "=leading",
    "back\\slash",
    "\\t is not a tab",
    "\\n\\\\n\\",
    "trailing backslash\\",
    "中文 «quotes» 'single' \"double\" $HOME `id`",
    "\t\n\r\\=",
  ];

  it.each(HOSTILE)("round-trips %j as subject and as value, on one line", (v) => {
    const r: ProbeRecord = { kind: "file", subject: v === "" ? "x" : v, fields: { value: v, "other.key_1-x": v + v } };
    const line = serializeRecord(r);
    expect(line).not.toMatch(/[\n\r]/);
    expect(line.split("\t")).toHaveLength(4);
    expect(parseLine(line)).toEqual(r);
    expect(unescapeField(escapeField(v))).toBe(v);
  });

  it("a whole probe round-trips, blank lines are not records", () => {
    const records: ProbeRecord[] = [
      { kind: "unit", subject: "nginx", fields: { enabled: "enabled", active: "active" } },
      { kind: "ufw", subject: "allow from 203.0.113.7/32 to any port 22 proto tcp", fields: { added: "yes" } },
      { kind: "unit", subject: "aistudio", fields: {} },
    ];
    expect(parseProbe(serializeProbe(records))).toEqual(records);
    expect(parseProbe("\n" + serializeProbe(records) + "\n\n")).toEqual(records);
    expect(parseProbe("")).toEqual([]);
  });

  it.each([
    ["prose", "nginx is running"],
    ["the old probe format", "/etc/nginx/sites-available/aistudio.conf sha256=ab mode=644 owner=root:root"],
    ["a kind that is not a lowercase word", "File\t/etc/x\tmode=644"],
    ["an empty subject", "file\t\tmode=644"],
    ["a field without =", "file\t/etc/x\tmode"],
    ["an empty key", "file\t/etc/x\t=644"],
    ["a repeated key", "file\t/etc/x\tmode=644\tmode=600"],
    ["an error message", "probe failed (exit 255): Connection reset"],
  ])("%s is kept as a raw record, not dropped", (_what, line) => {
    expect(parseProbe(`unit\tnginx\tactive=active\n${line}`)).toEqual([
      { kind: "unit", subject: "nginx", fields: { active: "active" } },
      { kind: RAW, subject: line, fields: {} },
    ]);
  });

  it("refuses to write what it could not read back", () => {
    expect(() => serializeRecord({ kind: "Bad Kind", subject: "x", fields: {} })).toThrow(/bad kind/);
    expect(() => serializeRecord({ kind: "file", subject: "", fields: {} })).toThrow(/empty subject/);
    expect(() => serializeRecord({ kind: "file", subject: "x", fields: { "a=b": "c" } })).toThrow(/bad key/);
  });

  it("the bash writer (probe_record) and the parser agree on every hostile value", () => {
    const out = sh(HOSTILE.map((v, i) => `probe_record file ${q(`subject ${i} ${v}`)} ${q("v=" + v)} ${q("w=" + v + "=")}`).join("\n"));
    expect(parseProbe(out)).toEqual(HOSTILE.map((v, i) => ({ kind: "file", subject: `subject ${i} ${v}`, fields: { v, w: v + "=" } })));
  });

  it("probe_record - takes its fields from stdin lines", () => {
    expect(parseProbe(sh("printf 'User=aistudio\\n\\nExecStart=a\\tb\\n' | probe_record unit aistudio -"))).toEqual([
      { kind: "unit", subject: "aistudio", fields: { User: "aistudio", ExecStart: "a\tb" } },
    ]);
  });
});

describe("diffRecords", () => {
  const r = (kind: string, subject: string, fields: Record<string, string> = {}): ProbeRecord => ({ kind, subject, fields });

  it("equal records, in any order, give no difference", () => {
    const a = [r("unit", "nginx", { enabled: "enabled", active: "active" }), r("file", "/x", { mode: "644" })];
    expect(diffRecords(a, [...a].reverse())).toEqual([]);
    expect(diffRecords(a, [r("file", "/x", { mode: "644" }), r("unit", "nginx", { active: "active", enabled: "enabled" })])).toEqual([]);
  });

  it("reports changed fields, an item gone and an item new, by kind and subject", () => {
    const e = [r("unit", "nginx", { active: "active" }), r("ufw", "allow 443/tcp", { added: "yes" })];
    const f = [r("unit", "nginx", { active: "failed" }), r("ufw", "allow 8000/tcp", { added: "yes" })];
    expect(diffRecords(e, f)).toEqual([
      { kind: "unit", subject: "nginx", expected: { active: "active" }, found: { active: "failed" } },
      { kind: "ufw", subject: "allow 443/tcp", expected: { added: "yes" }, found: undefined },
      { kind: "ufw", subject: "allow 8000/tcp", expected: undefined, found: { added: "yes" } },
    ]);
  });

  it("a field present on one side only is a difference", () => {
    expect(diffRecords([r("file", "/x", { mode: "644" })], [r("file", "/x", { mode: "644", extra: "" })])).toHaveLength(1);
  });

  it("the same kind with another subject, or the same subject with another kind, is another item", () => {
    expect(recordKey(r("file", "/x"))).not.toBe(recordKey(r("cert", "/x")));
    expect(diffRecords([r("file", "/x")], [r("cert", "/x")]).map((d) => [d.kind, !!d.expected, !!d.found])).toEqual([["file", true, false], ["cert", false, true]]);
  });

  it("repeated items are compared by occurrence", () => {
    const e = [r("ufw", "allow 80/tcp", { added: "yes" })];
    expect(diffRecords(e, [...e, ...e])).toEqual([{ kind: "ufw", subject: "allow 80/tcp", expected: undefined, found: { added: "yes" } }]);
  });

  it("raw lines found are always reported, even when apply printed the same", () => {
    const raw = r(RAW, "garbage");
    expect(diffRecords([raw], [raw])).toEqual([{ kind: RAW, subject: "garbage", expected: {}, found: {} }]);
    expect(diffRecords([raw], [])).toEqual([{ kind: RAW, subject: "garbage", expected: {}, found: undefined }]);
  });
});

describe("fingerprint hash over parsed records", () => {
  const text = serializeProbe([
    { kind: "file", subject: "/etc/a", fields: { sha256: "aa", mode: "644", owner: "root:root" } },
    { kind: "package", subject: "nginx", fields: { version: "1.22" } },
  ]);

  it("does not depend on record or field order, nor on blank lines", () => {
    const reordered = "package\tnginx\tversion=1.22\n\nfile\t/etc/a\towner=root:root\tmode=644\tsha256=aa\n";
    expect(fingerprintOf(reordered)).toBe(fingerprintOf(text));
    expect(canonicalProbe(parseProbe(reordered))).toBe(canonicalProbe(parseProbe(text)));
    expect(fingerprintOf(text)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with any value, and with a line that is not a record", () => {
    expect(fingerprintOf(text.replace("version=1.22", "version=1.24"))).not.toBe(fingerprintOf(text));
    expect(fingerprintOf(text + "\nbroken line")).not.toBe(fingerprintOf(text));
  });
});

// ---------------------------------------------------------------------------------------------

describe("every step's probe prints exactly the items it declares", () => {
  const cert = selfSignedCert("photogooo.com");
  const appFiles = [{ rel: "app.py", content: "application = None\n" }];
  const configs = {
    local: buildSteps(parseConfig(localRaw(), "local"), appFiles),
    // with the app contract's packages, port and data directory
    provided: buildSteps(parseConfig(localRaw({ tls: { mode: "provided", certificate: cert.cert }, tlsPrivateKey: cert.key, app: { dir: "provision/sample-app", packages: ["python3-pil"], port: 9123, dataDir: "/srv/photostudio" } }), "local"), appFiles),
    acme: buildSteps(parseConfig(alicloudCreateRaw({ tls: { email: "ops@photogooo.com", acmeServer: "https://acme.example/dir", acmeCaBundle: cert.cert } }), "prod"), appFiles),
    "acme, git source, CA bundle on the server": buildSteps(parseConfig(alicloudAdoptRaw(), "prod"), appFiles, "/etc/ssl/test-ca.pem"),
    // the data volume, a local PostgreSQL and backups
    data: buildSteps(parseConfig(localRaw(LOCAL_DATA), "local"), appFiles),
  };
  const cases = Object.entries(configs).flatMap(([config, steps]) => steps.map((step) => ({ config, id: step.id, step })));
  // a machine running the tests may have nginx of its own: its other sites would be (correct) extra records
  const hostSites = fs.existsSync("/etc/nginx/sites-enabled");

  it("the configs build the steps the contract covers", () => {
    expect(cases.map((c) => `${c.config}/${c.id}`)).toEqual([
      ...["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "tls", "app", "nginx", "fingerprint"].map((s) => `local/${s}`),
      ...["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "tls", "app", "nginx", "fingerprint"].map((s) => `provided/${s}`),
      ...["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "volume", "app", "nginx", "acme", "backup", "fingerprint"].map((s) => `acme/${s}`),
      ...["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "app", "nginx", "acme", "backup", "fingerprint"].map((s) => `acme, git source, CA bundle on the server/${s}`),
      ...["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "volume", "database", "tls", "app", "nginx", "backup", "fingerprint"].map((s) => `data/${s}`),
    ]);
  });

  it.each(cases)("$config: $id declares each item once", ({ step }) => {
    expect(step.manages.length).toBeGreaterThan(0);
    const keys = step.manages.map(recordKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  // a real process per step: under a second alone, but 5,072 ms once while other tests loaded the machine
  it.each(cases)("$config: $id, run in the sandbox, prints one record per declared item, in order", ({ step }) => {
    const records = parseProbe(splitProbe(run(probeScript(step))).probe);
    const printed = records.filter((r) => !(hostSites && r.kind === "site" && r.subject !== "/etc/nginx/sites-enabled/aistudio.conf"));
    expect(printed.filter((r) => r.kind === RAW)).toEqual([]);
    expect(printed.map((r) => ({ kind: r.kind, subject: r.subject }))).toEqual(step.manages);
  }, 30_000);

  it("the agreement check can fail: a step whose probe prints an undeclared item", () => {
    const step = configs.local[0];
    const records = parseProbe(sh(step.probe + "\nprobe_unit extra"));
    expect(records.map((r) => ({ kind: r.kind, subject: r.subject }))).not.toEqual(step.manages);
  });

  it("the items of the local config, by step", () => {
    const items = Object.fromEntries(configs.local.filter((s) => s.id !== "fingerprint").map((s) => [s.id, s.manages.map((m) => `${m.kind} ${m.subject}`)]));
    expect(items).toEqual({
      packages: ["nginx", "certbot", "openssl", "ufw", "python3-venv", "gunicorn", "ca-certificates", "git", "fail2ban", "python3-systemd", "nftables", "logrotate"].map((p) => `package ${p}`),
      firewall: ["ufw policy", "ufw allow 22/tcp", "ufw allow 80/tcp", "ufw allow 443/tcp"],
      ssh: ["file /etc/ssh/sshd_config.d/00-aistudio.conf", "sshd effective"],
      fail2ban: ["file /etc/fail2ban/jail.d/aistudio.local", "unit fail2ban", "fail2ban sshd"],
      tls: ["file /etc/aistudio/tls/fullchain.pem", "cert /etc/aistudio/tls/fullchain.pem", "key /etc/aistudio/tls/privkey.pem"],
      app: [
        "file /etc/systemd/system/aistudio.service", "file /etc/systemd/system/aistudio.socket", "file /etc/aistudio/gunicorn.conf.py", "file /etc/aistudio/aistudio.env",
        "link /srv/aistudio/current", "unit aistudio.socket", "unit aistudio", "listen :8000",
      ],
      nginx: ["file /etc/nginx/sites-available/aistudio.conf", "site /etc/nginx/sites-enabled/aistudio.conf", "file /etc/nginx/nginx.conf", "file /etc/systemd/system/nginx.service.d/aistudio-restart.conf", "unit nginx", "listen :443"],
      updates: [
        "package unattended-upgrades", "package needrestart", "file /etc/apt/apt.conf.d/60aistudio-security-updates", "file /etc/needrestart/conf.d/aistudio.conf",
        "file /etc/systemd/system/apt-daily-upgrade.service.d/aistudio-needrestart.conf", "file /etc/systemd/system/aistudio-reboot.timer", "file /etc/systemd/system/aistudio-reboot.service",
        "unit apt-daily.timer", "unit apt-daily-upgrade.timer", "unit aistudio-reboot.timer", "apt unattended-upgrades",
      ],
      baseline: [
        ...["/etc/sysctl.d/90-aistudio-hardening.conf", "/etc/security/limits.d/90-aistudio-nocore.conf", "/etc/systemd/coredump.conf.d/90-aistudio.conf",
          "/etc/systemd/system.conf.d/90-aistudio-nocore.conf", "/etc/systemd/journald.conf.d/90-aistudio.conf", "/etc/systemd/timesyncd.conf.d/90-aistudio.conf",
          "/etc/modprobe.d/aistudio-blacklist.conf"].map((f) => `file ${f}`),
        ...SYSCTLS.map(([k]) => `sysctl ${k}`),
        "login /etc/login.defs", "journal /var/log/journal", "coredump services", "timesync daemon", "ufw sysctl", "package logrotate", "unit logrotate.timer", "file /etc/logrotate.d/nginx",
      ],
    });
  });

  it("the app contract's items: its packages after ours, and its port", () => {
    const items = (id: string) => configs.provided.find((s) => s.id === id)!.manages.map((m) => `${m.kind} ${m.subject}`);
    expect(items("packages").at(-1)).toBe("package python3-pil");
    expect(items("app").at(-1)).toBe("listen :9123");
    expect(configs.provided.at(-1)!.manages).toContainEqual({ kind: "package", subject: "python3-pil" });
  });

  it("the acme step's items: links to certbot's files, names only, renewal server, hook, CA, timer", () => {
    const acme = configs.acme.find((s) => s.id === "acme")!;
    expect(acme.manages.map((m) => `${m.kind} ${m.subject}`)).toEqual([
      "link /etc/aistudio/tls/fullchain.pem",
      "link /etc/aistudio/tls/privkey.pem",
      "cert /etc/letsencrypt/live/photogooo.com/fullchain.pem",
      "renewal /etc/letsencrypt/renewal/photogooo.com.conf",
      "file /etc/letsencrypt/renewal-hooks/deploy/aistudio-reload-nginx",
      "file /etc/aistudio/acme-ca.pem",
      "file /etc/systemd/system/certbot.service.d/aistudio-acme-ca.conf",
      "unit certbot.timer",
    ]);
  });

  it("the fingerprint leaves certificates out and covers files, versions, unit settings, rules, listeners, release and sites", () => {
    const fp = configs.local[configs.local.length - 1];
    const kinds = [...new Set(fp.manages.map((m) => m.kind))];
    expect(kinds).toEqual(["file", "package", "unit", "ufw", "listen", "link", "site"]);
    expect(fp.manages.filter((m) => m.kind === "file").map((m) => m.subject)).toEqual([
      "/etc/aistudio/aistudio.env", "/etc/aistudio/gunicorn.conf.py", "/etc/apt/apt.conf.d/60aistudio-security-updates", "/etc/fail2ban/jail.d/aistudio.local", "/etc/modprobe.d/aistudio-blacklist.conf", "/etc/needrestart/conf.d/aistudio.conf",
      "/etc/nginx/sites-available/aistudio.conf", "/etc/security/limits.d/90-aistudio-nocore.conf", "/etc/ssh/sshd_config.d/00-aistudio.conf", "/etc/sysctl.d/90-aistudio-hardening.conf",
      "/etc/systemd/coredump.conf.d/90-aistudio.conf", "/etc/systemd/journald.conf.d/90-aistudio.conf", "/etc/systemd/system.conf.d/90-aistudio-nocore.conf",
      "/etc/systemd/system/aistudio.service", "/etc/systemd/system/aistudio.socket",
      "/etc/systemd/system/apt-daily-upgrade.service.d/aistudio-needrestart.conf", "/etc/systemd/system/nginx.service.d/aistudio-restart.conf",
      "/etc/systemd/timesyncd.conf.d/90-aistudio.conf",
    ]);
    expect(fp.probe).toContain("probe_package python3 version");
    expect(fp.probe).toContain("probe_unit_props aistudio User,Group,ExecStart,");
  });
});

// ---------------------------------------------------------------------------------------------
// each kind of drift item, end to end: probe the sandbox, change one thing, probe again, and read
// the drift report the way `aistudio drift` does

function driftOf(resource: string, expected: string, observed: string): DriftItem[] {
  return driftFromPreview([
    {
      op: "update",
      urn: `urn:pulumi:local::aistudio::aistudio:server:Provisioning$pulumi-nodejs:dynamic:Resource::${resource}`,
      oldState: { type: "pulumi-nodejs:dynamic:Resource", outputs: { expected, observed } },
      newState: { type: "pulumi-nodejs:dynamic:Resource", inputs: {} },
    },
  ]);
}

/** Probes, applies the change, probes again: the drift items of that one change. */
function drift(resource: string, probe: string, change: () => void): DriftItem[] {
  const expected = sh(probe);
  expect(probeDiff(expected, sh(probe)), "no difference before the change").toEqual([]);
  change();
  return driftOf(resource, expected, sh(probe));
}

const server = (item: string, expected: string, found: string, resource: string): DriftItem => ({ kind: "server", resource, item, expected, found });

describe("drift items: files", () => {
  const file = path.join(tmp, "sites available", "aistudio.conf");
  const probe = `probe_file ${q(file)}`;
  const digest = (s: string) => sh(`printf %s ${q(s)} | sha256sum | cut -d' ' -f1`).trim();
  beforeEach(() => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "server {}\n");
    fs.chmodSync(file, 0o644);
  });

  it("content edited: the digest", () => {
    expect(drift("aistudio-nginx", probe, () => fs.appendFileSync(file, "# edited by hand\n"))).toEqual([
      server(`file ${file}`, `sha256=${digest("server {}\n")}`, `sha256=${digest("server {}\n# edited by hand\n")}`, "aistudio-nginx"),
    ]);
  });

  it("mode changed", () => {
    expect(drift("aistudio-nginx", probe, () => fs.chmodSync(file, 0o600))).toEqual([server(`file ${file}`, "mode=644", "mode=600", "aistudio-nginx")]);
  });

  it.runIf(process.getuid?.() === 0)("owner changed", () => {
    const me = sh(`stat -c '%U:%G' ${q(file)}`).trim();
    const nobody = sh("echo \"$(id -un 65534):$(id -gn 65534)\"").trim();
    expect(drift("aistudio-nginx", probe, () => fs.chownSync(file, 65534, 65534))).toEqual([server(`file ${file}`, `owner=${me}`, `owner=${nobody}`, "aistudio-nginx")]);
  });

  it("removed", () => {
    const d = drift("aistudio-nginx", probe, () => fs.rmSync(file));
    expect(d).toEqual([server(`file ${file}`, expect.stringMatching(/^sha256=[0-9a-f]{64} mode=644 owner=\S+$/), "state=missing", "aistudio-nginx")]);
  });
});

describe("drift items: units", () => {
  beforeEach(() => {
    fake("unit.nginx.enabled", "enabled");
    fake("unit.nginx.active", "active");
  });

  it("disabled", () => {
    expect(drift("aistudio-nginx", "probe_unit nginx", () => fake("unit.nginx.enabled", "disabled"))).toEqual([
      server("unit nginx", "enabled=enabled", "enabled=disabled", "aistudio-nginx"),
    ]);
  });

  it("stopped", () => {
    expect(drift("aistudio-app", "probe_unit nginx", () => fake("unit.nginx.active", undefined))).toEqual([
      server("unit nginx", "active=active", "active=inactive", "aistudio-app"),
    ]);
  });

  it("a unit setting changed (the fingerprint's unit record)", () => {
    fake("unit.aistudio.show", "User=aistudio\nExecStart={ path=/srv/aistudio/venv/bin/python ; argv[]=--workers 2 ; start_time=[Mon] ; pid=42 }");
    const d = drift("aistudio-fingerprint", "probe_unit_props aistudio User,ExecStart", () =>
      fake("unit.aistudio.show", "User=aistudio\nExecStart={ path=/srv/aistudio/venv/bin/python ; argv[]=--workers 9 ; start_time=[Tue] ; pid=43 }"));
    expect(d).toEqual([
      server("unit aistudio", "ExecStart={ path=/srv/aistudio/venv/bin/python ; argv[]=--workers 2", "ExecStart={ path=/srv/aistudio/venv/bin/python ; argv[]=--workers 9", "aistudio-fingerprint"),
    ]);
  });
});

describe("drift items: packages", () => {
  it("removed (dpkg keeps its config files)", () => {
    fake("pkg.nginx", "install ok installed\n1.22.1-9");
    expect(drift("aistudio-packages", "probe_package nginx", () => fake("pkg.nginx", "deinstall ok config-files\n1.22.1-9"))).toEqual([
      server("package nginx", "status=install ok installed", "status=deinstall ok config-files", "aistudio-packages"),
    ]);
  });

  it("purged (dpkg does not know it any more)", () => {
    fake("pkg.ufw", "install ok installed\n0.36.2-1");
    expect(drift("aistudio-packages", "probe_package ufw", () => fake("pkg.ufw", undefined))).toEqual([
      server("package ufw", "status=install ok installed", "status=not-installed", "aistudio-packages"),
    ]);
  });

  it("another version (the fingerprint)", () => {
    fake("pkg.nginx", "install ok installed\n1.22.1-9");
    expect(drift("aistudio-fingerprint", "probe_package nginx version", () => fake("pkg.nginx", "install ok installed\n1.24.0-2"))).toEqual([
      server("package nginx", "version=1.22.1-9", "version=1.24.0-2", "aistudio-fingerprint"),
    ]);
  });
});

describe("drift items: ufw", () => {
  const RULES = ["allow from 203.0.113.7/32 to any port 22 proto tcp", "allow 80/tcp", "allow 443/tcp"];
  const probe = `probe_ufw_policy\nprobe_ufw_rules ${words(...RULES)}`;
  const status = (incoming: string) => `Status: active\nLogging: on (low)\nDefault: ${incoming} (incoming), allow (outgoing), disabled (routed)\nNew profiles: skip\n\nTo Action From\n-- ------ ----\n443/tcp ALLOW IN Anywhere`;
  beforeEach(() => {
    fake("ufw.status", status("deny"));
    fake("ufw.added", RULES.map((r) => `ufw ${r}`).join("\n"));
  });

  it("the policy record reads ufw status verbose", () => {
    expect(parseProbe(sh("probe_ufw_policy"))).toEqual([{ kind: "ufw", subject: "policy", fields: { status: "active", incoming: "deny", outgoing: "allow", routed: "disabled" } }]);
  });

  it("a rule deleted (ufw delete allow 443/tcp)", () => {
    expect(drift("aistudio-firewall", probe, () => fake("ufw.added", RULES.slice(0, 2).map((r) => `ufw ${r}`).join("\n")))).toEqual([
      server("ufw allow 443/tcp", "added=yes", "added=no", "aistudio-firewall"),
    ]);
  });

  it("a rule added by hand", () => {
    expect(drift("aistudio-firewall", probe, () => fake("ufw.added", [...RULES, "allow 8000/tcp"].map((r) => `ufw ${r}`).join("\n")))).toEqual([
      server("ufw allow 8000/tcp", "(absent)", "added=yes", "aistudio-firewall"),
    ]);
  });

  it("the default incoming policy changed", () => {
    expect(drift("aistudio-firewall", probe, () => fake("ufw.status", status("allow")))).toEqual([
      server("ufw policy", "incoming=deny", "incoming=allow", "aistudio-firewall"),
    ]);
  });

  it("ufw disabled", () => {
    expect(drift("aistudio-firewall", probe, () => fake("ufw.status", "Status: inactive"))).toEqual([
      server("ufw policy", "status=active incoming=deny outgoing=allow routed=disabled", "status=inactive incoming= outgoing= routed=", "aistudio-firewall"),
    ]);
  });
});

describe("drift items: nginx sites and listeners", () => {
  const enabled = path.join(tmp, "sites-enabled");
  const ours = path.join(enabled, "aistudio.conf");
  const probe = `probe_link ${q(ours)} site\nprobe_extra_links ${q(enabled)} site aistudio.conf`;
  beforeEach(() => {
    fs.rmSync(enabled, { recursive: true, force: true });
    fs.mkdirSync(enabled);
    fs.symlinkSync("/etc/nginx/sites-available/aistudio.conf", ours);
  });

  it("our site unlinked", () => {
    expect(drift("aistudio-nginx", probe, () => fs.rmSync(ours))).toEqual([
      server(`site ${ours}`, "target=/etc/nginx/sites-available/aistudio.conf", "target=(missing)", "aistudio-nginx"),
    ]);
  });

  it("our site replaced by a copy", () => {
    expect(drift("aistudio-nginx", probe, () => { fs.rmSync(ours); fs.writeFileSync(ours, "server {}\n"); })).toEqual([
      server(`site ${ours}`, "target=/etc/nginx/sites-available/aistudio.conf", "target=(not a link)", "aistudio-nginx"),
    ]);
  });

  it("another site enabled beside ours", () => {
    expect(drift("aistudio-nginx", probe, () => fs.symlinkSync("/etc/nginx/sites-available/default", path.join(enabled, "default")))).toEqual([
      server(`site ${path.join(enabled, "default")}`, "(absent)", "target=/etc/nginx/sites-available/default", "aistudio-nginx"),
    ]);
  });

  it("the :443 listener gone", () => {
    fake("ss", "LISTEN 0 511 0.0.0.0:443 0.0.0.0:*\nLISTEN 0 511 [::]:443 [::]:*\nLISTEN 0 2048 127.0.0.1:8000 0.0.0.0:*\nLISTEN 0 511 0.0.0.0:4430 0.0.0.0:*");
    expect(drift("aistudio-nginx", "probe_listen 443", () => fake("ss", "LISTEN 0 2048 127.0.0.1:8000 0.0.0.0:*\nLISTEN 0 511 0.0.0.0:4430 0.0.0.0:*"))).toEqual([
      server("listen :443", "addresses=0.0.0.0:443 [::]:443", "addresses=", "aistudio-nginx"),
    ]);
  });

  it("the app listening on another address", () => {
    fake("ss", "LISTEN 0 2048 127.0.0.1:8000 0.0.0.0:*");
    expect(drift("aistudio-app", "probe_listen 8000", () => fake("ss", "LISTEN 0 2048 0.0.0.0:8000 0.0.0.0:*"))).toEqual([
      server("listen :8000", "addresses=127.0.0.1:8000", "addresses=0.0.0.0:8000", "aistudio-app"),
    ]);
  });
});

describe("drift items: certificates", () => {
  const dir = path.join(tmp, "tls");
  const chain = path.join(dir, "fullchain.pem");
  const key = path.join(dir, "privkey.pem");
  const probe = `probe_cert ${q(chain)}\nprobe_key ${q(key)} ${q(chain)}`;
  const install = (c: { cert: string; key: string }, only?: "cert") => {
    fs.writeFileSync(chain, c.cert);
    if (only !== "cert") fs.writeFileSync(key, c.key, { mode: 0o600 });
  };
  const endOf = (pem: string) => sh(`openssl x509 -noout -enddate <<'EOF'\n${pem}EOF`).trim().replace(/^notAfter=/, "");
  beforeEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    install(selfSignedCert("photogooo.com"));
  });

  it("the probe names subject, issuer, SAN and expiry, and never prints the key", () => {
    const out = sh(probe);
    const keyBody = fs.readFileSync(key, "utf8").split("\n").filter((l) => l && !l.startsWith("-----"));
    for (const l of keyBody) expect(out).not.toContain(l);
    expect(parseProbe(out)).toEqual([
      { kind: "cert", subject: chain, fields: { subject: "CN=photogooo.com", issuer: "CN=photogooo.com", san: "DNS:photogooo.com", notAfter: endOf(fs.readFileSync(chain, "utf8")) } },
      { kind: "key", subject: key, fields: { mode: "600", owner: expect.stringMatching(/^\S+:\S+$/), matches: "yes" } },
    ]);
  });

  it("replaced by a certificate for another name (and the key no longer matches it)", () => {
    const other = selfSignedCert("evil.example");
    const d = drift("aistudio-tls", probe, () => install(other, "cert"));
    expect(d).toEqual([
      server(`cert ${chain}`, expect.stringMatching(/^subject=CN=photogooo\.com issuer=CN=photogooo\.com san=DNS:photogooo\.com( notAfter=.*)?$/),
        expect.stringMatching(/^subject=CN=evil\.example issuer=CN=evil\.example san=DNS:evil\.example( notAfter=.*)?$/), "aistudio-tls"),
      server(`key ${key}`, "matches=yes", "matches=no", "aistudio-tls"),
    ]);
  });

  it("replaced by an unreadable file", () => {
    expect(drift("aistudio-tls", `probe_cert ${q(chain)}`, () => fs.writeFileSync(chain, "not a certificate\n"))).toEqual([
      server(`cert ${chain}`, expect.stringMatching(/^subject=CN=photogooo\.com issuer=\S+ san=\S+ notAfter=.+$/), "state=unreadable", "aistudio-tls"),
    ]);
  });

  it("acme: names only, so a renewal (same names, new dates and key) is not drift", () => {
    const names = `probe_cert ${q(chain)} names`;
    const expected = sh(names);
    install(selfSignedCert("photogooo.com"));
    expect(probeDiff(expected, sh(names))).toEqual([]);
    install(selfSignedCert("www.photogooo.com"));
    expect(driftOf("aistudio-acme", expected, sh(names))).toEqual([
      server(`cert ${chain}`, "subject=CN=photogooo.com san=DNS:photogooo.com", "subject=CN=www.photogooo.com san=DNS:www.photogooo.com", "aistudio-acme"),
    ]);
  });

  it("acme: the link to certbot's live files replaced, and the renewal server changed", () => {
    const link = path.join(dir, "live-link.pem");
    const conf = path.join(dir, "photogooo.com.conf");
    fs.symlinkSync("/etc/letsencrypt/live/photogooo.com/fullchain.pem", link);
    fs.writeFileSync(conf, "server = https://acme-v02.api.letsencrypt.org/directory\n");
    const d = drift("aistudio-acme", `probe_link ${q(link)}\nprobe_renewal ${q(conf)}`, () => {
      fs.rmSync(link);
      fs.copyFileSync(chain, link);
      fs.writeFileSync(conf, "server = https://acme-staging-v02.api.letsencrypt.org/directory\n");
    });
    expect(d).toEqual([
      server(`link ${link}`, "target=/etc/letsencrypt/live/photogooo.com/fullchain.pem", "target=(not a link)", "aistudio-acme"),
      server(`renewal ${conf}`, "server=https://acme-v02.api.letsencrypt.org/directory", "server=https://acme-staging-v02.api.letsencrypt.org/directory", "aistudio-acme"),
    ]);
  });
});

describe("drift items: a broken or failed probe", () => {
  it("a refresh whose probe failed is drift naming the failure", () => {
    const expected = sh("probe_unit nginx");
    expect(driftOf("aistudio-nginx", expected, "probe failed (exit 255): Connection reset by peer")).toEqual([
      server("unit nginx", "enabled= active=inactive", "(absent)", "aistudio-nginx"),
      server(RAW, "a probe record (kind<TAB>subject<TAB>key=value…)", "probe failed (exit 255): Connection reset by peer", "aistudio-nginx"),
    ]);
  });

  it("a stray line printed by a probe is reported, not dropped", () => {
    const expected = sh("probe_unit nginx");
    expect(driftOf("aistudio-nginx", expected, expected + "warning: something odd\n")).toEqual([
      server(RAW, "a probe record (kind<TAB>subject<TAB>key=value…)", "warning: something odd", "aistudio-nginx"),
    ]);
  });

  it("no difference, no drift item: the same state in another order", () => {
    const a = "unit\tnginx\tenabled=enabled\tactive=active\nfile\t/x\tmode=644";
    const b = "file\t/x\tmode=644\nunit\tnginx\tactive=active\tenabled=enabled";
    expect(driftOf("aistudio-nginx", a, b)).toEqual([]);
  });
});

describe("the doctor's server facts come from the same records", () => {
  it("its script, run in the sandbox, gives the facts the checks read", () => {
    fake("unit.nginx.enabled", "enabled");
    fake("unit.nginx.active", "active");
    fake("unit.aistudio.enabled", "enabled");
    fake("unit.aistudio.active", "failed");
    fake("unit.aistudio.socket.active", "active");
    fake("ss", [
      'LISTEN 0 511 0.0.0.0:443 0.0.0.0:* users:(("nginx",pid=10,fd=6))',
      'LISTEN 0 2048 127.0.0.1:8001 0.0.0.0:* users:(("gunicorn",pid=20,fd=5))',
      'LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))',
    ].join("\n"));
    const ufw = "Status: active\n\nTo                         Action      From\n--                         ------      ----\n443/tcp                    ALLOW IN    Anywhere";
    fake("ufw.status", ufw);
    fake("apt-get", "Inst libssl3 [3.0.20-1~deb12u2] (3.0.22-1~deb12u2 Debian-Security:12/oldstable-security [amd64])\nInst tzdata [2026b-0+deb12u1] (2026f-0+deb12u1 Debian:12.13/oldstable [all])");
    fake("timedatectl", "yes");
    fake("unit.fail2ban.active", "active");
    fake("fail2ban", "Status for the jail: sshd\n|- Filter\n|  |- Currently failed: 1\n`- Actions\n   |- Currently banned: 0");
    const before = Date.now() / 1000;
    const { clock, aptLists, ...facts } = parseServerFacts(run(serverScript(false)));
    expect(Number(clock)).toBeGreaterThanOrEqual(Math.floor(before));
    expect(Number(clock)).toBeLessThan(before + 30);
    expect(aptLists ?? "").toMatch(/^\d*$/);
    expect(facts).toEqual({
      nginx: "active", aistudio: "failed", socket: "active", appListen: "", gunicorn: "127.0.0.1:8001", ufw,
      // only the upgrade from the security archive
      securityUpdates: "libssl3", rebootRequired: "no", rebootPkgs: "", rebootWindow: "", clockNtp: "yes",
      fail2ban: "active", fail2banJail: "Status for the jail: sshd\n|- Filter\n|  |- Currently failed: 1\n`- Actions\n   |- Currently banned: 0",
    });
  });
});

describe("the drift table keeps its columns", () => {
  it("kind, resource, item, expected, found", async () => {
    const { formatTable } = await import("../../checks/drift");
    const t = formatTable([server("unit aistudio", "active=active", "active=inactive", "aistudio-app")]).split("\n").map((l) => l.trimEnd());
    expect(t[1].split(/\s{2,}/)).toEqual(["kind", "resource", "item / 项目", "expected / 期望", "found / 实际"]);
    expect(t[3].split(/\s{2,}/)).toEqual(["server", "aistudio-app", "unit aistudio", "active=active", "active=inactive"]);
  });
});
