// Renders the files our program ships (nginx site, systemd unit, env file, the app release) with the
// program's own step builders (infra/components/server.ts buildSteps), so that the Ansible baseline
// ships byte-identical content. Also writes vars.json: the package list, ufw rules and release id.
//
//   node dist-bench/bench/render-ansible-files.js OUTDIR [--extra-server-config TEXT] [--app-dir DIR] [--env-json JSON]
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseConfig } from "../infra/config";
import { readAppDir } from "../infra/app-source";
import { buildSteps } from "../infra/steps";
import { releaseId } from "../provision/app";
import { APP_ROOT, ENV_FILE, GUNICORN_CONF, SOCKET_PATH, UNIT_PATH } from "../provision/app";
import { RESTART_DROPIN_PATH, SITE_PATH } from "../provision/nginx";
import { APT_UPGRADE_DROPIN, NEEDRESTART_CONF, UU_CONF } from "../provision/updates";
import { PACKAGES } from "../provision/packages";
import { firewallRules } from "../provision/firewall";
import { REPO } from "./repo";
import { benchConfig } from "./stack";

export interface RenderOptions {
  appDir?: string;
  extraServerConfig?: string;
  /** The app's environment (aistudio:appEnv). */
  env?: Record<string, string>;
}

export interface Rendered {
  dir: string;
  releaseId: string;
  /** sha256 of each rendered file, by its path on the server. */
  files: Record<string, string>;
}

// No rendered file depends on the SSH connection: throwaway keys satisfy the config validation
// (which parses them, so they must be real; ssh2 makes them in OpenSSH format). ssh2 cannot parse
// about 1 in 400 of the ed25519 keys it generates ("Malformed OpenSSH private key": measured 5 of
// 2,000), which failed a bench run: a key is made again until it parses.
function placeholderConn(): Record<string, unknown> {
  const { utils } = require("ssh2") as { utils: { generateKeyPairSync(type: "ed25519"): { private: string; public: string }; parseKey(k: string): unknown } };
  const gen = (type: "ed25519") => {
    for (let i = 0; ; i++) {
      const k = utils.generateKeyPairSync(type);
      if (!(utils.parseKey(k.private) instanceof Error) || i >= 20) return k;
    }
  };
  const host = gen("ed25519");
  return {
    server: { host: "198.18.0.2", port: 22, user: "root", hostKey: host.public.split(" ").slice(0, 2).join(" ") },
    sshPrivateKey: gen("ed25519").private,
  };
}

export function renderAnsibleFiles(outDir: string, o: RenderOptions = {}): Rendered {
  const raw: Record<string, unknown> = { ...benchConfig("unused", o), ...placeholderConn(), appEnv: o.env ?? {} };
  delete raw.testhost;
  const cfg = parseConfig(raw, "bench");
  const appFiles = readAppDir(path.resolve(REPO, cfg.app.source.location));
  const steps = buildSteps(cfg, appFiles);
  const byPath = new Map<string, { content: string; mode: string }>();
  for (const s of steps) for (const f of s.files) byPath.set(f.path, f);
  const need = (p: string) => {
    const f = byPath.get(p);
    if (!f) throw new Error(`render-ansible-files: our steps ship no ${p}`);
    return f;
  };
  const rid = releaseId({ source: { kind: "files", files: appFiles }, workers: cfg.app.workers, wsgi: "app:application", preStart: [], env: cfg.app.env });
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, "app"), { recursive: true, mode: 0o700 });
  const files: Record<string, string> = {};

  const write = (rel: string, serverPath: string, f: { content: string; mode: string }) => {
    const p = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, f.content, { mode: parseInt(f.mode, 8) });
    fs.chmodSync(p, parseInt(f.mode, 8));
    files[serverPath] = createHash("sha256").update(f.content).digest("hex");
  };
  write("aistudio.conf", SITE_PATH, need(SITE_PATH));
  write("nginx-restart.conf", RESTART_DROPIN_PATH, need(RESTART_DROPIN_PATH));
  // the security updates' policy (provision/updates.ts): security origin only, needrestart once per run
  write("60aistudio-security-updates", UU_CONF, need(UU_CONF));
  write("needrestart.conf", NEEDRESTART_CONF, need(NEEDRESTART_CONF));
  write("apt-daily-upgrade-needrestart.conf", APT_UPGRADE_DROPIN, need(APT_UPGRADE_DROPIN));
  write("aistudio.service", UNIT_PATH, need(UNIT_PATH));
  write("aistudio.socket", SOCKET_PATH, need(SOCKET_PATH));
  write("aistudio.env", ENV_FILE, need(ENV_FILE));
  write("gunicorn.conf.py", GUNICORN_CONF, need(GUNICORN_CONF));
  const incoming = `${APP_ROOT}/releases/${rid}.incoming/`;
  for (const [p, f] of byPath) {
    if (p.startsWith(incoming)) write(path.join("app", p.slice(incoming.length)), `${APP_ROOT}/releases/${rid}/${p.slice(incoming.length)}`, f);
  }
  const vars = {
    files_dir: outDir,
    release_id: rid,
    packages: [...PACKAGES],
    ufw_rules: firewallRules({ sshPort: cfg.server.port, adminCidrs: cfg.firewall.adminCidrs }),
  };
  fs.writeFileSync(path.join(outDir, "vars.json"), JSON.stringify(vars, null, 2) + "\n");
  // the smoke request's body (the guide's visit call), sent by curl from the controller
  fs.writeFileSync(path.join(outDir, "smoke.json"), JSON.stringify({ sessionId: "ansible-smoke", type: "launch" }) + "\n");
  return { dir: outDir, releaseId: rid, files };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const out = args[0];
  if (!out || out.startsWith("--")) {
    console.error("usage: render-ansible-files OUTDIR [--extra-server-config TEXT] [--app-dir DIR] [--env-json JSON]");
    process.exit(2);
  }
  const opt = (n: string) => {
    const i = args.indexOf(n);
    return i > 0 ? args[i + 1] : undefined;
  };
  const r = renderAnsibleFiles(path.resolve(out), {
    extraServerConfig: opt("--extra-server-config"),
    appDir: opt("--app-dir"),
    env: opt("--env-json") ? JSON.parse(opt("--env-json")!) : undefined,
  });
  console.log(JSON.stringify(r, null, 2));
}
