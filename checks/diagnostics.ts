// The server side of the troubleshooting guide, fetched over SSH when a check fails.
import { APP_PORT, APP_UNIT, NGINX_ERROR_LOG } from "../core/constants";
import { Connection, redact, runOnce } from "../core/ssh";

/** The app's last log lines (its tracebacks) and nginx's: what the smoke test and the doctor show. */
export const APP_JOURNAL = `journalctl -u ${APP_UNIT} -n 50`;
export const NGINX_ERRORS = `tail -n 20 ${NGINX_ERROR_LOG}`;

/** The diagnostics script for an app listening on 127.0.0.1:<port>. */
export const diagnosticsScript = (port = APP_PORT): string => `
echo "== systemctl status aistudio nginx"; systemctl status aistudio nginx --no-pager -l 2>&1 | head -60 || true
echo "== listeners on ${port}/443 (ss -tlnp)"; ss -tlnp 2>&1 | grep -E ':(${port}|443|80)\\b' || echo "(nothing listening on 80/443/${port})"
echo "== ufw status"; ufw status verbose 2>&1 || true
echo "== ${APP_JOURNAL}"; ${APP_JOURNAL} --no-pager 2>&1 || true
echo "== nginx error log"; ${NGINX_ERRORS} 2>&1 || true
`;

export async function fetchDiagnostics(c: Connection, secrets: string[] = [], port = APP_PORT): Promise<string> {
  try {
    const r = await runOnce(c, diagnosticsScript(port), 15_000);
    return redact(r.stdout + r.stderr, secrets);
  } catch (e) {
    return `(could not fetch diagnostics over SSH: ${(e as Error).message})`;
  }
}
