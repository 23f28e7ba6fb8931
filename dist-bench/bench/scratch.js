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
const render_ansible_files_1 = require("./render-ansible-files");
const ansible_1 = require("./ansible");
const testhost_1 = require("../infra/testhost");
const hosts_1 = require("./hosts");
const repo_1 = require("./repo");
const path = __importStar(require("node:path"));
(async () => {
    const rec = (0, testhost_1.readTesthost)(process.argv[2]);
    const r = (0, render_ansible_files_1.renderAnsibleFiles)(path.join(repo_1.WORK, "scratch-files"), { env: { SECRET_KEY: "abc-secret-123456" } });
    console.log(r);
    const a = new ansible_1.AnsibleProject("scratch", [rec]);
    for (let i = 0; i < 2; i++) {
        const c = await (0, hosts_1.counted)([rec], () => a.run(r.dir));
        console.log(c.value.code, c.value.seconds, c.value.recap, c.ssh);
        if (c.value.code !== 0)
            console.log(c.value.output.slice(-5000));
    }
    a.cleanup();
})();
//# sourceMappingURL=scratch.js.map