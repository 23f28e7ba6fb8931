"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.DIAGNOSTICS_SCRIPT = void 0;
exports.fetchDiagnostics = fetchDiagnostics;
// The server side of the troubleshooting guide, fetched over SSH when a check fails.
const ssh_1 = require("../runner/ssh");
exports.DIAGNOSTICS_SCRIPT = `
echo "== systemctl status aistudio nginx"; systemctl status aistudio nginx --no-pager -l 2>&1 | head -60 || true
echo "== listeners on 8000/443 (ss -tlnp)"; ss -tlnp 2>&1 | grep -E ':(8000|443|80)\\b' || echo "(nothing listening on 80/443/8000)"
echo "== ufw status"; ufw status verbose 2>&1 || true
echo "== journalctl -u aistudio -n 50"; journalctl -u aistudio -n 50 --no-pager 2>&1 || true
echo "== nginx error log"; tail -n 20 /var/log/nginx/error.log 2>&1 || true
`;
async function fetchDiagnostics(c, secrets = []) {
    try {
        const ssh = await (0, ssh_1.connect)(c, { dialBudgetMs: 15_000 });
        try {
            const r = await (0, ssh_1.runScript)(ssh, c.user, exports.DIAGNOSTICS_SCRIPT);
            return (0, ssh_1.redact)(r.stdout + r.stderr, secrets);
        }
        finally {
            ssh.dispose();
        }
    }
    catch (e) {
        return `(could not fetch diagnostics over SSH: ${e.message})`;
    }
}
//# sourceMappingURL=diagnostics.js.map