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
exports.httpsRequest = httpsRequest;
exports.visit = visit;
// The guide's API test as code: POST https://<domain>/api/user/visit {"sessionId":…,"type":"launch"}
// must answer 2xx, Content-Type application/json and a body whose success is true.
const https = __importStar(require("node:https"));
function httpsRequest(t, method, path, body) {
    return new Promise((resolve, reject) => {
        const req = https.request({
            host: t.connectTo ?? t.domain,
            port: t.port ?? 443,
            servername: t.domain,
            method,
            path,
            headers: {
                Host: t.domain,
                "Content-Type": "application/json",
                "User-Agent": "aistudio-infra-smoke/1",
                ...(body ? { "Content-Length": Buffer.byteLength(body) } : {}),
            },
            ca: t.ca ? [...require("node:tls").rootCertificates, t.ca] : undefined,
            timeout: t.timeoutMs ?? 10_000,
            agent: false,
        }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`timed out after ${t.timeoutMs ?? 10_000} ms`)));
        req.on("error", reject);
        req.end(body);
    });
}
async function visit(t, sessionId) {
    const payload = JSON.stringify({ sessionId, type: "launch" });
    let r;
    try {
        r = await httpsRequest(t, "POST", "/api/user/visit", payload);
    }
    catch (e) {
        const err = e;
        return { ok: false, error: `${err.code ?? ""} ${err.message}`.trim(), problems: [`expected an HTTPS answer from ${t.domain}, found: ${err.code ?? ""} ${err.message}`] };
    }
    const problems = [];
    const ct = String(r.headers["content-type"] ?? "");
    if (r.status < 200 || r.status > 299)
        problems.push(`expected HTTP 2xx, found ${r.status}`);
    if (!/^application\/json/i.test(ct)) {
        problems.push(`expected Content-Type application/json, found ${ct || "none"}${/html/i.test(ct) || r.body.trimStart().startsWith("<") ? " (HTML: this is what makes the admin backend fail with \"Unexpected token '<'\")" : ""}`);
    }
    let success;
    try {
        success = JSON.parse(r.body).success;
    }
    catch {
        problems.push(`expected a JSON body, found: ${r.body.slice(0, 120)}`);
    }
    if (problems.length === 0 && success !== true)
        problems.push(`expected "success": true, found ${JSON.stringify(success)} in ${r.body.slice(0, 200)}`);
    return { ok: problems.length === 0, status: r.status, contentType: ct, body: r.body.slice(0, 2000), problems };
}
//# sourceMappingURL=visit.js.map