"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.runSmoke = runSmoke;
exports.create = create;
exports.update = update;
exports.diff = diff;
// Provider implementation of the post-deploy smoke test (see smoke.ts).
const node_crypto_1 = require("node:crypto");
const visit_1 = require("./visit");
const diagnostics_1 = require("./diagnostics");
const ssh_1 = require("../runner/ssh");
async function serverCert(c) {
    const ssh = await (0, ssh_1.connect)(c, { dialBudgetMs: 15_000 });
    try {
        const r = await (0, ssh_1.runScript)(ssh, c.user, "cat /etc/aistudio/tls/fullchain.pem");
        return r.stdout;
    }
    finally {
        ssh.dispose();
    }
}
async function runSmoke(i) {
    const ca = i.trust === "system" ? undefined : i.trust === "server-cert" ? await serverCert(i.connection) : i.trust;
    const sessionId = `smoke-${(0, node_crypto_1.randomUUID)()}`;
    const start = Date.now();
    let attempts = 0;
    let result;
    for (;;) {
        attempts++;
        result = await (0, visit_1.visit)({ domain: i.domain, connectTo: i.connectTo, ca, timeoutMs: 10_000 }, sessionId);
        if (result.ok || Date.now() - start > i.timeoutSeconds * 1000)
            break;
        await new Promise((r) => setTimeout(r, 2000));
    }
    return { result, attempts, seconds: Math.round((Date.now() - start) / 100) / 10 };
}
async function check(i) {
    const { result, attempts, seconds } = await runSmoke(i);
    if (!result.ok) {
        const diag = await (0, diagnostics_1.fetchDiagnostics)(i.connection, i.redact);
        throw new Error(`smoke test failed / 冒烟测试失败: POST https://${i.domain}/api/user/visit` +
            `${i.connectTo ? ` (via ${i.connectTo})` : ""} after ${attempts} attempts in ${seconds}s\n` +
            result.problems.map((p) => `  ✗ ${p}`).join("\n") +
            `\n\nserver diagnostics / 服务器诊断信息:\n${diag}`);
    }
    return { ...i, status: result.status, body: result.body, attempts, seconds };
}
async function create(i) {
    return { id: `smoke-${i.domain}`, outs: await check(i) };
}
async function update(_id, _o, n) {
    return { outs: await check(n) };
}
function diff(_id, o, n) {
    const changes = JSON.stringify(o.triggers) !== JSON.stringify(n.triggers) || o.domain !== n.domain || o.connectTo !== n.connectTo;
    return { changes };
}
//# sourceMappingURL=smoke-impl.js.map