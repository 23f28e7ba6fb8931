"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.renderAnsibleFiles = renderAnsibleFiles;
// Renders the files our program ships (nginx site, systemd unit, env file, the app release) with the
// program's own step builders (infra/components/server.ts buildSteps), so that the Ansible baseline
// ships byte-identical content. Also writes vars.json: the package list, ufw rules and release id.
//
//   node dist-bench/bench/render-ansible-files.js OUTDIR [--extra-server-config TEXT] [--app-dir DIR] [--env-json JSON]
const fs = __importStar(require("node:fs"));
const path = __importStar(require("node:path"));
const config_1 = require("../infra/config");
const app_source_1 = require("../infra/app-source");
const server_1 = require("../infra/components/server");
const app_1 = require("../provision/app");
const app_2 = require("../provision/app");
const nginx_1 = require("../provision/nginx");
const packages_1 = require("../provision/packages");
const firewall_1 = require("../provision/firewall");
const repo_1 = require("./repo");
const stack_1 = require("./stack");
// No rendered file depends on the SSH connection: placeholders satisfy the config validation.
const PLACEHOLDER_CONN = {
    server: { host: "198.18.0.2", port: 22, user: "root", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBENCHBENCHBENCHBENCHBENCHBENCHBENCHBENCHBENC" },
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nplaceholder\n-----END OPENSSH PRIVATE KEY-----",
};
function renderAnsibleFiles(outDir, o = {}) {
    const raw = { ...(0, stack_1.benchConfig)("unused", o), ...PLACEHOLDER_CONN, appEnv: o.env ?? {} };
    delete raw.testhost;
    const cfg = (0, config_1.parseConfig)(raw, "bench");
    const appFiles = (0, app_source_1.readAppDir)(path.resolve(repo_1.REPO, cfg.app.source.location));
    const steps = (0, server_1.buildSteps)(cfg, appFiles);
    const byPath = new Map();
    for (const s of steps)
        for (const f of s.files)
            byPath.set(f.path, f);
    const need = (p) => {
        const f = byPath.get(p);
        if (!f)
            throw new Error(`render-ansible-files: our steps ship no ${p}`);
        return f;
    };
    const rid = (0, app_1.releaseId)({ source: { kind: "files", files: appFiles }, workers: cfg.app.workers, wsgi: "app:application", preStart: [], env: cfg.app.env });
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(outDir, "app"), { recursive: true, mode: 0o700 });
    const files = {};
    const { createHash } = require("node:crypto");
    const write = (rel, serverPath, f) => {
        const p = path.join(outDir, rel);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, f.content, { mode: parseInt(f.mode, 8) });
        fs.chmodSync(p, parseInt(f.mode, 8));
        files[serverPath] = createHash("sha256").update(f.content).digest("hex");
    };
    write("aistudio.conf", nginx_1.SITE_PATH, need(nginx_1.SITE_PATH));
    write("aistudio.service", app_2.UNIT_PATH, need(app_2.UNIT_PATH));
    write("aistudio.env", app_2.ENV_FILE, need(app_2.ENV_FILE));
    const incoming = `${app_2.APP_ROOT}/releases/${rid}.incoming/`;
    for (const [p, f] of byPath) {
        if (p.startsWith(incoming))
            write(path.join("app", p.slice(incoming.length)), `${app_2.APP_ROOT}/releases/${rid}/${p.slice(incoming.length)}`, f);
    }
    const vars = {
        files_dir: outDir,
        release_id: rid,
        packages: [...packages_1.PACKAGES],
        ufw_rules: (0, firewall_1.firewallRules)({ sshPort: cfg.server.port, adminCidrs: cfg.firewall.adminCidrs }),
    };
    fs.writeFileSync(path.join(outDir, "vars.json"), JSON.stringify(vars, null, 2) + "\n");
    return { dir: outDir, releaseId: rid, files };
}
if (require.main === module) {
    const args = process.argv.slice(2);
    const out = args[0];
    if (!out || out.startsWith("--")) {
        console.error("usage: render-ansible-files OUTDIR [--extra-server-config TEXT] [--app-dir DIR] [--env-json JSON]");
        process.exit(2);
    }
    const opt = (n) => {
        const i = args.indexOf(n);
        return i > 0 ? args[i + 1] : undefined;
    };
    const r = renderAnsibleFiles(path.resolve(out), {
        extraServerConfig: opt("--extra-server-config"),
        appDir: opt("--app-dir"),
        env: opt("--env-json") ? JSON.parse(opt("--env-json")) : undefined,
    });
    console.log(JSON.stringify(r, null, 2));
}
//# sourceMappingURL=render-ansible-files.js.map