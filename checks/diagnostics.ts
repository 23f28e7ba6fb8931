// The server side of the troubleshooting guide, fetched over SSH when a check fails.
import { APP_PORT, NGINX_ERROR_LOG } from "../core/constants";
import { Connection, redact, runOnce } from "../core/ssh";

export const DIAGNOSTICS_SCRIPT = `
echo "== systemctl status aistudio nginx"; systemctl status aistudio nginx --no-pager -l 2>&1 | head -60 || true
echo "== listeners on ${APP_PORT}/443 (ss -tlnp)"; ss -tlnp 2>&1 | grep -E ':(${APP_PORT}|443|80)\\b' || echo "(nothing listening on 80/443/${APP_PORT})"
echo "== ufw status"; ufw status verbose 2>&1 || true
echo "== journalctl -u aistudio -n 50"; journalctl -u aistudio -n 50 --no-pager 2>&1 || true
echo "== nginx error log"; tail -n 20 ${NGINX_ERROR_LOG} 2>&1 || true
`;

export async function fetchDiagnostics(c: Connection, secrets: string[] = []): Promise<string> {
  try {
    const r = await runOnce(c, DIAGNOSTICS_SCRIPT, 15_000);
    return redact(r.stdout + r.stderr, secrets);
  } catch (e) {
    return `(could not fetch diagnostics over SSH: ${(e as Error).message})`;
  }
}
