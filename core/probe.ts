// The probe contract: what a step's probe prints (provision/prelude.ts writes it on the server) and
// the one parser every consumer reads it with — drift (checks/drift.ts), the build fingerprint
// (provision/fingerprint.ts) and the doctor's server facts.
//
// One record per line, fields separated by a tab:
//
//   KIND <TAB> SUBJECT [<TAB> KEY=VALUE]...        e.g.  unit<TAB>nginx<TAB>enabled=enabled<TAB>active=active
//
// KIND is a lowercase word (file, unit, package, ufw, link, site, listen, cert, key, renewal…),
// SUBJECT names the item (a path, a unit, a package, a ufw rule), KEY is a word and VALUE is
// everything after the first "=". SUBJECT and VALUE are escaped: backslash, tab, newline and
// carriage return are written \\ \t \n \r, so no value can break a record or start another one.
// A line that is not a record is kept as a record of kind "raw" (subject: the line), so a broken
// probe or an error message shows up as drift instead of disappearing.

export type Fields = Record<string, string>;

/** An item a step manages: `kind subject`, e.g. `file /etc/nginx/sites-available/aistudio.conf`. */
export interface ProbeItem {
  kind: string;
  subject: string;
}

export interface ProbeRecord extends ProbeItem {
  fields: Fields;
}

/** The kind of a line that is not a record. */
export const RAW = "raw";

const KIND = /^[a-z][a-z0-9-]*$/;
const KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const ESC: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
const UNESC: Record<string, string> = { "\\": "\\", t: "\t", n: "\n", r: "\r" };

export function escapeField(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => ESC[c]);
}

export function unescapeField(s: string): string {
  return s.replace(/\\([\\tnr])/g, (_, c: string) => UNESC[c]);
}

/** `kind:subject`: what identifies an item across two probe outputs. */
export function recordKey(r: ProbeItem): string {
  return `${r.kind}:${r.subject}`;
}

/** How a drift report names an item: `kind subject`. */
export function itemName(r: ProbeItem): string {
  return `${r.kind} ${r.subject}`;
}

/** One record as one line (no newline). Throws on a kind or key the parser would not read back. */
export function serializeRecord(r: ProbeRecord): string {
  if (!KIND.test(r.kind)) throw new Error(`probe record: bad kind ${JSON.stringify(r.kind)}`);
  if (r.subject === "") throw new Error(`probe record ${r.kind}: empty subject`);
  const fields = Object.entries(r.fields).map(([k, v]) => {
    if (!KEY.test(k)) throw new Error(`probe record ${r.kind} ${r.subject}: bad key ${JSON.stringify(k)}`);
    return `${k}=${escapeField(v)}`;
  });
  return [r.kind, escapeField(r.subject), ...fields].join("\t");
}

export function serializeProbe(records: ProbeRecord[]): string {
  return records.map(serializeRecord).join("\n");
}

/** One line as a record; anything else becomes a `raw` record carrying the line. */
export function parseLine(line: string): ProbeRecord {
  const raw: ProbeRecord = { kind: RAW, subject: line, fields: {} };
  const parts = line.split("\t");
  if (parts.length < 2 || !KIND.test(parts[0]) || parts[1] === "") return raw;
  const fields: Fields = {};
  for (const p of parts.slice(2)) {
    const eq = p.indexOf("=");
    const k = p.slice(0, eq);
    if (eq < 0 || !KEY.test(k) || k in fields) return raw;
    fields[k] = unescapeField(p.slice(eq + 1));
  }
  return { kind: parts[0], subject: unescapeField(parts[1]), fields };
}

/** Every non-empty line of a probe's output, in order. */
export function parseProbe(text: string): ProbeRecord[] {
  return text.split("\n").filter((l) => l.trim() !== "").map(parseLine);
}

/** Records in a stable order with their fields sorted: the same state always gives the same text. */
export function canonicalProbe(records: ProbeRecord[]): string {
  const sorted = records
    .map((r) => ({ ...r, fields: Object.fromEntries(Object.entries(r.fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) }))
    .map((r) => ({ key: recordKey(r), line: serializeRecord(r) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  return sorted.map((r) => r.line).join("\n");
}

/** One item that differs: its fields on each side, undefined where the item is absent. */
export interface ItemDiff extends ProbeItem {
  expected?: Fields;
  found?: Fields;
}

function sameFields(a: Fields, b: Fields): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && a[k] === b[k]);
}

/** Items keyed by `kind:subject`; a repeated key is told apart by its occurrence (`#2`, `#3`…). */
function byKey(records: ProbeRecord[]): Map<string, ProbeRecord> {
  const seen = new Map<string, number>();
  const out = new Map<string, ProbeRecord>();
  for (const r of records) {
    const k = recordKey(r);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    out.set(n === 1 ? k : `${k}#${n}`, r);
  }
  return out;
}

/**
 * Per item, what the expected records say against what was found: items whose fields differ, items
 * on one side only, and every `raw` line found (a probe that prints something other than records is
 * broken, even when it was broken the same way at apply). Expected order first, then new items.
 */
export function diffRecords(expected: ProbeRecord[], found: ProbeRecord[]): ItemDiff[] {
  const e = byKey(expected);
  const f = byKey(found);
  const out: ItemDiff[] = [];
  for (const k of new Set([...e.keys(), ...f.keys()])) {
    const a = e.get(k), b = f.get(k);
    const item = (a ?? b)!;
    if (a && b && sameFields(a.fields, b.fields) && item.kind !== RAW) continue;
    out.push({ kind: item.kind, subject: item.subject, expected: a?.fields, found: b?.fields });
  }
  return out;
}
