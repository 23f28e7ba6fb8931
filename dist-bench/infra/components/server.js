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
exports.ServerProvisioning = void 0;
exports.buildSteps = buildSteps;
exports.secretValues = secretValues;
// ServerProvisioning: everything `pulumi up` does to one server, one RemoteStep per concern, in
// order: packages -> firewall -> TLS certificate -> app -> nginx (-> ACME) -> smoke test.
const pulumi = __importStar(require("@pulumi/pulumi"));
const remote_step_1 = require("../runner/remote-step");
const smoke_1 = require("../checks/smoke");
const packages_1 = require("../../provision/packages");
const firewall_1 = require("../../provision/firewall");
const tls_1 = require("../../provision/tls");
const app_1 = require("../../provision/app");
const nginx_1 = require("../../provision/nginx");
/** The ordered steps for a config: pure, unit-tested. */
function buildSteps(cfg, appFiles, caBundlePath) {
    const steps = [
        (0, packages_1.packagesStep)(),
        (0, firewall_1.firewallStep)({ sshPort: cfg.server.port, adminCidrs: cfg.firewall.adminCidrs }),
    ];
    if (cfg.tls.mode === "self-signed")
        steps.push((0, tls_1.selfSignedStep)(cfg.domain));
    if (cfg.tls.mode === "provided")
        steps.push((0, tls_1.providedStep)(cfg.domain, cfg.tls.certificate, cfg.tls.privateKey));
    steps.push((0, app_1.appStep)({
        source: cfg.app.source.kind === "git"
            ? { kind: "git", url: cfg.app.source.location, ref: cfg.app.source.ref ?? "main" }
            : { kind: "files", files: appFiles },
        workers: cfg.app.workers,
        wsgi: "app:application",
        preStart: cfg.app.preStart,
        env: cfg.app.env,
        pipIndexUrl: cfg.app.pipIndexUrl,
    }));
    steps.push((0, nginx_1.nginxStep)({
        domain: cfg.domain,
        hstsMaxAge: cfg.tls.mode === "self-signed" ? 0 : 31536000,
        maxBodySize: cfg.nginx.clientMaxBodySize,
        extraServerConfig: cfg.nginx.extraServerConfig,
    }));
    if (cfg.tls.mode === "acme") {
        // tls.acmeCaBundle (a private ACME server's CA, e.g. pebble) is uploaded by the step itself;
        // caBundlePath names a bundle that is already on the server
        steps.push((0, tls_1.acmeStep)({ domain: cfg.domain, email: cfg.tls.email, server: cfg.tls.acmeServer, caBundle: cfg.tls.acmeCaBundle, caBundlePath }));
    }
    return steps;
}
/** Every secret value that must never appear in output. */
function secretValues(cfg) {
    return [cfg.server.privateKey, cfg.tls.privateKey ?? "", cfg.wechat.appSecret ?? "", ...Object.values(cfg.app.env)].filter((s) => s.length >= 4);
}
class ServerProvisioning extends pulumi.ComponentResource {
    constructor(name, args, opts) {
        super("aistudio:server:Provisioning", name, {}, opts);
        this.steps = [];
        const cfg = args.config;
        const connection = {
            host: args.host,
            port: cfg.server.port,
            user: cfg.server.user,
            hostKey: args.hostKey,
            privateKey: pulumi.secret(cfg.server.privateKey),
        };
        const redact = pulumi.secret(secretValues(cfg));
        let prev;
        for (const step of buildSteps(cfg, args.appFiles)) {
            const r = new remote_step_1.RemoteStep(`${name}-${step.id}`, { connection, step, redact }, { parent: this, dependsOn: prev ? [prev] : [] });
            this.steps.push(r);
            prev = r;
        }
        this.stepHashes = pulumi.all(this.steps.map((s) => s.hash));
        this.smoke = new smoke_1.SmokeTest(`${name}-smoke`, {
            domain: cfg.domain,
            connectTo: args.connectTo,
            trust: cfg.tls.caBundle ?? (cfg.tls.mode === "self-signed" ? "server-cert" : "system"),
            timeoutSeconds: cfg.smoke.timeoutSeconds,
            connection,
            redact,
            triggers: this.stepHashes,
        }, { parent: this, dependsOn: this.steps });
        this.registerOutputs({ stepHashes: this.stepHashes, smokeSeconds: this.smoke.seconds });
    }
}
exports.ServerProvisioning = ServerProvisioning;
//# sourceMappingURL=server.js.map