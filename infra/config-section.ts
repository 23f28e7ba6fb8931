// One object of the config ("" for the aistudio: keys themselves, "tls", "smoke.probes[0]", …) with
// the keys declared for it. Each section of parseConfig reads its values through a Section, whose
// readers accept only the declared keys (a key cannot be parsed without being known: the type
// checker refuses it), and a Section reports every other key it holds as unknown, with the key it
// was probably meant to be and the commands that fix it.
import type { Raw } from "./config";

export interface Problem {
  key: string;
  message: string;
}
export type Bad = (key: string, message: string) => void;

/** Keys whose values are secrets: never printed, set with --secret. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  "sshPrivateKey", "sshPrivateKeyPassphrase", "sshHostPrivateKey", "appEnv", "tlsPrivateKey", "wechatAppSecret",
  "databasePassword", "databaseUrl", "backupPassword", "backupSecretAccessKey", "uploadsSecretAccessKey",
]);

/** A whole number written in decimal digits, nothing else (no sign, point, exponent, 0x, spaces). */
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Single-quotes a word for a POSIX shell when it needs it. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `pulumi config rm|set` for a key path ("domain", "tls.email", "smoke.probes[0].status"). */
export function configCommand(verb: "rm" | "set", key: string, stack: string, value?: string): string {
  const nested = /[.[]/.test(key);
  const secret = SECRET_KEYS.has(key.split(/[.[]/)[0]);
  const flags = [verb === "set" && secret ? "--secret" : "", nested ? "--path" : ""].filter(Boolean).join(" ");
  return ["pulumi config", verb, flags, shellWord(`aistudio:${key}`), value ?? "", `--stack ${shellWord(stack)}`].filter(Boolean).join(" ");
}

/** Optimal string alignment distance (a swap of two neighbours counts once), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d = Array.from({ length: s.length + 1 }, (_, i) => [i, ...Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/** The known key a typo was most likely meant to be: one or two edits away (one for short keys). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const limit = key.length <= 4 ? 1 : 2;
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d <= limit && (!best || d < best.d)) best = { k, d };
  }
  return best?.k;
}

/** How to set `key` to the value that was given under a misspelt name (never echoing a secret). */
function setCommand(key: string, value: unknown, stack: string): string {
  if (SECRET_KEYS.has(key.split(/[.[]/)[0])) {
    return `\`${configCommand("set", key, stack)}${/PrivateKey$/.test(key) ? " < FILE" : ""}\``;
  }
  if (value !== null && typeof value === "object") return `move its value under aistudio:${key} in Pulumi.${stack}.yaml`;
  const text = String(value);
  if (text.length > 80 || /[\r\n]/.test(text)) return `\`${configCommand("set", key, stack, '-- "$(cat FILE)"')}\``;
  return `\`${configCommand("set", key, stack, shellWord(text))}\``;
}

export function unknownKeyMessage(path: string, key: string, value: unknown, known: readonly string[], siblings: Raw, stack: string): string {
  const full = (k: string) => (path ? `${path}.${k}` : k);
  const where = path ? `a key of aistudio:${path}` : "an aistudio: key";
  const rm = `\`${configCommand("rm", full(key), stack)}\``;
  const guess = closestKey(key, known);
  if (!guess) return `is not ${where} (those are: ${known.join(", ")}): remove it with ${rm}`;
  if (siblings[guess] !== undefined) return `is not ${where}: did you mean ${full(guess)}? That one is set as well, so remove this one: ${rm}`;
  return `is not ${where}: did you mean ${full(guess)}? Rename it: ${rm}, then ${setCommand(full(guess), value, stack)}`;
}

export class Section<K extends string> {
  constructor(
    /** The key path of this object ("" for the top level). */
    readonly path: string,
    readonly raw: Raw,
    /** Every key this object may hold: the readers take only these. */
    readonly keys: readonly K[],
    readonly bad: Bad,
    readonly stack: string,
  ) {
    for (const [k, v] of Object.entries(raw)) {
      if (!(keys as readonly string[]).includes(k)) bad(this.key(k), unknownKeyMessage(path, k, v, keys, raw, stack));
    }
  }

  /** The full key path of one of this object's keys. */
  key(k: string): string {
    return this.path ? `${this.path}.${k}` : k;
  }

  /** The raw value; undefined when unset (missing, null or ""). */
  value(k: K): unknown {
    const v = this.raw[k];
    return v === undefined || v === null || v === "" ? undefined : v;
  }

  has(k: K): boolean {
    return this.value(k) !== undefined;
  }

  /** Another object with its own declared keys (a nested object, or an element of a list). */
  section<J extends string>(path: string, v: unknown, keys: readonly J[], example?: string): Section<J> {
    let o: unknown = v;
    if (typeof v === "string" && /^\s*\{/.test(v)) {
      try { o = JSON.parse(v); } catch { o = v; }
    }
    if (o === undefined || o === null || o === "") o = {};
    if (typeof o !== "object" || Array.isArray(o)) {
      this.bad(path, `must be an object${example ? ` like ${example}` : ""}, got ${JSON.stringify(v).slice(0, 80)}`);
      o = {};
    }
    return new Section(path, o as Raw, keys, this.bad, this.stack);
  }

  /** The nested object under `k`. */
  child<J extends string>(k: K, keys: readonly J[], example?: string): Section<J> {
    return this.section(this.key(k), this.raw[k], keys, example);
  }

  str(k: K, def?: string): string | undefined {
    const v = this.value(k);
    if (v === undefined) return def;
    if (typeof v !== "string") {
      this.bad(this.key(k), `must be a string, got ${JSON.stringify(v)}`);
      return def;
    }
    return v;
  }

  /** An integer in [min, max]; from a string only when it is plain decimal digits. */
  num(k: K, def: number, min: number, max: number): number {
    const v = this.value(k);
    if (v === undefined) return def;
    const n = typeof v === "number" ? v : typeof v === "string" && DECIMAL.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      this.bad(this.key(k), `must be an integer between ${min} and ${max} in decimal digits only (no sign, point, exponent, 0x or spaces), got ${JSON.stringify(v)}`);
      return def;
    }
    return n;
  }

  bool(k: K, def: boolean): boolean {
    const v = this.value(k);
    if (v === undefined) return def;
    if (v === true || v === "true") return true;
    if (v === false || v === "false") return false;
    this.bad(this.key(k), `must be true or false, got ${JSON.stringify(v)}`);
    return def;
  }

  strList(k: K): string[] {
    const v = this.raw[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      this.bad(this.key(k), `must be a list of strings, got ${JSON.stringify(v)}`);
      return [];
    }
    return v as string[];
  }
}
