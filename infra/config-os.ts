// The `os` block (issue #16): the operating system around the app. rebootWindow: when the server
// may reboot by itself to finish a security update that needs it (a new kernel, libc, systemd);
// unset (the default), it never does and the doctor reports "reboot required" instead.
import type { Section } from "./config-section";

export const OS_KEYS = ["rebootWindow"] as const;
export type OsKey = (typeof OS_KEYS)[number];

export interface OsConfig {
  /** The reboot window as written ("04:00", "Sun 04:00", "Sat,Sun 03:30"); undefined: never. */
  rebootWindow?: string;
  /** The same as a systemd OnCalendar expression, in the server's local time. */
  rebootCalendar?: string;
}

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const WINDOW = /^(?:([A-Za-z]{3}(?:,[A-Za-z]{3})*) +)?([01]?[0-9]|2[0-3]):([0-5][0-9])$/;

/** "Sun 04:00" -> "Sun *-*-* 04:00:00"; undefined when it is not a window. */
export function rebootCalendar(window: string): string | undefined {
  const m = WINDOW.exec(window.trim());
  if (!m) return undefined;
  const days = m[1]?.split(",").map((d) => d[0].toUpperCase() + d.slice(1).toLowerCase());
  if (days?.some((d) => !DAYS.includes(d))) return undefined;
  const time = `${m[2].padStart(2, "0")}:${m[3]}:00`;
  return `${days ? `${days.join(",")} ` : ""}*-*-* ${time}`;
}

export function parseOs(s: Section<OsKey>): OsConfig {
  const w = s.str("rebootWindow");
  if (w === undefined || w.trim().toLowerCase() === "none") return {};
  const calendar = rebootCalendar(w);
  if (!calendar) {
    s.bad(s.key("rebootWindow"), `must be a time "HH:MM" (every day) or days and a time "Sun 04:00" / "Sat,Sun 03:30" (days Mon…Sun, the server's local time), or "none" to never reboot by itself, got ${JSON.stringify(w)}: \`pulumi config set --path aistudio:os.rebootWindow "Sun 04:00"\``);
    return {};
  }
  return { rebootWindow: w.trim(), rebootCalendar: calendar };
}
