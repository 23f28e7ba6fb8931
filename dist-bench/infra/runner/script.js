"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.stepHash = exports.PROBE_MARKER = void 0;
exports.applyScript = applyScript;
exports.probeScript = probeScript;
exports.splitProbe = splitProbe;
exports.hasSecrets = hasSecrets;
// Turns a Step (pure data) into the one bash script the runner sends to the server.
const step_1 = require("../../provision/step");
Object.defineProperty(exports, "stepHash", { enumerable: true, get: function () { return step_1.stepHash; } });
const prelude_1 = require("../../provision/prelude");
const shell_1 = require("../../provision/shell");
exports.PROBE_MARKER = "__AISTUDIO_PROBE_BEGIN__";
/** Script that stages the step's files, runs apply, then prints the probe after a marker. */
function applyScript(step) {
    const staging = step.files
        .map((f) => `install -d -m 0755 ${(0, shell_1.q)(dirname(f.path))}\n${(0, shell_1.writeB64)(f.path + ".aistudio-new", f.content)}\nchmod ${f.mode} ${(0, shell_1.q)(f.path + ".aistudio-new")}`)
        .join("\n");
    return [
        prelude_1.PRELUDE,
        `# step ${step.id}: ${step.description.replace(/\n/g, " ")}`,
        "umask 077",
        staging,
        "umask 022",
        step.apply.trim(),
        `echo ${exports.PROBE_MARKER}`,
        step.probe.trim(),
        "",
    ].join("\n");
}
/** Script that only prints the probe (refresh / drift check). */
function probeScript(step) {
    return [prelude_1.PRELUDE, `echo ${exports.PROBE_MARKER}`, step.probe.trim(), ""].join("\n");
}
function splitProbe(stdout) {
    const i = stdout.lastIndexOf(exports.PROBE_MARKER + "\n");
    if (i < 0)
        return { log: stdout, probe: "" };
    return { log: stdout.slice(0, i), probe: stdout.slice(i + exports.PROBE_MARKER.length + 1).trimEnd() };
}
function hasSecrets(step) {
    return step.files.some((f) => f.secret);
}
function dirname(p) {
    const i = p.lastIndexOf("/");
    return i <= 0 ? "/" : p.slice(0, i);
}
//# sourceMappingURL=script.js.map