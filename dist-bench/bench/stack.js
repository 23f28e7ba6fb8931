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
exports.BenchStack = void 0;
exports.benchConfig = benchConfig;
exports.upSummary = upSummary;
// A Pulumi stack of this project for the bench: its own state directory and config file (like
// test/support/hosts.ts TestStack), run with the project's pulumi CLI directly. The program is
// compiled once at the start of the bench (scripts/pulumi.sh would run tsc before every command:
// a development cost, not a provisioning cost, so it is kept out of the timings).
const node_child_process_1 = require("node:child_process");
const fs = __importStar(require("node:fs"));
const path = __importStar(require("node:path"));
const node_util_1 = require("node:util");
const repo_1 = require("./repo");
const pexec = (0, node_util_1.promisify)(node_child_process_1.execFile);
/** Config of a local self-signed stack on the named test host with the given app directory. */
function benchConfig(host, o = {}) {
    return {
        target: "local",
        testhost: host,
        domain: "photogooo.com",
        tls: { mode: "self-signed" },
        wechat: { checks: false },
        app: { dir: o.appDir ?? "provision/sample-app", workers: 2 },
        smoke: { timeoutSeconds: 60 },
        ...(o.extraServerConfig ? { nginx: { extraServerConfig: o.extraServerConfig } } : {}),
    };
}
class BenchStack {
    constructor(name, config) {
        this.name = name;
        this.secrets = {};
        /** Every stdout/stderr of this stack's pulumi runs (for the secrets-in-output check). */
        this.transcript = [];
        fs.mkdirSync(repo_1.WORK, { recursive: true });
        this.dir = fs.mkdtempSync(path.join(repo_1.WORK, `stack-${name}-`));
        fs.mkdirSync(path.join(this.dir, "state"));
        this.configFile = path.join(this.dir, `Pulumi.${name}.yaml`);
        this.writeConfig(config);
    }
    writeConfig(config) {
        const lines = ["config:"];
        for (const [k, v] of Object.entries(config))
            lines.push(`  aistudio:${k}: ${JSON.stringify(v)}`);
        if (this.salt)
            lines.push(this.salt);
        fs.writeFileSync(this.configFile, lines.join("\n") + "\n");
    }
    env() {
        return {
            ...(0, repo_1.pulumiBaseEnv)(),
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "aistudio-bench",
            PULUMI_HOME: path.join(this.dir, "home"),
        };
    }
    async pulumi(...args) {
        const t0 = Date.now();
        const cfg = args[0] === "stack" ? [] : ["--config-file", this.configFile];
        const flags = ["--stack", this.name, ...cfg, "--non-interactive", "--color", "never"];
        const dd = args.indexOf("--");
        const ordered = dd < 0 ? [...args, ...flags] : [...args.slice(0, dd), ...flags, ...args.slice(dd)];
        let r;
        try {
            const o = await pexec("pulumi", ordered, { cwd: repo_1.REPO, env: this.env(), maxBuffer: 64 << 20 });
            r = { code: 0, stdout: o.stdout, stderr: o.stderr, seconds: (Date.now() - t0) / 1000 };
        }
        catch (e) {
            const err = e;
            r = { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? err.message, seconds: (Date.now() - t0) / 1000 };
        }
        this.transcript.push(r.stdout, r.stderr);
        return r;
    }
    async init() {
        const r = await this.pulumi("stack", "init", this.name);
        if (r.code !== 0 && !/already exists/.test(r.stderr))
            throw new Error(`pulumi stack init ${this.name}: ${r.stderr}`);
        // `stack init` writes the passphrase salt into the project's Pulumi.<stack>.yaml: move it to our file
        const written = path.join(repo_1.REPO, `Pulumi.${this.name}.yaml`);
        if (fs.existsSync(written)) {
            const salt = fs.readFileSync(written, "utf8").split("\n").find((l) => l.startsWith("encryptionsalt:"));
            fs.rmSync(written);
            if (salt) {
                this.salt = salt;
                fs.appendFileSync(this.configFile, salt + "\n");
            }
        }
    }
    async setSecrets(secrets) {
        this.secrets = { ...this.secrets, ...secrets };
        for (const [k, v] of Object.entries(this.secrets)) {
            const r = await this.pulumi("config", "set", "--secret", `aistudio:${k}`, "--", v);
            if (r.code !== 0)
                throw new Error(`pulumi config set --secret ${k}: ${r.stderr}`);
        }
    }
    async reconfigure(config) {
        this.writeConfig(config);
        await this.setSecrets({});
    }
    up(...extra) {
        return this.pulumi("up", "--yes", "--skip-preview", ...extra);
    }
    stateText() {
        let text = "";
        const walk = (d) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const p = path.join(d, e.name);
                if (e.isDirectory())
                    walk(p);
                else
                    text += fs.readFileSync(p, "utf8") + "\n";
            }
        };
        walk(path.join(this.dir, "state"));
        return text;
    }
    cleanup() {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
exports.BenchStack = BenchStack;
/** What `pulumi up` reported: "N unchanged", "N updated", ... */
function upSummary(stdout) {
    const out = {};
    for (const m of stdout.matchAll(/^\s+(\d+) (created|updated|unchanged|replaced|deleted)\b/gm))
        out[m[2]] = Number(m[1]);
    return out;
}
//# sourceMappingURL=stack.js.map