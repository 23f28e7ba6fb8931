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
exports.handshake = handshake;
exports.tcpReachable = tcpReachable;
exports.acceptsVersion = acceptsVersion;
exports.daysLeft = daysLeft;
exports.selfSigned = selfSigned;
// TLS checks with Node's own TLS: what a phone's WeChat client needs from https://<domain>.
const tls = __importStar(require("node:tls"));
const net = __importStar(require("node:net"));
function handshake(t, versions) {
    return new Promise((resolve) => {
        const opts = {
            host: t.address ?? t.domain,
            port: t.port ?? 443,
            servername: t.domain,
            rejectUnauthorized: false,
            ca: t.ca ? [...tls.rootCertificates, t.ca] : undefined,
            ALPNProtocols: ["http/1.1"],
        };
        if (versions) {
            opts.minVersion = versions.min;
            opts.maxVersion = versions.max;
            // let the client offer old protocols at all, so that a refusal is the server's
            if (versions.max !== "TLSv1.3" && versions.max !== "TLSv1.2")
                opts.ciphers = "DEFAULT:@SECLEVEL=0";
        }
        let done = false;
        const finish = (r, s) => {
            if (done)
                return;
            done = true;
            s?.destroy();
            resolve(r);
        };
        const s = tls.connect(opts, () => {
            const peer = s.getPeerX509Certificate();
            // count what the server sent: walk the raw chain Node received (issuerCertificate links)
            const detailed = s.getPeerCertificate(true);
            let n = 0;
            const seen = new Set();
            for (let c = detailed; c && c.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
                seen.add(c.fingerprint256);
                n++;
            }
            finish({
                ok: true,
                protocol: s.getProtocol() ?? undefined,
                cipher: s.getCipher()?.name,
                authorized: s.authorized,
                authorizationError: s.authorizationError ? String(s.authorizationError) : undefined,
                leaf: peer,
                chainLength: n,
            }, s);
        });
        s.setTimeout(t.timeoutMs ?? 8000, () => finish({ ok: false, error: "timeout" }, s));
        s.on("error", (e) => finish({ ok: false, error: `${e.code ?? ""} ${e.message}`.trim() }, s));
    });
}
function tcpReachable(host, port, timeoutMs = 5000) {
    return new Promise((resolve) => {
        const s = net.connect({ host, port });
        const done = (r) => {
            s.destroy();
            resolve(r);
        };
        s.setTimeout(timeoutMs, () => done({ ok: false, error: `timeout after ${timeoutMs} ms` }));
        s.on("connect", () => done({ ok: true }));
        s.on("error", (e) => done({ ok: false, error: e.code ?? e.message }));
    });
}
/** Does the server accept exactly this protocol version? */
async function acceptsVersion(t, v) {
    const r = await handshake(t, { min: v, max: v });
    return r.ok && r.protocol === v;
}
function daysLeft(cert, now = Date.now()) {
    return Math.floor((new Date(cert.validTo).getTime() - now) / 86_400_000);
}
function selfSigned(cert) {
    return cert.issuer === cert.subject && cert.verify(cert.publicKey);
}
//# sourceMappingURL=tls.js.map