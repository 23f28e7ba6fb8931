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
exports.RemoteStep = void 0;
// RemoteStep: one provisioning Step executed on one server, as a Pulumi resource.
//  - trigger: the step's content hash (nothing changed -> nothing runs, nothing restarts)
//  - the SSH host key is pinned; the private key, secret files and secret values stay secret in state
//  - refresh re-runs the step's probe over SSH, so hand edits on the server show up as drift
// The provider object serialized into the state is a shim that loads the compiled implementation
// from the project (dist/), so no code closure and no secret is captured in the state.
const pulumi = __importStar(require("@pulumi/pulumi"));
const load_impl_1 = require("./load-impl");
const script_1 = require("./script");
const IMPL = "dist/infra/runner/remote-step-impl.js";
const provider = {
    async create(inputs) {
        return (0, load_impl_1.loadImpl)(IMPL).create(inputs);
    },
    async update(id, olds, news) {
        return (0, load_impl_1.loadImpl)(IMPL).update(id, olds, news);
    },
    async read(id, props) {
        return (0, load_impl_1.loadImpl)(IMPL).read(id, props);
    },
    async diff(id, olds, news) {
        return (0, load_impl_1.loadImpl)(IMPL).diff(id, olds, news);
    },
    async delete() {
        /* the server is destroyed as a whole; nothing to undo step by step */
    },
};
class RemoteStep extends pulumi.dynamic.Resource {
    constructor(name, args, opts) {
        const s = args.step;
        const script = (0, script_1.applyScript)(s);
        super(provider, name, {
            connection: pulumi.secret(args.connection),
            stepId: s.id,
            description: s.description,
            hash: (0, script_1.stepHash)(s),
            script: (0, script_1.hasSecrets)(s) ? pulumi.secret(script) : script,
            probeScript: (0, script_1.probeScript)(s),
            redact: pulumi.secret(args.redact ?? []),
            paths: s.files.map((f) => f.path),
            expected: undefined,
            observed: undefined,
        }, { ...opts, additionalSecretOutputs: ["connection", "script", "redact"] });
    }
}
exports.RemoteStep = RemoteStep;
//# sourceMappingURL=remote-step.js.map