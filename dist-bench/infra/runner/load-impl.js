"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.loadImpl = loadImpl;
// Dynamic providers run in a separate Node process; their serialized code only calls this loader,
// which finds the compiled implementation in the project (the nearest ancestor directory of the
// process's working directory that holds it). Self-contained: it is serialized into the state.
function loadImpl(rel) {
    const path = require("path");
    const fs = require("fs");
    let dir = process.cwd();
    for (;;) {
        const candidate = path.join(dir, rel);
        if (fs.existsSync(candidate))
            return require(candidate);
        const up = path.dirname(dir);
        if (up === dir)
            throw new Error(`aistudio: cannot find ${rel} above ${process.cwd()}; run \`npm run build\` in the project`);
        dir = up;
    }
}
//# sourceMappingURL=load-impl.js.map