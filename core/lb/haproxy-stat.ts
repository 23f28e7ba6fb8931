// HAProxy's runtime API, the pure half: the names the LB step configures and the pool talks to, and
// the parser of `show stat` (CSV) into the pool's MemberState (core/lb/pool.ts). No I/O here, so the
// step builder (provision/loadbalancer.ts) and the unit tests import it without node-ssh.
import { FULL_WEIGHT, MemberHealth, MemberState } from "./pool";

/** The backend holding the app servers (provision/loadbalancer.ts writes it, HaproxyPool drives it). */
export const HAPROXY_BACKEND = "aistudio";
/** The admin-level stats socket (root only, mode 600). */
export const HAPROXY_ADMIN_SOCKET = "/run/haproxy/admin.sock";
/**
 * The weight each server line is configured with. It is FULL_WEIGHT, so HAProxy's weights (0-256)
 * read the same as the pool's (0-100, ALB's scale) without conversion; WEIGHT_SCALE says so in code.
 */
export const HAPROXY_WEIGHT = FULL_WEIGHT;
const WEIGHT_SCALE = FULL_WEIGHT / HAPROXY_WEIGHT;

/** A name HAProxy accepts for a server, and that cannot smuggle a second runtime command (`;`, newline, space). */
export const SERVER_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** One row of `show stat`, by the column names of its "# pxname,svname,…" header. */
export type StatRow = Record<string, string>;

/** The rows of `show stat` output (CSV with a "# " header line); blank lines ignored. */
export function parseStatCsv(csv: string): StatRow[] {
  const lines = csv.split("\n").map((l) => l.replace(/\r$/, ""));
  const head = lines.findIndex((l) => l.startsWith("# "));
  if (head < 0) throw new Error(`HAProxy's show stat answered without its "# pxname,svname,…" header: ${csv.slice(0, 200)}`);
  const cols = lines[head].slice(2).split(",");
  return lines
    .slice(head + 1)
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const cells = l.split(",");
      return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ""]));
    });
}

/**
 * HAProxy's server status (the `status` column) and last check as the pool's health. "UP" and
 * "UP 1/2" (failing a check, not yet down) take requests: healthy, except before the first check
 * ("INI": HAProxy starts every server UP, so a fresh start says nothing yet): unknown. "DRAIN"
 * (drained by hand) is a healthy server that gets no new requests. "DOWN", "DOWN 1/2" (passing
 * again, not yet up), "NOLB" (refuses new requests) and "MAINT" are unhealthy. "no check": unknown.
 */
export function healthOf(status: string, checkStatus = ""): MemberHealth {
  const s = status.trim();
  if (/^(UP|DRAIN)\b/.test(s)) {
    if (s.startsWith("DRAIN (agent)")) return "unhealthy";
    return checkStatus.replace(/^\* /, "") === "INI" ? "unknown" : "healthy";
  }
  if (/^(DOWN|NOLB|MAINT)\b/.test(s)) return "unhealthy";
  return "unknown";
}

/**
 * The last health check in HAProxy's words: `check_status check_code in check_duration ms: reason`,
 * e.g. "L7STS 500 in 3 ms: Internal Server Error", "L4CON in 0 ms: Connection refused", "L7OK 200 in
 * 3 ms: Layer7 check passed". The reason is last_chk (the server's or the system's words), else
 * HAProxy's description of the check status. A check under way is marked "* " by HAProxy: the
 * mark is dropped, and so is its code (0 until it ends).
 */
export function checkDetail(r: StatRow): string {
  const running = (r.check_status ?? "").startsWith("* ");
  const st = (r.check_status ?? "").replace(/^\* /, "");
  if (!st) return "no check result";
  let d = st;
  if (r.check_code && !(running && r.check_code === "0")) d += ` ${r.check_code}`;
  if (r.check_duration) d += ` in ${r.check_duration} ms`;
  const why = r.last_chk || r.check_desc;
  if (why) d += `: ${why}`;
  return d;
}

/** The servers of `backend` in `show stat` output, as the pool sees them. */
export function parseShowStat(csv: string, backend: string): MemberState[] {
  return parseStatCsv(csv)
    .filter((r) => r.pxname === backend && r.svname !== "FRONTEND" && r.svname !== "BACKEND" && r.type !== "0" && r.type !== "1")
    .map((r) => ({
      id: r.svname,
      // a server drained by hand keeps its weight in the column but gets no new request
      weight: /^DRAIN\b/.test(r.status ?? "") ? 0 : Math.round(Number(r.weight || "0") * WEIGHT_SCALE),
      health: healthOf(r.status ?? "", r.check_status ?? ""),
      active: Number(r.scur || "0"),
      detail: `${r.status}; ${checkDetail(r)}`,
    }));
}
