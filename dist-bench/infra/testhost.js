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
exports.testhostStateDir = testhostStateDir;
exports.testhostCacheDir = testhostCacheDir;
exports.readTesthost = readTesthost;
// Reads a test host's record (written by scripts/testhost.sh) so the local stack can target it:
// address, pinned host key and the SSH key that the test host trusts.
const fs = __importStar(require("node:fs"));
const os = __importStar(require("node:os"));
const path = __importStar(require("node:path"));
function testhostStateDir() {
    return process.env.AISTUDIO_TESTHOST_STATE ?? "/var/lib/aistudio-testhost";
}
function testhostCacheDir() {
    return path.join(process.env.AISTUDIO_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "aistudio-infra"), "testhost");
}
function readTesthost(name) {
    const dir = path.join(testhostStateDir(), "hosts", name);
    if (!fs.existsSync(path.join(dir, "ip"))) {
        throw new Error(`aistudio:testhost: no test host named "${name}" (looked in ${dir}). Boot it with \`npm run testhost -- up ${name}\`.`);
    }
    const pub = fs.readFileSync(path.join(dir, "root/etc/ssh/ssh_host_ed25519_key.pub"), "utf8").trim().split(/\s+/);
    return {
        name,
        host: fs.readFileSync(path.join(dir, "ip"), "utf8").trim(),
        port: 22,
        user: "root",
        hostKey: `${pub[0]} ${pub[1]}`,
        privateKeyPath: path.join(testhostCacheDir(), "id_ed25519"),
        root: path.join(dir, "root"),
    };
}
//# sourceMappingURL=testhost.js.map