// Drift: what a refresh found on the servers and in the cloud against what the last deploy left.
// Pure functions over the engine's step records; `aistudio drift` (cli/drift.ts) prints them.
// Server items are compared as probe records (core/probe.ts), never by parsing probe text here.
import { Fields, RAW, diffRecords, itemName, parseProbe } from "../core/probe";

export interface DriftItem {
  kind: "server" | "cloud" | "pending";
  /** Resource name, e.g. aistudio-nginx */
  resource: string;
  /** What drifted: a server item as `kind subject` (e.g. `unit nginx`, see core/probe.ts), or the changed cloud property. */
  item: string;
  expected: string;
  found: string;
}

export interface StepJson {
  op: string;
  urn: string;
  oldState?: { type?: string; outputs?: Record<string, unknown> };
  newState?: { type?: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> };
}

/** The fields named in `keys` as `key=value` words. */
function showFields(f: Fields, keys: string[]): string {
  return keys.filter((k) => k in f).map((k) => `${k}=${f[k]}`).join(" ");
}

/**
 * The items of two probe outputs that differ, named `kind subject`. Each side shows the fields that
 * differ; "(absent)" when the item is not there at all, "(k unset)" when its fields are not.
 */
export function probeDiff(expected: string, found: string): { item: string; expected: string; found: string }[] {
  return diffRecords(parseProbe(expected), parseProbe(found)).map((d) => {
    if (d.kind === RAW) {
      // a line that is not a probe record: the probe is broken (or failed) on the server
      return d.found
        ? { item: RAW, expected: "a probe record (kind<TAB>subject<TAB>key=value…)", found: d.subject }
        : { item: RAW, expected: d.subject, found: "(absent)" };
    }
    const item = itemName(d);
    const { expected: e, found: f } = d;
    if (!e || !f) {
      const side = (x?: Fields) => (x ? showFields(x, Object.keys(x)) || "(present)" : "(absent)");
      return { item, expected: side(e), found: side(f) };
    }
    const keys = [...new Set([...Object.keys(e), ...Object.keys(f)])].filter((k) => e[k] !== f[k]);
    const unset = `(${keys.join(", ")} unset)`;
    return { item, expected: showFields(e, keys) || unset, found: showFields(f, keys) || unset };
  });
}

/**
 * Drift from `pulumi preview --refresh --json`: the steps that would change something carry the
 * refreshed state in oldState. A RemoteStep whose refreshed probe (observed) differs from what
 * its last apply left (expected) drifted on the server; other resources that would be updated,
 * replaced or re-created drifted in the cloud. Updates caused only by new code are "pending".
 */
export function driftFromPreview(steps: StepJson[]): DriftItem[] {
  const out: DriftItem[] = [];
  for (const s of steps) {
    if (["same", "refresh", "read"].includes(s.op)) continue;
    const name = s.urn.split("::").pop() ?? s.urn;
    const type = s.newState?.type ?? s.oldState?.type ?? "";
    if (type.startsWith("pulumi:pulumi:Stack") || type.startsWith("pulumi:providers:") || type.startsWith("aistudio:")) continue;
    const o = s.oldState?.outputs;
    if (o && typeof o.expected === "string" && typeof o.observed === "string") {
      if (o.expected !== o.observed) {
        for (const d of probeDiff(o.expected, o.observed)) out.push({ kind: "server", resource: name, ...d });
      } else {
        out.push({ kind: "pending", resource: name, item: "code/config change not deployed yet", expected: "", found: "" });
      }
      continue;
    }
    if (type === "pulumi-nodejs:dynamic:Resource") continue; // the smoke test re-runs after any change
    if (s.op === "create" && !s.oldState) {
      out.push({ kind: "cloud", resource: name, item: type, expected: "exists", found: "missing (deleted outside Pulumi, or new in code)" });
      continue;
    }
    const n = s.newState?.inputs ?? {};
    const old = o ?? {};
    const changed = Object.keys(n).filter((k) => !k.startsWith("__") && JSON.stringify(old[k]) !== JSON.stringify(n[k]));
    out.push({
      kind: "cloud",
      resource: name,
      item: `${type} (${s.op})`,
      expected: changed.map((k) => `${k}=${JSON.stringify(n[k])}`).join(", ") || s.op,
      found: changed.map((k) => `${k}=${JSON.stringify(old[k])}`).join(", ") || "",
    });
  }
  return out;
}

export function formatTable(items: DriftItem[]): string {
  if (items.length === 0) return "✓ no drift / 无漂移: the servers and cloud resources match the last deploy";
  const rows = items.map((i) => [i.kind, i.resource, i.item, i.expected, i.found]);
  const head = ["kind", "resource", "item / 项目", "expected / 期望", "found / 实际"];
  const clip = (s: string) => (s.length > 60 ? s.slice(0, 57) + "..." : s);
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => clip(r[c]).length)));
  const line = (r: string[]) => r.map((x, c) => clip(x).padEnd(w[c])).join("  ");
  return [
    `✗ drift / 漂移: ${items.length} item(s) differ from the last deploy`,
    line(head),
    line(w.map((n) => "-".repeat(n))),
    ...rows.map(line),
    "",
    "repair / 修复: npm run pulumi -- up --refresh --stack <stack>",
  ].join("\n");
}

