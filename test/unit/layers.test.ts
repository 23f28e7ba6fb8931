// The architecture as a test: every import points down the layers, and no source file grows past
// ~400 lines. Layers, lowest first:
//   core/       SSH, constants, bilingual text, probe records, paths — imports nothing of ours
//   provision/  pure step builders                      → core
//   checks/     smoke, TLS, WeChat, doctor, drift, lint  → core
//   infra/      the Pulumi program (config, components, runner) → provision, checks, core
//   stacks/     driving stacks (Automation API)          → infra, checks, core
//   cli/        argument parsing and printing            → stacks, checks, core
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const LAYERS = ["core", "provision", "checks", "infra", "stacks", "cli"] as const;
type Layer = (typeof LAYERS)[number];
/** What each layer may import (besides itself). provision and checks are peers that never meet. */
const ALLOWED: Record<Layer, Layer[]> = {
  core: [],
  provision: ["core"],
  checks: ["core"],
  infra: ["core", "provision", "checks"],
  stacks: ["core", "provision", "checks", "infra"],
  cli: ["core", "checks", "stacks"],
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

/** Relative module specifiers a file imports (static, dynamic, require, export … from). */
export function importsOf(text: string): string[] {
  const specs = new Set<string>();
  for (const m of text.matchAll(/(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g)) {
    const s = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (s.startsWith(".")) specs.add(s);
  }
  return [...specs];
}

const files = LAYERS.flatMap((l) => sources(l).map((f) => ({ file: f, layer: l as Layer })));

describe("layers", () => {
  it("finds the source files of every layer", () => {
    for (const l of LAYERS) expect(files.some((f) => f.layer === l), l).toBe(true);
  });

  it("every import points down (no arrow back up, no import between peers)", () => {
    const bad: string[] = [];
    for (const { file, layer } of files) {
      for (const spec of importsOf(fs.readFileSync(path.join(ROOT, file), "utf8"))) {
        const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec));
        const to = target.split(path.sep)[0] as Layer;
        if (to === layer) continue;
        if (!(LAYERS as readonly string[]).includes(to) || !ALLOWED[layer].includes(to)) bad.push(`${file} → ${target} (${layer} may import ${ALLOWED[layer].join(", ") || "nothing of ours"})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("the import scanner sees every form of import (so the check above can fail)", () => {
    const text = [
      'import { a } from "../infra/config";',
      'import type { B } from "../stacks/driver";',
      'export { c } from "../cli/args";',
      'const d = require("../checks/smoke");',
      'const e = await import("../provision/app");',
      'import "../core/paths";',
      'import * as fs from "node:fs";',
    ].join("\n");
    expect(importsOf(text).sort()).toEqual(["../checks/smoke", "../cli/args", "../core/paths", "../infra/config", "../provision/app", "../stacks/driver"]);
  });

  it("no source file is over ~400 lines (tests and fixtures excepted)", () => {
    const long = [...files.map((f) => f.file), ...sources("bench"), ...sources("policy").filter((f) => !f.endsWith(".test.ts"))]
      .map((f) => ({ f, n: fs.readFileSync(path.join(ROOT, f), "utf8").split("\n").length }))
      .filter((x) => x.n > 420)
      .map((x) => `${x.f}: ${x.n} lines`);
    expect(long).toEqual([]);
  });
});
