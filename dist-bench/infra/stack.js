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
exports.repoRoot = repoRoot;
exports.pulumiCli = pulumiCli;
exports.readStack = readStack;
// Reads a deployed stack (config, outputs, state) through the pulumi CLI, for the commands that
// check a running server: doctor and drift. Secrets are read into memory only.
const node_child_process_1 = require("node:child_process");
const path = __importStar(require("node:path"));
const config_1 = require("./config");
const read_config_1 = require("./read-config");
function repoRoot() {
    return path.resolve(__dirname, "..", "..");
}
function pulumiCli(args, env = process.env) {
    return new Promise((resolve, reject) => {
        (0, node_child_process_1.execFile)("bash", [path.join(repoRoot(), "scripts/pulumi.sh"), ...args], {
            cwd: repoRoot(),
            env: { ...env, AISTUDIO_SKIP_BUILD: "1" },
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        }, (err, stdout, stderr) => {
            if (err)
                reject(new Error(`pulumi ${args.slice(0, 2).join(" ")} failed: ${stderr.trim().split("\n").slice(-5).join("\n")}`));
            else
                resolve(stdout);
        });
    });
}
async function readStack(stack, configFile) {
    const cf = configFile ? ["--config-file", configFile] : [];
    const [cfgText, stateText] = await Promise.all([
        pulumiCli(["config", "--json", "--show-secrets", "--stack", stack, ...cf]),
        pulumiCli(["stack", "export", "--show-secrets", "--stack", stack]),
    ]);
    const cfgJson = JSON.parse(cfgText);
    const flat = {};
    for (const [k, v] of Object.entries(cfgJson)) {
        if (v.objectValue !== undefined)
            flat[k] = JSON.stringify(v.objectValue);
        else if (v.value !== undefined)
            flat[k] = v.value;
    }
    const config = (0, config_1.parseConfig)((0, read_config_1.withTesthost)((0, read_config_1.rawFromPulumi)(flat)), stack);
    const resources = JSON.parse(stateText).deployment?.resources ?? [];
    const outputs = (resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {});
    const rules = resources
        .filter((r) => r.type === "alicloud:ecs/securityGroupRule:SecurityGroupRule")
        .map((r) => ({ portRange: r.inputs.portRange, cidrIp: r.inputs.cidrIp, policy: r.inputs.policy, type: r.inputs.type }));
    return { config, outputs, securityGroupRules: config.target === "alicloud" ? rules : undefined };
}
//# sourceMappingURL=stack.js.map