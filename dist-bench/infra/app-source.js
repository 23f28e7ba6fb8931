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
exports.readAppDir = readAppDir;
exports.projectRoot = projectRoot;
// Reads the app's source directory (the edge: file I/O happens here, not in provision/).
const fs = __importStar(require("node:fs"));
const path = __importStar(require("node:path"));
const SKIP = new Set([".git", "__pycache__", "node_modules", ".venv", "venv", ".pytest_cache", "media"]);
function readAppDir(dir) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new Error(`aistudio:app.dir: ${dir} is not a directory / 应用源码目录不存在. Set it to the backend's source directory.`);
    }
    const out = [];
    const walk = (abs, rel) => {
        for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            if (SKIP.has(e.name) || e.name.endsWith(".pyc"))
                continue;
            const a = path.join(abs, e.name);
            const r = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory())
                walk(a, r);
            else if (e.isFile())
                out.push({ rel: r, content: fs.readFileSync(a, "utf8"), mode: fs.statSync(a).mode & 0o111 ? "0755" : "0644" });
        }
    };
    walk(dir, "");
    if (out.length === 0)
        throw new Error(`aistudio:app.dir: ${dir} is empty`);
    return out;
}
/** The directory holding Pulumi.yaml (the program itself runs from dist/). */
function projectRoot() {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
        const up = path.dirname(dir);
        if (up === dir)
            return process.cwd();
        dir = up;
    }
    return dir;
}
//# sourceMappingURL=app-source.js.map