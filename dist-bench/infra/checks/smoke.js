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
exports.SmokeTest = void 0;
// SmokeTest: runs after provisioning and again whenever anything on the server changed (its
// triggers are the step hashes). A failure fails `pulumi up` with expected vs found and the
// server's diagnostics.
const pulumi = __importStar(require("@pulumi/pulumi"));
const load_impl_1 = require("../runner/load-impl");
const IMPL = "dist/infra/checks/smoke-impl.js";
const provider = {
    async create(inputs) {
        return (0, load_impl_1.loadImpl)(IMPL).create(inputs);
    },
    async update(id, olds, news) {
        return (0, load_impl_1.loadImpl)(IMPL).update(id, olds, news);
    },
    async diff(id, olds, news) {
        return (0, load_impl_1.loadImpl)(IMPL).diff(id, olds, news);
    },
};
class SmokeTest extends pulumi.dynamic.Resource {
    constructor(name, args, opts) {
        super(provider, name, {
            ...args,
            connectTo: args.connectTo ?? null,
            connection: pulumi.secret(args.connection),
            redact: pulumi.secret(args.redact ?? []),
            status: undefined,
            body: undefined,
            seconds: undefined,
            attempts: undefined,
        }, { ...opts, additionalSecretOutputs: ["connection", "redact"] });
    }
}
exports.SmokeTest = SmokeTest;
//# sourceMappingURL=smoke.js.map