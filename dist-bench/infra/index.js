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
exports.stepHashes = exports.smokeTest = exports.securityGroupId = exports.sshCommand = exports.wechatRequestDomains = exports.urls = exports.publicIp = exports.domain = void 0;
// aistudio-infra: the WeChat mini program backend at https://<domain>.
//
//   1. config     read once, validated (infra/config.ts)
//   2. cloud      Alibaba Cloud network, security group, ECS, EIP, DNS (infra/components/cloud.ts);
//                 the local stack uses a test host instead
//   3. server     packages, firewall, TLS, app, nginx over SSH, then the smoke test
//                 (infra/components/server.ts, steps in provision/)
//   4. outputs    URLs for config.js, request合法域名 for the WeChat console, SSH command
const path = __importStar(require("node:path"));
const read_config_1 = require("./read-config");
const app_source_1 = require("./app-source");
const server_1 = require("./components/server");
const cloud_1 = require("./components/cloud");
const outputs_1 = require("./outputs");
const cfg = (0, read_config_1.readConfig)();
const appFiles = cfg.app.source.kind === "dir" ? (0, app_source_1.readAppDir)(path.resolve((0, app_source_1.projectRoot)(), cfg.app.source.location)) : [];
const cloud = cfg.target === "alicloud" ? new cloud_1.AlicloudServer("aistudio", { config: cfg, hostPrivateKey: cfg.cloud?.hostPrivateKey }) : undefined;
const host = cloud ? cloud.publicIp : cfg.server.host;
const server = new server_1.ServerProvisioning("aistudio", {
    config: cfg,
    host,
    hostKey: cfg.server.hostKey,
    appFiles,
    connectTo: cfg.smoke.connectTo ?? (cfg.target === "local" ? cfg.server.host : undefined),
}, cloud ? { dependsOn: [cloud] } : undefined);
exports.domain = cfg.domain;
exports.publicIp = host;
exports.urls = (0, outputs_1.miniProgramUrls)(cfg.domain);
exports.wechatRequestDomains = (0, outputs_1.requestDomains)(cfg.domain);
exports.sshCommand = cloud ? cloud.publicIp.apply((ip) => `ssh ${cfg.server.user}@${ip}`) : `ssh -p ${cfg.server.port} ${cfg.server.user}@${cfg.server.host}`;
exports.securityGroupId = cloud ? cloud.securityGroupId : "(local stack: no security group)";
exports.smokeTest = { status: server.smoke.status, body: server.smoke.body, seconds: server.smoke.seconds };
exports.stepHashes = server.stepHashes;
//# sourceMappingURL=index.js.map