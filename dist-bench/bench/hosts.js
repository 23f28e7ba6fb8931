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
exports.booted = void 0;
exports.bootHost = bootHost;
exports.downHost = downHost;
exports.downAll = downAll;
exports.hostCmd = hostCmd;
exports.hostCmdResult = hostCmdResult;
exports.sshCounts = sshCounts;
exports.diffCounts = diffCounts;
exports.counted = counted;
// Test hosts for the bench (names bn-*): boot, run commands, and count what sshd saw.
// SSH activity is read from the host's persistent journal on this machine's disk
// (journalctl -D <root>/var/log/journal), so counting never opens an SSH connection itself.
const node_child_process_1 = require("node:child_process");
const fs = __importStar(require("node:fs"));
const path = __importStar(require("node:path"));
const node_util_1 = require("node:util");
const testhost_1 = require("../infra/testhost");
const repo_1 = require("./repo");
const pexec = (0, node_util_1.promisify)(node_child_process_1.execFile);
/** Hosts this process booted, removed by downAll() (also on failure). */
exports.booted = new Set();
async function bootHost(name) {
    if (!/^bn-[a-z0-9-]{1,8}$/.test(name))
        throw new Error(`bench host names are bn-… (≤ 11 chars): ${name}`);
    await pexec("bash", [repo_1.TESTHOST, "down", name]).catch(() => undefined);
    exports.booted.add(name);
    (0, repo_1.say)(`booting test host ${name}`);
    await pexec("bash", [repo_1.TESTHOST, "up", name], { maxBuffer: 16 << 20 });
    const rec = (0, testhost_1.readTesthost)(name);
    // sshd at LogLevel VERBOSE logs every session it starts ("Starting session: command ..."):
    // that is how remote commands are counted, the same way for ours, Ansible and the floor
    await hostCmd(name, "printf 'LogLevel VERBOSE\\n' > /etc/ssh/sshd_config.d/zz-bench.conf && systemctl reload ssh");
    return rec;
}
async function downHost(name) {
    await pexec("bash", [repo_1.TESTHOST, "down", name]).catch((e) => (0, repo_1.say)(`could not remove ${name}: ${e.message}`));
    exports.booted.delete(name);
}
async function downAll() {
    for (const n of [...exports.booted]) {
        (0, repo_1.say)(`removing test host ${n}`);
        await downHost(n);
    }
}
/** Runs a bash script on the host as root over one SSH session; rejects on a non-zero exit. */
async function hostCmd(name, script, timeoutMs = 600_000) {
    return new Promise((resolve, reject) => {
        const p = (0, node_child_process_1.execFile)("bash", [repo_1.TESTHOST, "ssh", name, "bash", "-s"], { maxBuffer: 64 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
            if (err)
                reject(new Error(`${name}: exit ${err.code}: ${stderr || stdout}`.slice(0, 4000)));
            else
                resolve(stdout);
        });
        p.stdin.end(script);
    });
}
async function hostCmdResult(name, script) {
    try {
        return { code: 0, out: await hostCmd(name, script) };
    }
    catch (e) {
        return { code: 1, out: e.message };
    }
}
/** Counts sshd's log lines so far in the host's journal (read from the host's disk). */
function sshCounts(rec) {
    const dir = path.join(rec.root, "var/log/journal");
    if (!fs.existsSync(dir))
        return { connections: NaN, commands: NaN };
    const out = (0, node_child_process_1.execFileSync)("journalctl", ["-D", dir, "-t", "sshd", "-o", "cat", "--no-pager"], { encoding: "utf8", maxBuffer: 64 << 20 });
    let connections = 0, commands = 0;
    for (const l of out.split("\n")) {
        if (l.startsWith("Accepted publickey"))
            connections++;
        else if (l.startsWith("Starting session:"))
            commands++;
    }
    return { connections, commands };
}
function diffCounts(a, b) {
    return { connections: b.connections - a.connections, commands: b.commands - a.commands };
}
/** Counts what sshd saw on the hosts while fn ran (summed over hosts). */
async function counted(recs, fn) {
    const before = recs.map(sshCounts);
    const value = await fn();
    await new Promise((r) => setTimeout(r, 500)); // journald gets the last lines
    const after = recs.map(sshCounts);
    const ssh = { connections: 0, commands: 0 };
    recs.forEach((_, i) => {
        const d = diffCounts(before[i], after[i]);
        ssh.connections += d.connections;
        ssh.commands += d.commands;
    });
    return { value, ssh };
}
//# sourceMappingURL=hosts.js.map