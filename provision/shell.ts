// The one place where shell text is produced. Everything that ends up in a remote script goes
// through `q` (a single word) or `writeB64` (file contents), so no value from config can break
// out of its quotes. Long scripts live as files in provision/scripts/ and receive every value
// through a generated header of variable assignments (`scriptFromFile`), never by interpolation.
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../core/paths";
import { q } from "../core/quote";

export { q, words } from "../core/quote";

/**
 * Emit a command that writes `content` to `path` (exactly, byte for byte) with base64, so content
 * never needs escaping and never appears in a process list. The delimiter cannot occur in base64.
 */
export function writeB64(path: string, content: string | Buffer): string {
  const b64 = Buffer.from(content).toString("base64").replace(/(.{76})/g, "$1\n");
  return `base64 -d > ${q(path)} <<'__AISTUDIO_B64__'\n${b64}\n__AISTUDIO_B64__`;
}

/** Validates that a string is safe to use as a systemd unit / user / file name fragment. */
export function isSafeName(s: string): boolean {
  return /^[a-z_][a-z0-9_-]{0,31}$/.test(s);
}

/** Values for a script header: a string or number is one word, an array a bash array. */
export type ShellVars = Record<string, string | number | readonly string[]>;

/** Names the header must not assign: the shell's own, and the prelude's CHANGED. */
const RESERVED = new Set(["PATH", "IFS", "HOME", "PWD", "SHELL", "UMASK", "CHANGED", "BASH_ENV", "ENV", "LC_ALL", "DEBIAN_FRONTEND"]);

/** One `NAME=value` line per variable, in the given order, every value quoted with q(). */
export function assignments(vars: ShellVars): string {
  return Object.entries(vars)
    .map(([name, v]) => {
      if (!/^[A-Z][A-Z0-9_]*$/.test(name) || RESERVED.has(name)) throw new Error(`assignments: unusable variable name ${name}`);
      return typeof v === "object" ? `${name}=(${v.map(q).join(" ")})` : `${name}=${q(String(v))}`;
    })
    .join("\n");
}

const bodies = new Map<string, string>();

/** The text of provision/scripts/NAME.sh without its #! line, read once. */
export function scriptBody(name: string): string {
  let body = bodies.get(name);
  if (body === undefined) {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`scriptBody: bad script name ${name}`);
    body = fs.readFileSync(path.join(repoRoot(), "provision", "scripts", `${name}.sh`), "utf8").replace(/^#!.*\n/, "");
    bodies.set(name, body);
  }
  return body;
}

/**
 * A step's script: a header assigning `vars`, then provision/scripts/NAME.sh as it is. Server paths
 * are the header values starting with "/" (a URL path is named *_URL_PATH), and the file names none
 * of its own: the sandbox tests (test/unit/failure-paths.test.ts) move exactly those values under a
 * temporary root.
 */
export function scriptFromFile(name: string, vars: ShellVars): string {
  return `# provision/scripts/${name}.sh, with:\n${assignments(vars)}\n${scriptBody(name)}`;
}
