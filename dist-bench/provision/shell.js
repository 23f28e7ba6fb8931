"use strict";
// The one place where shell text is produced. Everything that ends up in a remote script goes
// through `q` (a single word) or `heredocB64` (file contents), so no value from config can break
// out of its quotes.
Object.defineProperty(exports, "__esModule", { value: true });
exports.q = q;
exports.words = words;
exports.writeB64 = writeB64;
exports.isSafeName = isSafeName;
/** Quote one word for POSIX sh: wrap in single quotes, escape embedded single quotes. */
function q(word) {
    if (word === "")
        return "''";
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word))
        return word;
    return "'" + word.replace(/'/g, `'"'"'`) + "'";
}
/** Quote each word and join with spaces. */
function words(...ws) {
    return ws.map(q).join(" ");
}
/**
 * Emit a command that writes `content` to `path` (exactly, byte for byte) with base64, so content
 * never needs escaping and never appears in a process list. The delimiter cannot occur in base64.
 */
function writeB64(path, content) {
    const b64 = Buffer.from(content).toString("base64").replace(/(.{76})/g, "$1\n");
    return `base64 -d > ${q(path)} <<'__AISTUDIO_B64__'\n${b64}\n__AISTUDIO_B64__`;
}
/** Validates that a string is safe to use as a systemd unit / user / file name fragment. */
function isSafeName(s) {
    return /^[a-z_][a-z0-9_-]{0,31}$/.test(s);
}
//# sourceMappingURL=shell.js.map