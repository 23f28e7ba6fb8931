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
exports.RESULTS = exports.WORK = exports.TESTHOST = exports.REPO = void 0;
exports.say = say;
exports.toolchainBin = toolchainBin;
exports.pulumiBaseEnv = pulumiBaseEnv;
exports.buildProgram = buildProgram;
exports.sleep = sleep;
// Where the project is, and how the bench runs its tools (pulumi from the project's toolchain,
// scripts/testhost.sh), whether it runs compiled (dist-bench/) or under vitest.
const node_child_process_1 = require("node:child_process");
const fs = __importStar(require("node:fs"));
const path = __importStar(require("node:path"));
function findRepo(from) {
    let dir = from;
    for (;;) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "package.json")))
            return dir;
        const up = path.dirname(dir);
        if (up === dir)
            throw new Error(`bench: cannot find the project (Pulumi.yaml) above ${from}`);
        dir = up;
    }
}
exports.REPO = findRepo(__dirname);
exports.TESTHOST = path.join(exports.REPO, "scripts/testhost.sh");
exports.WORK = path.join(exports.REPO, "bench/.work");
exports.RESULTS = path.join(exports.REPO, "bench/results");
/** Progress on stderr, so nobody stares at a silent terminal. */
function say(msg) {
    const t = new Date().toISOString().slice(11, 19);
    process.stderr.write(`[bench ${t}] ${msg}\n`);
}
let toolchain;
/** The directory holding the project's pulumi CLI (built or found by scripts/toolchain.sh). */
function toolchainBin() {
    if (!toolchain) {
        const out = (0, node_child_process_1.execFileSync)("bash", [path.join(exports.REPO, "scripts/toolchain.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
        toolchain = out.trim().split("\n").pop();
    }
    return toolchain;
}
/** The environment scripts/pulumi.sh and scripts/env.sh set up, without their compile step. */
function pulumiBaseEnv() {
    return {
        ...process.env,
        PATH: `${toolchainBin()}:${process.env.PATH}`,
        AISTUDIO_REPO: exports.REPO,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        NO_COLOR: "1",
    };
}
/** Compiles the program (dist/) once, as scripts/pulumi.sh does before every run. */
function buildProgram() {
    (0, node_child_process_1.execFileSync)("npx", ["--no-install", "tsc", "-p", "tsconfig.json"], { cwd: exports.REPO, stdio: ["ignore", "inherit", "inherit"] });
}
function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}
//# sourceMappingURL=repo.js.map