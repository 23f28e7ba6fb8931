// Where the project lives, found the same way from source (vitest) and from dist/ (compiled).
import * as fs from "node:fs";
import * as path from "node:path";

let cached: string | undefined;

/** The project root: the nearest ancestor of this module holding Pulumi.yaml. */
export function repoRoot(): string {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return (cached = dir);
    if (path.dirname(dir) === dir) throw new Error(`aistudio: no Pulumi.yaml above ${__dirname}`);
  }
}
