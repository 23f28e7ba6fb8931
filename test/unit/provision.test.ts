// Guards provision/*.ts: the exact files the server receives (nginx site, systemd unit, env file,
// ufw rules), that every generated script is valid bash, that shell quoting cannot be broken out
// of, and that content hashes change exactly when what the server receives changes.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../infra/config";
import { buildSteps } from "../../infra/steps";
import { readAppDir } from "../../infra/app-source";
import { applyScript, probeScript } from "../../infra/runner/script";
import { nginxSite } from "../../provision/nginx";
import { AppOptions, envFileContent, releaseId, unitFile } from "../../provision/app";
import { firewallRules } from "../../provision/firewall";
import { PRELUDE } from "../../provision/prelude";
import { q, words, writeB64 } from "../../provision/shell";
import { Step, stepHash } from "../../provision/step";
import { alicloudAdoptRaw, alicloudCreateRaw, localRaw, selfSignedCert } from "./fixtures";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-provision-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a bash script locally (no network), returns exit code, stdout and stderr. */
function bash(script: string, args: string[] = []) {
  const r = spawnSync("bash", ["-c", script, "bash", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `bash -n`: syntax check without running anything. */
function syntaxCheck(script: string) {
  const r = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
  return { code: r.status, stderr: r.stderr };
}

/** Text of the `{ … }` block that starts at the first line matching `header` (by brace counting). */
function block(text: string, header: string): string {
  const start = text.indexOf(header);
  expect(start, `no block "${header}"`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    if (text[i] === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unbalanced block "${header}"`);
}

describe("nginxSite", () => {
  const site = nginxSite({ domain: "photogooo.com" });
  const http = block(site, "server {\n    listen 80 ");
  const https = block(site, "server {\n    listen 443 ");
  const api = block(https, "location /api/ {");

  it("matches the reviewed snapshot", () => {
    expect(site).toMatchSnapshot();
  });

  it("port 80 answers ACME challenges from the webroot and redirects the rest with 308", () => {
    const acme = block(http, "location ^~ /.well-known/acme-challenge/ {");
    expect(acme).toContain("root /var/www/acme;");
    expect(acme).toContain("try_files $uri =404;");
    expect(block(http, "location / {")).toContain("return 308 https://photogooo.com$request_uri;");
    expect(http).toContain("server_name photogooo.com;");
  });

  it("port 443 speaks TLS 1.2/1.3 only, lets clients pick ciphers, and does not staple OCSP", () => {
    expect(https).toContain("listen 443 ssl http2 default_server;");
    expect(https).toContain("ssl_protocols TLSv1.2 TLSv1.3;");
    expect(https).toContain("ssl_prefer_server_ciphers off;");
    expect(https).toContain("ssl_certificate /etc/aistudio/tls/fullchain.pem;");
    expect(https).toContain("ssl_certificate_key /etc/aistudio/tls/privkey.pem;");
    expect(https).toMatch(/ssl_ciphers ECDHE-[A-Z0-9:-]+;/);
    expect(https).not.toMatch(/TLSv1(\.1)?[ ;]/);
    expect(site).not.toContain("ssl_stapling");
    expect(https).toContain('add_header Strict-Transport-Security "max-age=31536000" always;');
  });

  it("hstsMaxAge 0 (test stacks) leaves out the HSTS header", () => {
    expect(nginxSite({ domain: "photogooo.com", hstsMaxAge: 0 })).not.toContain("Strict-Transport-Security");
  });

  it("/api/ goes to gunicorn on 127.0.0.1:8000 only", () => {
    expect(api).toContain("proxy_pass http://127.0.0.1:8000;");
    expect(site.match(/proxy_pass .*/g)).toEqual(["proxy_pass http://127.0.0.1:8000;"]);
  });

  it("every nginx error under /api/ (404/413/502/503/504) answers JSON with success:false", () => {
    const pages = [...api.matchAll(/error_page (\d+) = @(\w+);/g)].map((m) => ({ code: m[1], named: m[2] }));
    expect(pages.map((p) => p.code)).toEqual(["404", "413", "502", "503", "504"]);
    for (const { code, named } of pages) {
      const loc = block(https, `location @${named} {`);
      expect(loc).toContain("default_type application/json;");
      const ret = new RegExp(`return ${code} '([^']*)';`).exec(loc);
      expect(ret, `location @${named} has no "return ${code} '<json>'"`).not.toBeNull();
      const body = JSON.parse(ret![1]);
      expect(body.success).toBe(false);
      expect(body.error).toMatch(/^[a-z_]+$/);
      expect(typeof body.message).toBe("string");
    }
  });
});

describe("unitFile", () => {
  const unit = unitFile({ workers: 3, wsgi: "app:application" });
  const lines = unit.split("\n");

  it("matches the reviewed snapshot", () => {
    expect(unit).toMatchSnapshot();
  });

  it("runs gunicorn as the aistudio user on 127.0.0.1:8000 with the env file", () => {
    expect(lines).toContain("User=aistudio");
    expect(lines).toContain("Group=aistudio");
    expect(lines).toContain("EnvironmentFile=/etc/aistudio/aistudio.env");
    const exec = lines.find((l) => l.startsWith("ExecStart="));
    expect(exec).toContain("--bind 127.0.0.1:8000 ");
    expect(exec).toContain("--workers 3 ");
    expect(exec).toMatch(/ app:application$/);
    expect(unit).not.toContain("0.0.0.0");
  });

  it("restarts on failure and is sandboxed: only the media directory is writable", () => {
    for (const l of ["Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/aistudio/media", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet="]) {
      expect(lines).toContain(l);
    }
    expect(lines.filter((l) => l.startsWith("ReadWritePaths="))).toEqual(["ReadWritePaths=/var/lib/aistudio/media"]);
  });
});

/** systemd's EnvironmentFile parser for KEY="value" lines: in double quotes \" \\ \` \$ drop the backslash. */
function parseSystemdEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n").filter(Boolean)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)="(.*)"$/.exec(line);
    expect(m, `not a KEY="value" line: ${line}`).not.toBeNull();
    out[m![1]] = m![2].replace(/\\(.)/g, (all, c: string) => ('"\\`$'.includes(c) ? c : all));
  }
  return out;
}

describe("envFileContent", () => {
  const env = {
    QUOTES: 'say "hi" and \'bye\'',
    BACKSLASH: "C:\\dir\\new",
    DOLLAR: "$HOME ${PATH} $(id)",
    SPACES: "  two  spaces  ",
    MIXED: 'a\\"b',
  };

  it("quotes values for systemd: sorted keys, \\ and \" escaped, $ and spaces kept", () => {
    expect(envFileContent(env)).toBe(
      [
        'BACKSLASH="C:\\\\dir\\\\new"',
        'DOLLAR="$HOME ${PATH} $(id)"',
        'MIXED="a\\\\\\"b"',
        'QUOTES="say \\"hi\\" and \'bye\'"',
        'SPACES="  two  spaces  "',
        "",
      ].join("\n"),
    );
  });

  it("reads back as the same values under systemd's double-quote rules", () => {
    expect(parseSystemdEnv(envFileContent(env))).toEqual(env);
  });

  it("is empty for no variables", () => {
    expect(envFileContent({})).toBe("");
  });
});

describe("firewallRules", () => {
  it("no admin CIDRs (test host): SSH from anywhere, plus 80 and 443", () => {
    expect(firewallRules({ sshPort: 22, adminCidrs: [] })).toEqual(["allow 22/tcp", "allow 80/tcp", "allow 443/tcp"]);
  });

  it("two admin CIDRs: SSH only from them, on the configured port", () => {
    expect(firewallRules({ sshPort: 2222, adminCidrs: ["203.0.113.7/32", "198.51.100.0/24"] })).toEqual([
      "allow from 203.0.113.7/32 to any port 2222 proto tcp",
      "allow from 198.51.100.0/24 to any port 2222 proto tcp",
      "allow 80/tcp",
      "allow 443/tcp",
    ]);
  });

  it("never opens gunicorn's port 8000", () => {
    expect(firewallRules({ sshPort: 22, adminCidrs: ["203.0.113.7/32"] }).join("\n")).not.toContain("8000");
  });
});

describe("every step's scripts are valid bash", () => {
  const appFiles = readAppDir(path.resolve(__dirname, "../../provision/sample-app"));
  const provided = selfSignedCert("photogooo.com");
  const odd = {
    app: { dir: "provision/sample-app", preStart: [`python -c 'print("it\\'s $HOME \`id\`")'`, "python manage.py migrate"] },
    appEnv: { SECRET_KEY: `it's a "secret" $x \\ \`y\`` },
  };
  const configs = {
    local: parseConfig(localRaw(odd), "local"),
    provided: parseConfig(localRaw({ ...odd, tls: { mode: "provided", certificate: provided.cert }, tlsPrivateKey: provided.key }), "local"),
    acme: parseConfig(alicloudCreateRaw({ ...odd, tls: { email: "ops@photogooo.com", acmeServer: "https://acme.example/dir" } }), "prod"),
    "acme + git source": parseConfig(alicloudAdoptRaw({ app: { git: "https://git.example.com/a b.git", ref: "it's" } }), "prod"),
  };
  const cases = Object.entries(configs).flatMap(([name, cfg]) =>
    buildSteps(cfg, appFiles, "/etc/ssl/test-ca.pem").map((step) => ({ name, id: step.id, step })),
  );

  it("builds the expected steps in order for each TLS mode", () => {
    const ids = (name: string) => cases.filter((c) => c.name === name).map((c) => c.id);
    expect(ids("local")).toEqual(["packages", "firewall", "tls", "app", "nginx", "fingerprint"]);
    expect(ids("provided")).toEqual(["packages", "firewall", "tls", "app", "nginx", "fingerprint"]);
    expect(ids("acme")).toEqual(["packages", "firewall", "app", "nginx", "acme", "fingerprint"]);
  });

  it.each(cases)("$name: $id apply, probe and full scripts pass bash -n", ({ step }) => {
    for (const script of [PRELUDE + "\n" + step.apply, PRELUDE + "\n" + step.probe, applyScript(step), probeScript(step)]) {
      const r = syntaxCheck(script);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
  });

  it("bash -n really catches a broken script (the check above can fail)", () => {
    expect(syntaxCheck(PRELUDE + "\nif true; then echo 'unclosed\n").code).not.toBe(0);
  });
});

describe("shell quoting: q()", () => {
  const ODD: [string, string][] = [
    ["", "''"],
    ["plain/path-1.0_x", "plain/path-1.0_x"],
    ["two words", "'two words'"],
    ["it's", `'it'"'"'s'`],
    ['say "hi"', `'say "hi"'`],
    ["$(rm -rf /)", "'$(rm -rf /)'"],
    ["`id`", "'`id`'"],
    ["${HOME}", "'${HOME}'"],
    ["line1\nline2", "'line1\nline2'"],
    ["中文", "'中文'"],
    ["*", "'*'"],
    ["~", "'~'"],
    ["a;b|c&d>e", "'a;b|c&d>e'"],
    ["back\\slash", "'back\\slash'"],
    ["''", `''"'"''"'"''`],
  ];

  it.each(ODD)("q(%j) === %s", (input, quoted) => {
    expect(q(input)).toBe(quoted);
  });

  it.each([...ODD.map(([i]) => i), "-n", "--", "trailing newline\n", " lead and trail ", "tab\there", "!event", "#comment"])(
    "round-trips through bash printf: %j comes back exactly",
    (input) => {
      const r = bash("printf %s " + q(input));
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(input);
    },
  );

  it("words() quotes each word separately", () => {
    const r = bash(`for w in ${words("a b", "it's", "", "$x")}; do printf '[%s]' "$w"; done`);
    expect(r.stdout).toBe("[a b][it's][][$x]");
  });
});

describe("writeB64", () => {
  const binaryish = Buffer.from([...Array(256).keys()]);
  const CONTENTS: [string, string | Buffer][] = [
    ["every byte value 0..255", binaryish],
    ["unicode text with quotes and a heredoc look-alike", "中文 «quotes» 'single' \"double\" $HOME `id`\n__AISTUDIO_B64__\nEOF\n"],
    ["long text (base64 wrapped over many lines)", "x".repeat(1000) + "\n"],
    ["empty", ""],
    ["no trailing newline", "abc"],
  ];

  it.each(CONTENTS)("%s: written by bash, read back byte for byte", (_name, content) => {
    const file = path.join(tmp, `it's a "file" ${Math.random().toString(36).slice(2)}.bin`);
    const r = bash(writeB64(file, content));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(fs.readFileSync(file).equals(Buffer.from(content))).toBe(true);
  });

  it("the content never appears in the command in plaintext", () => {
    const cmd = writeB64("/tmp/x", "SECRET_KEY=hunter2-very-secret");
    expect(cmd).not.toContain("hunter2");
    expect(cmd).toContain(Buffer.from("SECRET_KEY=hunter2-very-secret").toString("base64"));
  });
});

describe("stepHash", () => {
  const base = (): Step => ({
    id: "demo",
    description: "demo step",
    files: [{ path: "/etc/demo.conf", content: "a=1\n", mode: "0644" }],
    apply: "put_file /etc/demo.conf 0644 root root",
    manages: [{ kind: "file", subject: "/etc/demo.conf" }],
    probe: "probe_file /etc/demo.conf",
  });
  const h0 = stepHash(base());

  it("is stable for the same step", () => {
    expect(stepHash(base())).toBe(h0);
    expect(h0).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ignores the human description (it is only a comment in the script)", () => {
    expect(stepHash({ ...base(), description: "reworded" })).toBe(h0);
  });

  it.each<[string, (s: Step) => void]>([
    ["a file's content", (s) => (s.files[0].content = "a=2\n")],
    ["a file's mode", (s) => (s.files[0].mode = "0600")],
    ["a file's path", (s) => (s.files[0].path = "/etc/demo2.conf")],
    ["a file's owner", (s) => (s.files[0].owner = "aistudio")],
    ["an added file", (s) => s.files.push({ path: "/etc/other", content: "", mode: "0644" })],
    ["the apply script", (s) => (s.apply += "\nsystemctl reload demo")],
    ["the probe script", (s) => (s.probe += "\nprobe_unit demo")],
    ["the step id", (s) => (s.id = "demo2")],
  ])("changes when %s changes", (_what, mutate) => {
    const s = base();
    mutate(s);
    expect(stepHash(s)).not.toBe(h0);
  });
});

describe("releaseId", () => {
  const opts = (files: { rel: string; content: string; mode?: string }[]): AppOptions => ({
    source: { kind: "files", files },
    workers: 2,
    wsgi: "app:application",
    preStart: [],
    env: {},
  });
  const files = [
    { rel: "app.py", content: "print('v1')\n" },
    { rel: "requirements.txt", content: "flask\n" },
  ];
  const r0 = releaseId(opts(files));

  it("is stable for the same code, whatever the file order", () => {
    expect(releaseId(opts([...files].reverse()))).toBe(r0);
    expect(r0).toMatch(/^[0-9a-f]{12}$/);
  });

  it("does not change with settings that are not code (workers, env)", () => {
    expect(releaseId({ ...opts(files), workers: 8, env: { A: "b" } })).toBe(r0);
  });

  it("changes when code content, a file name, a mode or the file set changes", () => {
    expect(releaseId(opts([{ ...files[0], content: "print('v2')\n" }, files[1]]))).not.toBe(r0);
    expect(releaseId(opts([{ ...files[0], rel: "main.py" }, files[1]]))).not.toBe(r0);
    expect(releaseId(opts([{ ...files[0], mode: "0755" }, files[1]]))).not.toBe(r0);
    expect(releaseId(opts([files[0]]))).not.toBe(r0);
  });

  it("for git sources changes with the ref", () => {
    const git = (ref: string): AppOptions => ({ ...opts([]), source: { kind: "git", url: "https://git.example.com/a.git", ref } });
    expect(releaseId(git("v1"))).toBe(releaseId(git("v1")));
    expect(releaseId(git("v1"))).not.toBe(releaseId(git("v2")));
  });
});

// The fingerprint step re-records whenever another step changes, and never covers certificates.
describe("fingerprint step", () => {
  it("depends on the other steps' hashes and leaves certificates out", async () => {
    const { buildSteps } = await import("../../infra/steps");
    const { parseConfig } = await import("../../infra/config");
    const { localRaw } = await import("./fixtures");
    const { stepHash } = await import("../../provision/step");
    const cfg = parseConfig(localRaw(), "local");
    const files = [{ rel: "app.py", content: "x = 1\n" }];
    const a = buildSteps(cfg, files);
    const b = buildSteps(cfg, [{ rel: "app.py", content: "x = 2\n" }]);
    const fa = a[a.length - 1], fb = b[b.length - 1];
    expect(fa.id).toBe("fingerprint");
    expect(stepHash(fa)).not.toBe(stepHash(fb));
    expect(fa.probe).toContain("/etc/nginx/sites-available/aistudio.conf");
    expect(fa.probe).toContain("/etc/systemd/system/aistudio.service");
    expect(fa.probe).not.toContain("/etc/aistudio/tls/");
    expect(fa.probe).not.toContain(".incoming/");
  });
});
