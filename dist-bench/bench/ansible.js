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
exports.AnsibleProject = void 0;
exports.parseRecap = parseRecap;
exports.ansibleAvailable = ansibleAvailable;
// Runs the Ansible baseline (bench/ansible/playbook.yml) against test hosts: renders the inventory
// from bench/ansible/inventory.ini.tmpl and a known_hosts file with the hosts' pinned keys into a
// work directory, then ansible-playbook with bench/ansible/ansible.cfg.
const node_child_process_1 = require("node:child_process");
const fs = __importStar(require("node:fs"));
const path = __importStar(require("node:path"));
const repo_1 = require("./repo");
const ANSIBLE_DIR = path.join(repo_1.REPO, "bench/ansible");
class AnsibleProject {
    constructor(name, hosts) {
        this.name = name;
        this.hosts = hosts;
        this.transcript = [];
        fs.mkdirSync(repo_1.WORK, { recursive: true });
        this.dir = fs.mkdtempSync(path.join(repo_1.WORK, `ans-${name}-`));
        // ControlPath sockets need a short path (108 bytes); one directory per project, so a reused
        // address never meets a master of a host that is gone
        this.controlDir = fs.mkdtempSync("/tmp/bn-cp-");
        const kh = path.join(this.dir, "known_hosts");
        fs.writeFileSync(kh, hosts.map((h) => `${h.host} ${h.hostKey}\n`).join(""));
        const tmpl = fs.readFileSync(path.join(ANSIBLE_DIR, "inventory.ini.tmpl"), "utf8");
        this.inventory = path.join(this.dir, "inventory.ini");
        fs.writeFileSync(this.inventory, tmpl
            .replace(/^@HOSTS@$/m, hosts.map((h) => `${h.name} ansible_host=${h.host}`).join("\n"))
            .replace("@KEY@", hosts[0].privateKeyPath)
            .replace("@KNOWN_HOSTS@", kh));
    }
    /** ansible-playbook with the files rendered in filesDir (vars.json there). */
    run(filesDir, extraArgs = []) {
        const t0 = Date.now();
        const args = [
            "-i", this.inventory,
            "--forks", String(Math.max(5, this.hosts.length)),
            "-e", `@${path.join(filesDir, "vars.json")}`,
            ...extraArgs,
            path.join(ANSIBLE_DIR, "playbook.yml"),
        ];
        const env = {
            ...process.env,
            ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, "ansible.cfg"),
            ANSIBLE_SSH_CONTROL_PATH_DIR: this.controlDir,
            ANSIBLE_LOCAL_TEMP: path.join(this.dir, "tmp"),
            ANSIBLE_NOCOLOR: "1",
            ANSIBLE_FORCE_COLOR: "0",
            PYTHONUNBUFFERED: "1",
        };
        return new Promise((resolve) => {
            (0, node_child_process_1.execFile)("ansible-playbook", args, { cwd: ANSIBLE_DIR, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
                const output = stdout + stderr;
                this.transcript.push(output);
                const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
                resolve({ code, seconds: (Date.now() - t0) / 1000, output, recap: parseRecap(output) });
            });
        });
    }
    /** Ends the SSH control masters this project left (ControlPersist). */
    closeMasters() {
        if (!fs.existsSync(this.controlDir))
            return;
        for (const s of fs.readdirSync(this.controlDir)) {
            try {
                (0, node_child_process_1.execFileSync)("ssh", ["-o", `ControlPath=${path.join(this.controlDir, s)}`, "-O", "exit", "bench-master"], { stdio: "ignore", timeout: 5000 });
            }
            catch { /* already gone */ }
        }
        fs.rmSync(this.controlDir, { recursive: true, force: true });
    }
    cleanup() {
        this.closeMasters();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
exports.AnsibleProject = AnsibleProject;
function parseRecap(out) {
    const recap = {};
    const i = out.lastIndexOf("PLAY RECAP");
    if (i < 0)
        return recap;
    for (const line of out.slice(i).split("\n").slice(1)) {
        const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
        if (!m)
            continue;
        const counts = {};
        for (const kv of m[2].matchAll(/(\w+)=(\d+)/g))
            counts[kv[1]] = Number(kv[2]);
        recap[m[1]] = counts;
    }
    return recap;
}
function ansibleAvailable() {
    try {
        (0, node_child_process_1.execFileSync)("ansible-playbook", ["--version"], { stdio: "ignore" });
        return true;
    }
    catch {
        return false;
    }
}
//# sourceMappingURL=ansible.js.map