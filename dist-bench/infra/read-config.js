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
exports.rawFromPulumi = rawFromPulumi;
exports.readConfig = readConfig;
exports.withTesthost = withTesthost;
// The edge: turns Pulumi's stack config into the raw object that parseConfig validates.
const pulumi = __importStar(require("@pulumi/pulumi"));
const fs = __importStar(require("node:fs"));
const config_1 = require("./config");
const testhost_1 = require("./testhost");
function rawFromPulumi(all) {
    const raw = {};
    for (const [k, v] of Object.entries(all)) {
        if (!k.startsWith("aistudio:"))
            continue;
        const key = k.slice("aistudio:".length);
        let val = v;
        if (/^[[{]/.test(v.trim()) || v === "true" || v === "false") {
            try {
                val = JSON.parse(v);
            }
            catch {
                val = v;
            }
        }
        raw[key] = val;
    }
    return raw;
}
/** Reads and validates config; a bad value stops the program before any resource is registered. */
function readConfig() {
    try {
        return (0, config_1.parseConfig)(withTesthost(rawFromPulumi(pulumi.runtime.allConfig())), pulumi.getStack());
    }
    catch (e) {
        if (e instanceof config_1.ConfigError) {
            // Throwing a RunError prints the message without a JS stack trace.
            throw new pulumi.RunError(e.message);
        }
        throw e;
    }
}
/** local stack: fill server.host/hostKey and sshPrivateKey from the named test host's record. */
function withTesthost(raw) {
    const name = raw["testhost"];
    if (typeof name !== "string" || !name)
        return raw;
    if (raw["target"] !== "local")
        throw new config_1.ConfigError([{ key: "testhost", message: "is only for target local" }]);
    const t = (0, testhost_1.readTesthost)(name);
    const server = { ...(raw["server"] ?? {}), host: t.host, port: t.port, user: t.user, hostKey: t.hostKey };
    return { ...raw, server, sshPrivateKey: raw["sshPrivateKey"] ?? fs.readFileSync(t.privateKeyPath, "utf8") };
}
//# sourceMappingURL=read-config.js.map