"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.sha256 = sha256;
exports.stepHash = stepHash;
// A provisioning step is pure data: the files one concern needs on the server and the script that
// puts them in place. Builders in provision/*.ts return Steps; infra/runner executes them over SSH.
const node_crypto_1 = require("node:crypto");
function sha256(s) {
    return (0, node_crypto_1.createHash)("sha256").update(s).digest("hex");
}
/** Content hash of a step: changes whenever anything the server would receive changes. */
function stepHash(step) {
    const h = (0, node_crypto_1.createHash)("sha256");
    h.update(step.id + "\0" + step.apply + "\0" + step.probe + "\0");
    for (const f of step.files) {
        h.update([f.path, f.mode, f.owner ?? "", f.group ?? "", sha256(f.content)].join("\0") + "\0");
    }
    return h.digest("hex");
}
//# sourceMappingURL=step.js.map