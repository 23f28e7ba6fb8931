// Drift: what a refresh found on the servers and in the cloud against what the last deploy left.
// Pure functions over the engine's step records; `aistudio drift` (cli/drift.ts) prints them.
export interface DriftItem {
  kind: "server" | "cloud" | "pending";
  /** Resource name, e.g. aistudio-nginx */
  resource: string;
  /** What drifted: a file path, a unit, "ufw", or the changed property. */
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

/** The subject of a probe line: the file path, "unit nginx", "listen 127.0.0.1:8000", … */
function subject(line: string): string {
  const m = /^(unit \S+|listen \S+|enabled \S+|package \S+|other sites|current|certbot\.timer|Status|Default|To|\S+)/.exec(line);
  return m ? m[1] : line;
}

/** Line-level difference of two probe outputs, grouped by subject. */
export function probeDiff(expected: string, found: string): { item: string; expected: string; found: string }[] {
  const e = expected.split("\n").filter(Boolean);
  const f = found.split("\n").filter(Boolean);
  const gone = e.filter((l) => !f.includes(l));
  const added = f.filter((l) => !e.includes(l));
  const items = new Map<string, { expected: string[]; found: string[] }>();
  for (const l of gone) {
    const k = subject(l);
    items.set(k, { expected: [...(items.get(k)?.expected ?? []), l], found: items.get(k)?.found ?? [] });
  }
  for (const l of added) {
    const k = subject(l);
    items.set(k, { expected: items.get(k)?.expected ?? [], found: [...(items.get(k)?.found ?? []), l] });
  }
  return [...items.entries()].map(([item, v]) => ({
    item,
    expected: v.expected.map((l) => l.replace(item, "").trim()).join("; ") || "(absent)",
    found: v.found.map((l) => l.replace(item, "").trim()).join("; ") || "(absent)",
  }));
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

