// The failure paths of the app, nginx and acme steps, run for real without a host: the generated
// apply script (prelude, staging, header, provision/scripts/<step>.sh) runs under bash with a
// temporary directory as the server's root and stub commands first in PATH.
//
// The sandbox: the .sh files name no server path of their own (checked below); every path comes
// from the header, as a value starting with "/" (a URL path is named *_URL_PATH). The test builds the production step, checks
// that its apply script is exactly scriptFromFile(name, vars), and runs the same file with those
// path values (and the staged files' paths) moved under the sandbox root. The production scripts
// carry no test hook. Stubs (systemctl, nginx, curl, certbot, journalctl, systemd-run, install,
// chown, useradd, …) are small bash scripts that log their arguments and do what each test says.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyScript } from "../../infra/runner/script";
import { AppOptions, GUNICORN_CONF, appScriptVars, appStep, envFileContent, gunicornConf, sandbox, socketFile, unitFile, releaseId } from "../../provision/app";
import { PACKAGES, packagesScriptVars, packagesStep } from "../../provision/packages";
import { NGINX_CONF, nginxScriptVars, nginxStep, RESTART_DROPIN, RESTART_DROPIN_PATH, SITE_LINK, SITE_PATH } from "../../provision/nginx";
import { ACME_CA_BUNDLE, AcmeOptions, FULLCHAIN, PRIVKEY, acmeScriptVars, acmeStep } from "../../provision/tls";
import { APP_ROOT, ENV_FILE, SOCKET_PATH, UNIT_PATH } from "../../core/constants";
import { ShellVars, q, scriptBody, scriptFromFile } from "../../provision/shell";
import { Step } from "../../provision/step";
import { repoRoot } from "../../core/paths";
import { selfSignedCert } from "./fixtures";

const sandboxes: string[] = [];
afterAll(() => {
  for (const d of sandboxes) fs.rmSync(d, { recursive: true, force: true });
});

const REAL_INSTALL = spawnSync("bash", ["-c", "command -v install"], { encoding: "utf8" }).stdout.trim();

/** Stubs every sandbox has; a test replaces the ones whose answer it sets. */
const DEFAULT_STUBS: Record<string, string> = {
  // the account does not exist yet; creating it is logged, not done
  getent: "exit 2",
  id: "exit 1",
  groupadd: "exit 0",
  useradd: "exit 0",
  chown: "exit 0",
  // the real install, without the owner and group a non-root test cannot set
  install: `args=(); while [ $# -gt 0 ]; do case $1 in -o|-g) shift 2;; *) args+=("$1"); shift;; esac; done; exec ${REAL_INSTALL} "\${args[@]}"`,
  // every unit is enabled and active; everything else succeeds
  systemctl: `case $1 in is-enabled) echo enabled;; esac; exit 0`,
  // runs the command (after the -p options) in the requested WorkingDirectory with the requested
  // Environment= variables, without the sandbox
  "systemd-run": `wd=.; while [ $# -gt 0 ]; do case $1 in -p) case $2 in WorkingDirectory=*) wd=\${2#WorkingDirectory=};; Environment=*) export "\${2#Environment=}";; esac; shift 2;; --*) shift;; *) break;; esac; done; cd "$wd" && exec "$@"`,
  journalctl: `echo "aistudio gunicorn[812]: ModuleNotFoundError: No module named 'flask'"`,
  curl: `echo '{"success":true,"data":{"visits":1}}'`,
  sleep: "exit 0",
  // `python3 -m venv … DIR`: an empty virtualenv, made in no time
  python3: `d=\${@: -1}; mkdir -p "$d/bin" && printf '#!/bin/sh\\n' > "$d/bin/python" && chmod +x "$d/bin/python"`,
  nginx: "exit 0",
  certbot: `echo "certbot: not expected in this test" >&2; exit 99`,
  openssl: `echo "openssl: not expected in this test" >&2; exit 99`,
};

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1);
/** What happened to the services: the systemctl start, restart and reload calls, in order. */
const serviceActions = (box: Sandbox) => box.calls("systemctl").filter((c) => /^systemctl (start|restart|reload) /.test(c));

class Sandbox {
  readonly root: string;
  private readonly bin: string;
  private readonly log: string;

  constructor(stubs: Record<string, string> = {}) {
    this.root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-failure-")));
    sandboxes.push(this.root);
    this.bin = path.join(this.root, ".stubs");
    this.log = path.join(this.root, ".stub-calls");
    fs.mkdirSync(this.bin);
    fs.writeFileSync(this.log, "");
    for (const [name, body] of Object.entries({ ...DEFAULT_STUBS, ...stubs })) this.stub(name, body);
  }

  /** (Re)writes the stub NAME: it logs its arguments, then runs `body`. */
  stub(name: string, body: string): void {
    fs.writeFileSync(path.join(this.bin, name), `#!/bin/bash\nprintf '%s\\n' "\${0##*/} $*" >> "$STUB_LOG"\n${body}\n`, { mode: 0o755 });
  }

  /** A server path inside the sandbox. */
  at(p: string): string {
    return this.root + p;
  }

  write(p: string, content: string, mode = 0o644): void {
    fs.mkdirSync(path.dirname(this.at(p)), { recursive: true });
    fs.writeFileSync(this.at(p), content, { mode });
    fs.chmodSync(this.at(p), mode);
  }

  read(p: string): string {
    return fs.readFileSync(this.at(p), "utf8");
  }

  exists(p: string): boolean {
    try {
      fs.lstatSync(this.at(p));
      return true;
    } catch {
      return false;
    }
  }

  /** The stub calls so far, one line each: "name arg arg …". */
  calls(name?: string): string[] {
    const lines = fs.readFileSync(this.log, "utf8").split("\n").filter(Boolean);
    return name ? lines.filter((l) => l === name || l.startsWith(name + " ")) : lines;
  }

  /**
   * Runs the step's apply script in the sandbox. `script` and `vars` are what the builder used:
   * the step must carry exactly that script, which then runs with its paths moved under the root.
   */
  apply(step: Step, script: string, vars: ShellVars): { code: number | null; stdout: string; stderr: string } {
    expect(step.apply, "the step runs provision/scripts/" + script + ".sh with these variables").toBe(scriptFromFile(script, vars));
    const isServerPath = (name: string, v: ShellVars[string]) => typeof v === "string" && v.startsWith("/") && !name.endsWith("_URL_PATH");
    const moved: ShellVars = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, isServerPath(k, v) ? this.at(v as string) : v]));
    const sandboxed: Step = { ...step, files: step.files.map((f) => ({ ...f, path: this.at(f.path) })), apply: scriptFromFile(script, moved), probe: "true" };
    const r = spawnSync("bash", ["-s"], {
      input: applyScript(sandboxed),
      encoding: "utf8",
      timeout: 60_000,
      env: { PATH: `${this.bin}:${process.env.PATH}`, STUB_LOG: this.log, HOME: this.root, LC_ALL: "C" },
    });
    if (r.error) throw r.error;
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
}

/** Absolute paths spelled out in shell code (not those after a variable: "$A/b", "$A"/b, ${A%/*}). */
const literalPaths = (code: string) => [...code.matchAll(/(?<![\w.$}/%-])(?<![\w}]")\/[A-Za-z][\w.\/-]*/g)].map((m) => m[0]);

describe("the sandbox", () => {
  // Paths the scripts may spell out: arguments handed on, never files the script touches.
  const ALLOWED = new Set(["/dev/null", "/bin/sh", "/usr/bin", "/bin", "/usr/sbin/nologin", "/var/log/letsencrypt/letsencrypt.log", "/CN"]);
  const files = fs.readdirSync(path.join(repoRoot(), "provision", "scripts")).filter((f) => f.endsWith(".sh"));

  it.each(files)("provision/scripts/%s names no server path of its own (all come from the header)", (file) => {
    const code = scriptBody(file.replace(/\.sh$/, ""))
      .split("\n")
      .filter((l) => !/^\s*#/.test(l))
      .join("\n");
    expect(literalPaths(code).filter((p) => !ALLOWED.has(p))).toEqual([]);
  });

  it("the path check finds a literal path", () => {
    const code = 'rm -f /etc/nginx/sites-enabled/default\nln -s "$A/b" "$B"/c "/srv/x" x=/var/y';
    expect(literalPaths(code)).toEqual(["/etc/nginx/sites-enabled/default", "/srv/x", "/var/y"]);
  });
});

describe("app step", () => {
  const OLD = `${APP_ROOT}/releases/0123456789ab`;
  const STALE = `${APP_ROOT}/releases/ba9876543210`;
  const options = (preStart: string[] = []): AppOptions => ({
    source: { kind: "files", files: [{ rel: "app.py", content: "application = None\n" }] },
    workers: 2,
    wsgi: "app:application",
    port: 8000,
    dataDir: "/var/lib/aistudio",
    preStart,
    env: { SECRET_KEY: "s3cret" },
  });

  /** A server with a live release OLD (and an older one) and the same unit and environment. */
  function live(o: AppOptions, stubs: Record<string, string>, symlinkedRoot = false) {
    const box = new Sandbox(stubs);
    if (symlinkedRoot) {
      // /srv/aistudio is a link to the real directory (a data disk mounted elsewhere, say)
      fs.mkdirSync(box.at("/data/aistudio-real"), { recursive: true });
      fs.mkdirSync(path.dirname(box.at(APP_ROOT)), { recursive: true });
      fs.symlinkSync(box.at("/data/aistudio-real"), box.at(APP_ROOT));
    }
    for (const rel of [OLD, STALE]) box.write(`${rel}/RELEASE`, path.basename(rel) + "\n");
    fs.symlinkSync(box.at(OLD), box.at(`${APP_ROOT}/current`));
    box.write(`${APP_ROOT}/previous`, box.at(STALE) + "\n");
    box.write(`${APP_ROOT}/venv/bin/python`, "#!/bin/sh\n", 0o755);
    box.write(ENV_FILE, envFileContent(o.env), 0o600);
    box.write(UNIT_PATH, unitFile(o));
    box.write(SOCKET_PATH, socketFile(8000));
    box.write(GUNICORN_CONF, gunicornConf());
    const rel = `${APP_ROOT}/releases/${releaseId(o)}`;
    return { box, rel, run: () => box.apply(appStep(o), "app", appScriptVars(o)) };
  }

  describe("(a) the new release does not answer", () => {
    const failing = `echo "curl: (7) Failed to connect to 127.0.0.1 port 8000: Connection refused" >&2; exit 7`;

    it("restores the previous release, restarts on it and fails with a clear message", () => {
      const { box, rel, run } = live(options(), { curl: failing });
      const r = run();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`reloading aistudio gracefully (new release ${path.basename(rel)})`);
      expect(r.stderr).toContain("aistudio does not answer POST /api/user/visit on 127.0.0.1:8000 after the deploy");
      expect(r.stderr).toContain("No module named 'flask'"); // the journal, for the operator
      expect(lastLine(r.stderr)).toBe(`rolling back to ${box.at(OLD)}`);
      expect(fs.readlinkSync(box.at(`${APP_ROOT}/current`))).toBe(box.at(OLD));
      expect(box.calls("curl")).toHaveLength(40);
      expect(serviceActions(box)).toEqual(["systemctl reload aistudio", "systemctl restart aistudio"]);
      // the failed release stays for inspection; nothing was pruned
      expect(box.read(`${rel}/RELEASE`)).toBe(path.basename(rel) + "\n");
      expect(box.exists(STALE)).toBe(true);
    });

    it("(opposite) when it answers, the new release stays live and only the previous one is kept", () => {
      const { box, rel, run } = live(options(), {});
      const r = run();
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(fs.readlinkSync(box.at(`${APP_ROOT}/current`))).toBe(box.at(rel));
      expect(box.read(`${APP_ROOT}/previous`)).toBe(box.at(OLD) + "\n");
      expect(box.calls("curl")).toHaveLength(1);
      expect(serviceActions(box)).toEqual(["systemctl reload aistudio"]);
      expect(box.exists(OLD)).toBe(true);
      expect(box.exists(STALE)).toBe(false);
    });

    it("with $APP_ROOT behind a symlink, pruning still keeps the live and the previous release", () => {
      const { box, rel, run } = live(options(), {}, true);
      const r = run();
      expect(r.code, r.stderr).toBe(0);
      expect(box.exists(`${rel}/RELEASE`)).toBe(true);
      expect(box.exists(`${OLD}/RELEASE`)).toBe(true);
      expect(box.exists(STALE)).toBe(false);
    });

    it("a first deploy that does not answer fails without a release to go back to", () => {
      const box = new Sandbox({ curl: failing, systemctl: "case $1 in is-active) exit 3;; esac; exit 0" });
      const o = options();
      const r = box.apply(appStep(o), "app", appScriptVars(o));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("aistudio does not answer POST /api/user/visit");
      expect(r.stderr).not.toContain("rolling back");
      expect(box.calls("python3")).toEqual([`python3 -m venv --system-site-packages ${box.at(APP_ROOT)}/venv`]);
      expect(box.calls("useradd")).toEqual([`useradd --system --gid aistudio --home-dir ${box.at(APP_ROOT)} --no-create-home --shell /usr/sbin/nologin aistudio`]);
      expect(serviceActions(box)).toEqual(["systemctl start aistudio.socket", "systemctl start aistudio"]);
    });
  });

  describe("(a2) the listening socket is systemd's: what a change restarts", () => {
    const stops = (box: Sandbox) => box.calls("systemctl").filter((c) => c.startsWith("systemctl stop"));

    it("an environment change restarts gunicorn only: the socket stays open, so requests queue instead of failing", () => {
      const { box, run } = live(options(), {});
      box.write(ENV_FILE, envFileContent({ SECRET_KEY: "rotated" }), 0o600);
      const r = run();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("restarting aistudio (unit, gunicorn settings, environment or virtualenv changed)");
      expect(serviceActions(box)).toEqual(["systemctl restart aistudio"]);
      expect(stops(box)).toEqual([]);
    });

    it("a port change stops the socket too, and says requests fail meanwhile", () => {
      const { box, run } = live({ ...options(), port: 9000 }, {});
      const r = run();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("the listening socket itself changes (app.port): aistudio stops for a moment and requests fail meanwhile");
      expect(stops(box)).toEqual(["systemctl stop aistudio.service aistudio.socket"]);
      expect(box.read(SOCKET_PATH)).toContain("ListenStream=127.0.0.1:9000");
    });

    it("a server from before the socket (gunicorn bound the port itself): the service stops once and the socket takes the port", () => {
      const { box, run } = live(options(), { systemctl: `case "$*" in "is-active --quiet aistudio.socket") exit 3;; is-enabled*) echo enabled;; esac; exit 0` });
      fs.rmSync(box.at(SOCKET_PATH));
      const r = run();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("handing aistudio's port to systemd (aistudio.socket): aistudio stops for a moment, once");
      const calls = box.calls("systemctl");
      expect(calls.indexOf("systemctl stop aistudio.service")).toBeGreaterThan(-1);
      expect(calls.indexOf("systemctl start aistudio.socket")).toBeGreaterThan(calls.indexOf("systemctl stop aistudio.service"));
    });
  });

  describe("(b) a pre-start command fails", () => {
    const migrate = `echo "applying migrations in $(basename "$PWD")"; echo "django.db.utils.OperationalError: no such table: photos" >&2; exit 3`;

    it("stops the deploy with the command's output and leaves the previous release live", () => {
      const o = options([migrate]);
      const { box, rel, run } = live(o, {});
      const r = run();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`pre-start: ${migrate}`);
      expect(r.stdout).toContain(`applying migrations in ${path.basename(rel)}.tmp`);
      expect(r.stderr).toContain("django.db.utils.OperationalError: no such table: photos");
      // and stops right there: this is the last thing the deploy says
      expect(lastLine(r.stderr)).toBe(`pre-start command failed: the release ${releaseId(o)} was not activated; the previous release keeps serving`);
      expect(fs.readlinkSync(box.at(`${APP_ROOT}/current`))).toBe(box.at(OLD));
      expect(box.exists(rel)).toBe(false);
      expect(box.exists(`${rel}.tmp`)).toBe(false);
      const [run1] = box.calls("systemd-run");
      expect(run1).toContain(` -p User=aistudio -p Group=aistudio -p EnvironmentFile=${box.at(ENV_FILE)} -p WorkingDirectory=${box.at(rel)}.tmp `);
      expect(run1).toMatch(/ \/bin\/sh -c echo "applying migrations/);
      expect(box.calls("systemctl")).toEqual([]);
      expect(box.calls("curl")).toEqual([]);
    });

    it("(opposite) when it succeeds, the release is activated", () => {
      const o = options([`echo "migrated in $(basename "$PWD")"`]);
      const { box, rel, run } = live(o, {});
      const r = run();
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`migrated in ${path.basename(rel)}.tmp`);
      expect(fs.readlinkSync(box.at(`${APP_ROOT}/current`))).toBe(box.at(rel));
      expect(box.calls("systemctl")).toContain("systemctl reload aistudio");
    });
  });
});

describe("app step: the app contract (a non-default port and data directory)", () => {
  const DATA = "/srv/photostudio";
  const show = `echo "data=$AISTUDIO_DATA_DIR media=$AISTUDIO_MEDIA_DIR release=$AISTUDIO_RELEASE"`;
  const o: AppOptions = {
    source: { kind: "files", files: [{ rel: "photostudio/wsgi.py", content: "app = None\n" }] },
    workers: 2,
    wsgi: "photostudio.wsgi:app",
    port: 9123,
    dataDir: DATA,
    preStart: [show],
    env: { SECRET_KEY: "s3cret" },
  };

  function deploy() {
    const box = new Sandbox({ systemctl: "case $1 in is-active) exit 3;; esac; exit 0" });
    const r = box.apply(appStep(o), "app", appScriptVars(o));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return { box, r };
  }

  it("makes the data directory the app's (0750, nginx's group may pass) and its media directory setgid nginx's group (2750)", () => {
    const { box } = deploy();
    expect(box.calls("install")).toContain(`install -d -m 0750 -o aistudio -g www-data ${box.at(DATA)}`);
    expect(box.calls("install")).toContain(`install -d -m 2750 -o aistudio -g www-data ${box.at(DATA)}/media`);
    expect(fs.statSync(box.at(DATA)).mode & 0o7777).toBe(0o750);
    expect(fs.statSync(box.at(`${DATA}/media`)).mode & 0o7777).toBe(0o2750);
    expect(box.exists("/var/lib/aistudio")).toBe(false);
  });

  it("runs pre-start commands with the app's environment and in the unit's sandbox, writing the data directory", () => {
    const { box, r } = deploy();
    expect(r.stdout).toContain(`data=${DATA} media=${DATA}/media release=${releaseId(o)}`);
    const [call] = box.calls("systemd-run");
    expect(call).toContain(` -p EnvironmentFile=${box.at(ENV_FILE)} `);
    for (const setting of sandbox(DATA)) expect(call).toContain(` -p ${setting} `);
    expect(call).toContain(` -p ReadWritePaths=${DATA} `);
  });

  it("installs gunicorn's settings file and a unit for app.wsgi on 127.0.0.1:<app.port>, and checks health on that port", () => {
    const { box } = deploy();
    expect(box.read(UNIT_PATH)).toContain(" --bind 127.0.0.1:9123 ");
    expect(box.read(UNIT_PATH)).toMatch(/ photostudio\.wsgi:app\n/);
    expect(box.read(GUNICORN_CONF)).toBe(gunicornConf());
    expect(box.calls("curl")).toHaveLength(1);
    expect(box.calls("curl")[0]).toMatch(/ http:\/\/127\.0\.0\.1:9123\/api\/user\/visit$/);
  });
});

describe("packages step: (e) apt does not know a package of the app", () => {
  const o = { app: ["python3-pil", "python3-nosuch"] };
  /** apt-get that knows every package but python3-nosuch. */
  const apt = `case $1 in
  update) echo "Hit:1 http://deb.debian.org/debian bookworm InRelease";;
  install) echo "Reading package lists..."; for p in "$@"; do [ "$p" != python3-nosuch ] || { echo "E: Unable to locate package python3-nosuch" >&2; exit 100; }; done; echo "Setting up python3-pil";;
esac`;
  const run = (box: Sandbox, opts: { app: string[] }) => box.apply(packagesStep(opts), "packages", packagesScriptVars(opts));
  const installs = (box: Sandbox) => box.calls("apt-get").filter((c) => c.startsWith("apt-get install "));

  it("fails at once with apt's message and the config key to fix", () => {
    const box = new Sandbox({ "dpkg-query": "exit 1", "apt-get": apt });
    const r = run(box, o);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("E: Unable to locate package python3-nosuch");
    expect(lastLine(r.stderr)).toMatch(/^apt on this server does not know python3-nosuch, listed in aistudio:app\.packages: fix the name there/);
    expect(installs(box)).toHaveLength(1); // a wrong name is not retried
    expect(box.calls("sleep")).toEqual([]);
  });

  it("(opposite) packages apt knows are installed with ours, unattended", () => {
    const box = new Sandbox({ "dpkg-query": "exit 1", "apt-get": apt });
    const known = { app: ["python3-pil"] };
    const r = run(box, known);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`installing: ${[...PACKAGES, "python3-pil"].join(" ")}`);
    expect(installs(box)).toHaveLength(1);
    expect(installs(box)[0]).toMatch(new RegExp(`^apt-get install -y -q .*--no-install-recommends ${[...PACKAGES, "python3-pil"].join(" ")}$`));
    expect(box.calls("apt-get")[0]).toMatch(/^apt-get update .*-o DPkg::Lock::Timeout=120/);
  });

  it("(opposite) a held apt lock is waited for and retried, not blamed on the config", () => {
    const locked = `if [ "$1" = install ] && [ "$(grep -c '^apt-get install' "$STUB_LOG")" = 1 ]; then echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)" >&2; exit 100; fi`;
    const box = new Sandbox({ "dpkg-query": "exit 1", "apt-get": locked });
    const r = run(box, { app: ["python3-pil"] });
    expect(r.code).toBe(0);
    expect(installs(box)).toHaveLength(2);
    expect(r.stderr).toContain("apt-get failed (attempt 1, often a lock held by another apt); retrying in 6s");
    expect(r.stderr).not.toContain("aistudio:app.packages");
  });

  it("(opposite) nothing is installed when every package is there", () => {
    const box = new Sandbox({ "dpkg-query": "printf 'install ok installed'", "apt-get": apt });
    const r = run(box, o);
    expect(r.code).toBe(0);
    expect(box.calls("apt-get")).toEqual([]);
  });
});

describe("nginx step: (c) nginx -t rejects the changed site", () => {
  const PREVIOUS = "# the previous site\nserver { listen 80; }\n";
  const rejecting = `if [ "$1" = -t ]; then echo 'nginx: [emerg] unknown directive "bogus" in /etc/nginx/sites-enabled/aistudio.conf:93' >&2; echo 'nginx: configuration file /etc/nginx/nginx.conf test failed' >&2; exit 1; fi`;
  const o = { domain: "photogooo.com", appPort: 8000, dataDir: "/var/lib/aistudio", extraServerConfig: "bogus on;" };

  /** A server with the previous site enabled and a certificate in place. */
  function live(stubs: Record<string, string>) {
    const box = new Sandbox(stubs);
    box.write(SITE_PATH, PREVIOUS);
    fs.mkdirSync(path.dirname(box.at(SITE_LINK)), { recursive: true });
    fs.symlinkSync(box.at(SITE_PATH), box.at(SITE_LINK));
    box.write(FULLCHAIN, "bootstrap certificate\n");
    box.write(PRIVKEY, "bootstrap key\n", 0o600);
    box.write(RESTART_DROPIN_PATH, RESTART_DROPIN); // in place since an earlier deploy
    return { box, run: () => box.apply(nginxStep(o), "nginx", nginxScriptVars(o)) };
  }

  it("restores the previous site file, does not reload nginx and fails with nginx's message", () => {
    const { box, run } = live({ nginx: rejecting });
    const r = run();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nginx -t rejected the new configuration; the previous one stays live:");
    expect(r.stderr).toContain('nginx: [emerg] unknown directive "bogus"');
    expect(box.read(SITE_PATH)).toBe(PREVIOUS);
    expect(fs.readlinkSync(box.at(SITE_LINK))).toBe(box.at(SITE_PATH));
    expect(box.exists(SITE_PATH + ".aistudio-prev")).toBe(false);
    expect(box.exists(SITE_PATH + ".aistudio-new")).toBe(false);
    expect(box.calls("nginx")).toEqual(["nginx -t"]);
    expect(box.calls("systemctl")).toEqual([]);
  });

  it("(opposite) when nginx -t accepts it, the new site is kept and nginx reloaded", () => {
    const { box, run } = live({});
    const r = run();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(box.read(SITE_PATH)).toBe(nginxStep(o).files[0].content);
    expect(box.read(SITE_PATH)).toContain("bogus on;");
    expect(box.exists(SITE_PATH + ".aistudio-prev")).toBe(false);
    expect(box.calls("systemctl")).toEqual(["systemctl enable nginx", "systemctl is-active --quiet nginx", "systemctl reload nginx"]);
  });

  it("nginx -t failing on another config while our site is unchanged leaves the live site and its link in place", () => {
    const elsewhere = `if [ "$1" = -t ]; then echo 'nginx: [emerg] unknown directive "bogus" in /etc/nginx/conf.d/other.conf:1' >&2; exit 1; fi`;
    const { box, run } = live({ nginx: elsewhere });
    const site = nginxStep(o).files[0].content;
    box.write(SITE_PATH, site); // what this deploy brings is already live
    const r = run();
    expect(r.code).toBe(1);
    expect(box.exists(SITE_PATH)).toBe(true);
    expect(box.read(SITE_PATH)).toBe(site);
    expect(fs.readlinkSync(box.at(SITE_LINK))).toBe(box.at(SITE_PATH));
    expect(r.stderr).toContain("nginx -t fails with our site unchanged (another configuration is broken)");
    expect(r.stderr).toContain("/etc/nginx/conf.d/other.conf:1");
    expect(box.exists(SITE_PATH + ".aistudio-prev")).toBe(false);
    expect(box.calls("systemctl")).toEqual([]);
  });

  it("a first site that nginx -t rejects is removed with its link", () => {
    const box = new Sandbox({ nginx: rejecting });
    fs.mkdirSync(path.dirname(box.at(SITE_LINK)), { recursive: true }); // the nginx package's sites-enabled
    box.write(FULLCHAIN, "bootstrap certificate\n");
    const r = box.apply(nginxStep(o), "nginx", nginxScriptVars(o));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nginx: [emerg] unknown directive "bogus"');
    expect(box.exists(SITE_PATH)).toBe(false);
    expect(box.exists(SITE_LINK)).toBe(false);
    // the restart drop-in is new on this server: systemd reads it; nginx itself is not touched
    expect(box.calls("systemctl")).toEqual(["systemctl daemon-reload"]);
  });

  it("Debian's http-level ssl_protocols lose TLSv1 and TLSv1.1 (nginx reloaded); a rejected deploy puts nginx.conf back", () => {
    const DEBIAN = "http {\n\tssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; # Dropping SSLv3, ref: POODLE\n\tssl_prefer_server_ciphers on;\n}\n";
    const rejected = live({ nginx: rejecting });
    rejected.box.write(NGINX_CONF, DEBIAN);
    expect(rejected.run().code).toBe(1);
    expect(rejected.box.read(NGINX_CONF)).toBe(DEBIAN);
    expect(rejected.box.exists(NGINX_CONF + ".aistudio-prev")).toBe(false);

    const { box, run } = live({});
    box.write(SITE_PATH, nginxStep(o).files[0].content); // the site itself unchanged
    box.write(NGINX_CONF, DEBIAN);
    const r = run();
    expect(r.code, r.stderr).toBe(0);
    expect(box.read(NGINX_CONF)).toBe("http {\n\tssl_protocols TLSv1.2 TLSv1.3; # Dropping SSLv3, ref: POODLE\n\tssl_prefer_server_ciphers on;\n}\n");
    expect(box.calls("systemctl")).toContain("systemctl reload nginx");
    // in place: nothing to do the next time
    const again = live({});
    again.box.write(SITE_PATH, nginxStep(o).files[0].content);
    again.box.write(NGINX_CONF, box.read(NGINX_CONF));
    again.run();
    expect(again.box.calls("systemctl")).not.toContain("systemctl reload nginx");
  });

  it("the restart drop-in: systemd reloads its units when it is new or changed, not when it is in place", () => {
    const { box, run } = live({});
    run();
    expect(box.calls("systemctl")).not.toContain("systemctl daemon-reload");
    box.write(RESTART_DROPIN_PATH, "[Service]\nRestart=no\n"); // edited by hand
    const r = run();
    expect(r.code).toBe(0);
    expect(box.read(RESTART_DROPIN_PATH)).toBe(RESTART_DROPIN);
    expect(box.read(RESTART_DROPIN_PATH)).toMatch(/^Restart=on-failure$/m);
    // a dead master's workers are sent away before the new master binds 80/443
    expect(box.read(RESTART_DROPIN_PATH)).toMatch(/^ExecStartPre=-\/bin\/sh -c "pkill -QUIT -x nginx/m);
    expect(box.calls("systemctl")).toContain("systemctl daemon-reload");
  });
});

describe("acme step: (d) certbot cannot obtain a certificate", () => {
  const BOOTSTRAP = "bootstrap certificate\n";
  const ca = selfSignedCert("pebble.test").cert;
  const o: AcmeOptions = { domain: "photogooo.com", email: "ops@photogooo.com", server: "https://acme.example/dir", caBundle: ca };
  const LIVE = "/etc/letsencrypt/live/photogooo.com";
  const logEnv = `echo "REQUESTS_CA_BUNDLE=\${REQUESTS_CA_BUNDLE-unset}" >> "$STUB_LOG"`;
  const failing = `${logEnv}
{
  echo "Certbot failed to authenticate some domains (authenticator: webroot). The Certificate Authority reported these problems:"
  echo "  Domain: photogooo.com"
  echo "  Detail: 203.0.113.7: Fetching http://photogooo.com/.well-known/acme-challenge/Xb3: Connection refused"
} >&2
exit 1`;

  /** A server where the nginx step has put its self-signed bootstrap certificate. */
  function live(certbot: (box: Sandbox) => string) {
    const box = new Sandbox();
    box.stub("certbot", certbot(box));
    box.write(FULLCHAIN, BOOTSTRAP);
    box.write(PRIVKEY, "bootstrap key\n", 0o600);
    return { box, run: () => box.apply(acmeStep(o), "acme", acmeScriptVars(o)) };
  }

  /** certbot that issues: the lineage's live files and its renewal config, as certbot writes them. */
  const issuing = (box: Sandbox) => `${logEnv}
mkdir -p ${q(box.at(LIVE))} ${q(box.at("/etc/letsencrypt/renewal"))}
echo issued > ${q(box.at(LIVE + "/fullchain.pem"))}; echo key > ${q(box.at(LIVE + "/privkey.pem"))}
echo "server = https://acme.example/dir" > ${q(box.at("/etc/letsencrypt/renewal/photogooo.com.conf"))}
echo "Successfully received certificate."`;

  it("fails the step with certbot's message and leaves nginx serving the previous certificate", () => {
    const { box, run } = live(() => failing);
    const r = run();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("requesting a certificate for photogooo.com from https://acme.example/dir");
    // certbot writes its errors to stderr; the step hands them on in its log, before its own message
    expect(r.stdout).toContain("Certbot failed to authenticate some domains");
    expect(r.stdout).toContain("acme-challenge/Xb3: Connection refused");
    expect(lastLine(r.stderr)).toMatch(/^certbot could not obtain a certificate for photogooo\.com from https:\/\/acme\.example\/dir: /);
    expect(box.calls("certbot")).toEqual([
      `certbot certonly --non-interactive --agree-tos --no-eff-email -m ops@photogooo.com --webroot -w ${box.at("/var/www/acme")} -d photogooo.com --cert-name photogooo.com --server https://acme.example/dir`,
    ]);
    expect(box.calls().filter((l) => l.startsWith("REQUESTS_CA_BUNDLE="))).toEqual([`REQUESTS_CA_BUNDLE=${box.at(ACME_CA_BUNDLE)}`]);
    expect(fs.lstatSync(box.at(FULLCHAIN)).isSymbolicLink()).toBe(false);
    expect(box.read(FULLCHAIN)).toBe(BOOTSTRAP);
    expect(box.calls("nginx")).toEqual([]);
    expect(box.calls("systemctl").filter((c) => c.includes("nginx"))).toEqual([]);
  });

  it("a new certificate that nginx -t rejects is rolled back: the previous file is back (mode kept), nginx not reloaded", () => {
    const { box, run } = live(issuing);
    box.stub("nginx", `if [ "$1" = -t ]; then echo 'nginx: [emerg] cannot load certificate key' >&2; exit 1; fi`);
    const r = run();
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("nginx: [emerg] cannot load certificate key");
    expect(lastLine(r.stderr)).toMatch(/^nginx rejected its configuration with the certificate for photogooo\.com .*the previous certificate is back in place/);
    expect(fs.lstatSync(box.at(FULLCHAIN)).isSymbolicLink()).toBe(false);
    expect(box.read(FULLCHAIN)).toBe(BOOTSTRAP);
    expect(box.read(PRIVKEY)).toBe("bootstrap key\n");
    expect(fs.statSync(box.at(PRIVKEY)).mode & 0o777).toBe(0o600);
    expect(box.exists(FULLCHAIN + ".aistudio-prev")).toBe(false);
    expect(box.calls("systemctl").filter((c) => c.includes("nginx"))).toEqual([]);
  });

  it("(opposite) when certbot succeeds, nginx's certificate links to certbot's and nginx is reloaded", () => {
    const { box, run } = live(issuing);
    const r = run();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Successfully received certificate.");
    expect(fs.readlinkSync(box.at(FULLCHAIN))).toBe(box.at(`${LIVE}/fullchain.pem`));
    expect(fs.readlinkSync(box.at(PRIVKEY))).toBe(box.at(`${LIVE}/privkey.pem`));
    expect(box.calls("nginx")).toEqual(["nginx -t"]);
    expect(box.calls("systemctl")).toContain("systemctl reload nginx");
    expect(box.exists(FULLCHAIN + ".aistudio-prev")).toBe(false);
    expect(box.exists(PRIVKEY + ".aistudio-prev")).toBe(false);
  });
});
