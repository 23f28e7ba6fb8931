"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.session = session;
exports.closeAll = closeAll;
exports.create = create;
exports.update = update;
exports.read = read;
exports.diff = diff;
exports.deleteStep = deleteStep;
const ssh_1 = require("./ssh");
const script_1 = require("./script");
const pool = new Map();
function key(c) {
    return `${c.user}@${c.host}:${c.port}#${c.hostKey}`;
}
async function session(c) {
    const k = key(c);
    let p = pool.get(k);
    if (!p) {
        p = (0, ssh_1.connect)(c, {
            onRetry: (n, e) => console.error(`[aistudio] waiting for sshd on ${c.host}:${c.port} (attempt ${n}: ${e.message})`),
        });
        pool.set(k, p);
        p.catch(() => pool.delete(k));
    }
    const ssh = await p;
    if (!ssh.isConnected()) {
        pool.delete(k);
        return session(c);
    }
    return ssh;
}
function closeAll() {
    for (const p of pool.values())
        p.then((s) => s.dispose()).catch(() => undefined);
    pool.clear();
}
async function apply(i) {
    const ssh = await session(i.connection);
    const r = await (0, ssh_1.runScript)(ssh, i.connection.user, i.script);
    if (r.code !== 0) {
        const out = (0, ssh_1.redact)(`${r.stdout}\n${r.stderr}`, i.redact);
        throw new Error(`step "${i.stepId}" failed on ${i.connection.host} (exit ${r.code}) / 部署步骤失败: ${i.description}\n` +
            (0, ssh_1.tail)(out, 40));
    }
    const { probe } = (0, script_1.splitProbe)(r.stdout);
    return { ...i, expected: probe, observed: probe };
}
async function create(i) {
    const outs = await apply(i);
    return { id: `${i.connection.host}/${i.stepId}`, outs };
}
async function update(_id, _olds, news) {
    return { outs: await apply(news) };
}
async function read(id, props) {
    const ssh = await session(props.connection);
    const r = await (0, ssh_1.runScript)(ssh, props.connection.user, props.probeScript);
    const observed = r.code === 0 ? (0, script_1.splitProbe)(r.stdout).probe : `probe failed (exit ${r.code}): ${(0, ssh_1.tail)((0, ssh_1.redact)(r.stderr, props.redact), 5)}`;
    return { id, props: { ...props, observed } };
}
function diff(_id, olds, news) {
    const changed = [];
    if (olds.hash !== news.hash)
        changed.push("hash");
    const oc = olds.connection, nc = news.connection;
    // a new pinned host key means another machine at the same address (rebuilt server or test host)
    if (!oc || oc.host !== nc.host || oc.port !== nc.port || oc.user !== nc.user || oc.hostKey !== nc.hostKey)
        changed.push("connection");
    // drift: what a refresh found differs from what the last apply left
    if ((olds.observed ?? "") !== (olds.expected ?? ""))
        changed.push("observed");
    return { changes: changed.length > 0, replaces: [], stables: ["stepId"], deleteBeforeReplace: false };
}
async function deleteStep() {
    // Nothing is removed from the server on destroy: the server (or the test host) is destroyed as a whole.
}
//# sourceMappingURL=remote-step-impl.js.map