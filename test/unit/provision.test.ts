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
import { AppOptions, envFileContent, gunicornConf, releaseId, socketFile, unitFile } from "../../provision/app";
import { firewallRules } from "../../provision/firewall";
import { PACKAGES, packagesStep } from "../../provision/packages";
import { ingressRules } from "../../infra/components/cloud";
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

/** The `location … {` blocks of a server, by their match ("= /", "/api/", "^~ /x/"; named ones left out). */
function locations(server: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of server.matchAll(/^    location ([^@{][^{]*?) \{$/gm)) out.set(m[1], block(server, m[0].trimStart()));
  return out;
}

/** The location nginx picks for `uri` among prefix and exact locations (the site has no regex ones). */
function locationFor(server: string, uri: string): string {
  const locs = [...locations(server).keys()];
  expect(locs.filter((l) => /^~/.test(l)), "a regex location: locationFor does not model those").toEqual([]);
  const exact = locs.find((l) => l === `= ${uri}`);
  if (exact) return locations(server).get(exact)!;
  const prefix = locs
    .map((l) => ({ l, p: l.replace(/^\^~ /, "") }))
    .filter(({ p }) => !p.startsWith("=") && uri.startsWith(p))
    .sort((a, b) => b.p.length - a.p.length)[0];
  expect(prefix, `no location for ${uri}`).toBeDefined();
  return locations(server).get(prefix!.l)!;
}

/** The `server { … }` blocks of a site, in order. */
function servers(site: string): string[] {
  const out: string[] = [];
  for (let at = site.indexOf("server {\n"); at >= 0; at = site.indexOf("\nserver {\n", at + 1)) {
    const b = block(site.slice(at).replace(/^\n/, ""), "server {");
    out.push(b);
  }
  return out;
}

describe("nginxSite", () => {
  const site = nginxSite({ domain: "photogooo.com", appPort: 8000, dataDir: "/var/lib/aistudio" });
  const http = block(site, "server {\n    listen 80;");
  const https = block(site, "server {\n    listen 443 ssl http2;\n");
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
    expect(https).toContain("listen 443 ssl http2;");
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
    expect(nginxSite({ domain: "photogooo.com", appPort: 8000, dataDir: "/var/lib/aistudio", hstsMaxAge: 0 })).not.toContain("Strict-Transport-Security");
  });

  it("/ and /api/ go to gunicorn on 127.0.0.1:8000 only (the upstream aistudio_app; its retry rules: nginx-upstream.test.ts)", () => {
    expect(api).toContain("proxy_pass http://aistudio_app;");
    expect(block(https, "location / {")).toContain("proxy_pass http://aistudio_app;");
    expect(site.match(/proxy_pass .*/g)).toEqual(["proxy_pass http://aistudio_app;", "proxy_pass http://aistudio_app;"]);
    expect(block(site, "upstream aistudio_app {").match(/^\s*server \S+/gm)!.map((l) => l.trim())).toEqual(["server 127.0.0.1:8000", "server 127.0.0.1:8000"]);
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

  it("JSON error pages only under /api/: the app's own pages pass through everywhere else", () => {
    expect(site.match(/error_page .*/g)).toEqual(api.match(/error_page .*/g));
    expect(site).not.toContain("proxy_intercept_errors");
    for (const uri of ["/", "/admin/login", "/index.html"]) expect(locationFor(https, uri)).not.toContain("error_page");
  });

  describe("a non-default app.port and app.dataDir", () => {
    const custom = nginxSite({ domain: "photogooo.com", appPort: 9123, dataDir: "/srv/photostudio" });
    const tls = block(custom, "server {\n    listen 443 ssl http2;\n");
    const app = "proxy_pass http://aistudio_app;";

    it.each(["/", "/index.html", "/admin/", "/admin/login", "/admin/static/admin.js", "/admin/api/miniprogram-config", "/api/", "/api/user/visit", "/api", "/favicon.ico"])(
      "%s goes to the app on 127.0.0.1:9123",
      (uri) => {
        expect(locationFor(tls, uri)).toContain(app);
      },
    );

    it("/static/ and /media/ come from disk, /media/ from <dataDir>/media", () => {
      expect(locationFor(tls, "/media/uploads/a.jpg")).toContain("alias /srv/photostudio/media/;");
      expect(locationFor(tls, "/static/app.css")).toContain("alias /srv/aistudio/static/;");
      expect(locationFor(tls, "/media/uploads/a.jpg")).not.toContain("proxy_pass");
    });

    it("names neither the default port nor the default data directory", () => {
      expect(custom.match(/proxy_pass .*/g)).toEqual([app, app]);
      expect(block(custom, "upstream aistudio_app {").match(/127\.0\.0\.1:\d+/g)).toEqual(["127.0.0.1:9123", "127.0.0.1:9123"]);
      expect(custom).not.toContain("8000");
      expect(custom).not.toContain("/var/lib/aistudio");
    });
  });

  describe("nothing but the domain is served", () => {
    const all = servers(site);
    const defaults = all.filter((s) => s.includes(" default_server;"));

    it("has four servers: a catch-all and the domain's, on 80 and on 443", () => {
      expect(all.map((s) => /listen (\d+)/.exec(s)![1] + " " + /server_name (\S+);/.exec(s)![1])).toEqual([
        "80 _", "443 _", "80 photogooo.com", "443 photogooo.com",
      ]);
    });

    it("the default servers are catch-alls: 80 closes the connection, 443 refuses the handshake", () => {
      expect(defaults).toHaveLength(2);
      const [d80, d443] = defaults;
      expect(d80).toContain("listen 80 default_server;");
      expect(d80).toContain("listen [::]:80 default_server;");
      expect(d80).toContain("return 444;");
      expect(d443).toContain("listen 443 ssl http2 default_server;");
      expect(d443).toContain("listen [::]:443 ssl http2 default_server;");
      expect(d443).toContain("ssl_reject_handshake on;");
      for (const d of defaults) {
        expect(d).toContain("server_name _;");
        expect(d).not.toContain("location");
        expect(d).not.toContain("proxy_pass");
      }
    });

    it("the catch-all on 443 shakes hands with the domain's protocols and ciphers (the handshake uses the default server's)", () => {
      const tlsLines = (s: string) => s.split("\n").filter((l) => /^\s+ssl_(protocols|ciphers|prefer_server_ciphers|session_\w+) /.test(l));
      expect(tlsLines(defaults[1])).toHaveLength(6);
      expect(tlsLines(defaults[1])).toEqual(tlsLines(https));
    });

    it("Debian's welcome page cannot be reached: no root or index of the default site", () => {
      expect(site).not.toContain("/var/www/html");
      expect(site).not.toMatch(/^\s*index /m);
      expect(locationFor(https, "/index.nginx-debian.html")).toContain("proxy_pass http://aistudio_app;");
    });
  });
});

describe("unitFile", () => {
  const unit = unitFile({ workers: 3, wsgi: "app:application", port: 8000, dataDir: "/var/lib/aistudio" });
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

  it("restarts on failure and is sandboxed: only the data directory is writable", () => {
    for (const l of ["Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=", "UMask=0027"]) {
      expect(lines).toContain(l);
    }
    expect(lines.filter((l) => l.startsWith("ReadWritePaths="))).toEqual(["ReadWritePaths=/var/lib/aistudio"]);
  });

  describe("the app contract: a non-default entry point, port and data directory", () => {
    const custom = unitFile({ workers: 2, wsgi: "photostudio.wsgi:app", port: 9123, dataDir: "/srv/photostudio" }).split("\n");
    const exec = custom.find((l) => l.startsWith("ExecStart="))!;

    it("gunicorn runs app.wsgi itself (no shim) on 127.0.0.1:<app.port>, with the managed settings file", () => {
      expect(exec).toBe(
        "ExecStart=/srv/aistudio/venv/bin/python -m gunicorn -c /etc/aistudio/gunicorn.conf.py --bind 127.0.0.1:9123 --workers 2 --pythonpath /srv/aistudio/current --graceful-timeout 20 --access-logfile - --error-logfile - photostudio.wsgi:app",
      );
    });

    it("ReadWritePaths is exactly app.dataDir, and the environment says where the data and the uploads go", () => {
      expect(custom.filter((l) => l.startsWith("ReadWritePaths="))).toEqual(["ReadWritePaths=/srv/photostudio"]);
      // the app never starts (and writes onto the system disk) while its data volume is not mounted
      expect(custom.filter((l) => l.startsWith("RequiresMountsFor="))).toEqual(["RequiresMountsFor=/srv/photostudio"]);
      expect(custom.filter((l) => l.startsWith("Environment"))).toEqual([
        "EnvironmentFile=/etc/aistudio/aistudio.env",
        "Environment=PYTHONUNBUFFERED=1",
        "Environment=AISTUDIO_DATA_DIR=/srv/photostudio",
        "Environment=AISTUDIO_MEDIA_DIR=/srv/photostudio/media",
      ]);
      expect(custom.join("\n")).not.toMatch(/8000|\/var\/lib\/aistudio|app:application/);
    });

    it("keeps every other sandbox setting of the default unit", () => {
      const settings = (u: string[]) => u.filter((l) => /^[A-Z]\w*=/.test(l) && !/^(ExecStart|ReadWritePaths|RequiresMountsFor|Environment)=/.test(l));
      expect(settings(custom)).toEqual(settings(lines));
    });
  });

  it("the listening socket is systemd's, on loopback only, and the unit requires it (restarts queue requests)", () => {
    const sock = socketFile(9123).split("\n");
    expect(sock.filter((l) => l.startsWith("ListenStream="))).toEqual(["ListenStream=127.0.0.1:9123"]);
    expect(sock).toContain("Backlog=2048");
    expect(sock).toContain("WantedBy=sockets.target");
    const unit = unitFile({ workers: 2, wsgi: "app:application", port: 9123, dataDir: "/var/lib/aistudio" }).split("\n");
    expect(unit).toContain("Requires=aistudio.socket");
    expect(unit.find((l) => l.startsWith("After="))).toContain("aistudio.socket");
  });

  const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
  it.skipIf(analyze.status !== 0)("systemd-analyze security (offline) rates the unit 2.0 or lower", () => {
    const file = path.join(tmp, "aistudio.service");
    fs.writeFileSync(file, unitFile({ workers: 2, wsgi: "photostudio.wsgi:app", port: 9123, dataDir: "/srv/photostudio" }));
    const r = spawnSync("systemd-analyze", ["security", "--offline=yes", "--no-pager", file], { encoding: "utf8" });
    const m = /Overall exposure level for aistudio\.service: (\d+\.\d)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.0);
    // and the rating can fail: the same unit without its sandbox is exposed
    fs.writeFileSync(file, unit.split("# Sandbox:")[0] + "\n[Install]\nWantedBy=multi-user.target\n");
    const bare = /Overall exposure level for aistudio\.service: (\d+\.\d)/.exec(spawnSync("systemd-analyze", ["security", "--offline=yes", "--no-pager", file], { encoding: "utf8" }).stdout);
    expect(Number(bare![1])).toBeGreaterThan(2.0);
  });
});

describe("gunicornConf", () => {
  /** What gunicorn would read from the settings file: its raw_env, or null. */
  function rawEnv(releaseFile: string): unknown {
    const conf = path.join(tmp, `gunicorn-${Math.random().toString(36).slice(2)}.conf.py`);
    fs.writeFileSync(conf, gunicornConf(releaseFile));
    const r = spawnSync("python3", ["-c", "import json, sys; ns = {}; exec(open(sys.argv[1]).read(), ns); print(json.dumps(ns.get('raw_env')))", conf], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout);
  }

  it("sets AISTUDIO_RELEASE to the release the RELEASE file names, read anew each time", () => {
    const rel = path.join(tmp, "RELEASE");
    fs.writeFileSync(rel, "0123456789ab\n");
    expect(rawEnv(rel)).toEqual(["AISTUDIO_RELEASE=0123456789ab"]);
    fs.writeFileSync(rel, "ba9876543210\n");
    expect(rawEnv(rel)).toEqual(["AISTUDIO_RELEASE=ba9876543210"]);
  });

  it("sets nothing (and does not fail) without a RELEASE file", () => {
    expect(rawEnv(path.join(tmp, "no-such-release", "RELEASE"))).toBeNull();
  });

  it("reads the live release by default", () => {
    expect(gunicornConf()).toContain('open("/srv/aistudio/current/RELEASE"');
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
    // a single address as ufw prints it (without /32): otherwise the rules never match and ufw is reset on every deploy
    expect(firewallRules({ sshPort: 2222, adminCidrs: ["203.0.113.7/32", "198.51.100.0/24"] })).toEqual([
      "allow from 203.0.113.7 to any port 2222 proto tcp",
      "allow from 198.51.100.0/24 to any port 2222 proto tcp",
      "allow 80/tcp",
      "allow 443/tcp",
    ]);
  });

  it("never opens gunicorn's port 8000", () => {
    expect(firewallRules({ sshPort: 22, adminCidrs: ["203.0.113.7/32"] }).join("\n")).not.toContain("8000");
  });

  it("never opens a non-default app.port: neither in ufw nor in the security group", () => {
    const cfg = parseConfig(alicloudCreateRaw({ app: { dir: "provision/sample-app", port: 9123 } }), "prod");
    const steps = buildSteps(cfg, [{ rel: "app.py", content: "application = None\n" }]);
    const byId = (id: string) => steps.find((s) => s.id === id)!;
    // the port is in the build (the search below can find it) ...
    expect(byId("app").apply).toContain("APP_PORT=9123");
    // ... but in no firewall rule, and in no security group rule
    expect(byId("firewall").apply + byId("firewall").probe).not.toContain("9123");
    expect(ingressRules(cfg).map((r) => r.port).sort()).toEqual([22, 443, 80].sort());
  });
});

describe("packagesStep", () => {
  const items = (step: Step) => step.manages.map((m) => `${m.kind} ${m.subject}`);

  it("installs and probes the app's packages (aistudio:app.packages) after ours", () => {
    const step = packagesStep({ app: ["python3-pil", "libjpeg62-turbo"] });
    expect(items(step)).toEqual([...PACKAGES, "python3-pil", "libjpeg62-turbo"].map((p) => `package ${p}`));
    expect(step.apply).toContain("\nAPP_PACKAGES=(python3-pil libjpeg62-turbo)\n");
    expect(step.apply).toContain("\nAPP_PACKAGES_KEY=aistudio:app.packages\n");
    expect(step.description).toContain("and the app's python3-pil, libjpeg62-turbo");
  });

  it("a package of ours listed again by the app is installed and probed once", () => {
    const step = packagesStep({ app: ["nginx", "python3-yaml"] });
    expect(items(step).filter((i) => i === "package nginx")).toHaveLength(1);
    expect(step.apply).toContain("\nAPP_PACKAGES=(python3-yaml)\n");
  });

  it("without app packages, only ours", () => {
    expect(items(packagesStep({ app: [] }))).toEqual(PACKAGES.map((p) => `package ${p}`));
    expect(packagesStep({ app: [] }).apply).toContain("\nAPP_PACKAGES=()\n");
  });

  it("buildSteps hands app.packages to the packages step and the fingerprint (their versions belong to the build)", () => {
    const build = (packages: string[]) => buildSteps(parseConfig(localRaw({ app: { dir: "provision/sample-app", packages } }), "local"), [{ rel: "app.py", content: "" }]);
    const [withYaml, without] = [build(["python3-yaml"]), build([])];
    const packages = (steps: Step[]) => steps.find((s) => s.id === "packages")!;
    expect(packages(withYaml).probe.split("\n")).toContain("probe_package python3-yaml");
    expect(withYaml.at(-1)!.probe.split("\n")).toContain("probe_package python3-yaml version");
    expect(packages(without).probe + without.at(-1)!.probe).not.toContain("python3-yaml");
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
    expect(ids("local")).toEqual(["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "tls", "app", "nginx", "fingerprint"]);
    expect(ids("provided")).toEqual(["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "tls", "app", "nginx", "fingerprint"]);
    expect(ids("acme")).toEqual(["updates", "packages", "firewall", "ssh", "fail2ban", "baseline", "volume", "app", "nginx", "acme", "backup", "fingerprint"]);
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
    port: 8000,
    dataDir: "/var/lib/aistudio",
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

  it("does not change with settings that are not code (workers, env, port, data directory)", () => {
    expect(releaseId({ ...opts(files), workers: 8, env: { A: "b" }, port: 9123, dataDir: "/srv/photostudio" })).toBe(r0);
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
