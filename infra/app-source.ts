// Reads the app's source directory (the edge: file I/O happens here, not in provision/).
import * as fs from "node:fs";
import * as path from "node:path";
import type { AppFile } from "../provision/app";

const SKIP = new Set([".git", "__pycache__", "node_modules", ".venv", "venv", ".pytest_cache", "media"]);

export function readAppDir(dir: string): AppFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`aistudio:app.dir: ${dir} is not a directory / 应用源码目录不存在. Set it to the backend's source directory.`);
  }
  const out: AppFile[] = [];
  const walk = (abs: string, rel: string) => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (SKIP.has(e.name) || e.name.endsWith(".pyc")) continue;
      const a = path.join(abs, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(a, r);
      else if (e.isFile()) out.push({ rel: r, content: fs.readFileSync(a, "utf8"), mode: fs.statSync(a).mode & 0o111 ? "0755" : "0644" });
    }
  };
  walk(dir, "");
  if (out.length === 0) throw new Error(`aistudio:app.dir: ${dir} is empty`);
  return out;
}

/** The directory holding Pulumi.yaml (the program itself runs from dist/). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}
