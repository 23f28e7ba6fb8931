// Reads the app's source directory (the edge: file I/O happens here, not in provision/).
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { execFileSync } from "node:child_process";
import type { AppFile } from "../provision/app";
import { ConfigError } from "./config";

const SKIP = new Set([".git", "__pycache__", "node_modules", ".venv", "venv", ".pytest_cache", "media"]);
/** Python unit tests (test_*.py) stay home: the server never runs them, and editing one is no new release. */
const TEST_FILE = /^test_.*\.py$/;

/** A problem of the app's source, reported with the config's (key app.dir or app.archive). */
const sourceError = (key: string, message: string) => new ConfigError([{ key, message }]);

/** The app's files under dir; `key` and `label` name it in a problem (an archive's are its own). */
export function readAppDir(dir: string, key = "app.dir", label = dir): AppFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw sourceError(key, `${dir} is not a directory / 应用源码目录不存在. Set app.dir to the backend's source directory, relative to Pulumi.yaml (\`pulumi config set --path aistudio:app.dir provision/sample-app\`)`);
  }
  const out: AppFile[] = [];
  const walk = (abs: string, rel: string) => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (SKIP.has(e.name) || e.name.endsWith(".pyc") || TEST_FILE.test(e.name)) continue;
      const a = path.join(abs, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(a, r);
      else if (e.isFile()) out.push({ rel: r, content: fs.readFileSync(a, "utf8"), mode: fs.statSync(a).mode & 0o111 ? "0755" : "0644" });
    }
  };
  walk(dir, "");
  if (out.length === 0) throw sourceError(key, `${label} holds no files of the app (tests and caches are not shipped) / 应用源码为空`);
  return out;
}


/** An app archive (.tar, .tar.gz, .tgz) is unpacked locally and shipped like a directory. */
export function readAppArchive(file: string): AppFile[] {
  if (!fs.existsSync(file)) throw sourceError("app.archive", `${file} does not exist / 应用压缩包不存在: build it (e.g. \`git archive -o backend.tar.gz HEAD\`) or fix the path, relative to Pulumi.yaml`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-app-"));
  try {
    try {
      execFileSync("tar", ["-xf", file, "-C", tmp, "--no-same-owner"], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      throw sourceError("app.archive", `${file} does not unpack with tar (${String((e as { stderr?: Buffer }).stderr ?? e).trim().split("\n")[0]})`);
    }
    // an archive with a single top-level directory is unwrapped
    const top = fs.readdirSync(tmp);
    const root = top.length === 1 && fs.statSync(path.join(tmp, top[0])).isDirectory() ? path.join(tmp, top[0]) : tmp;
    return readAppDir(root, "app.archive", file);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The app's files for a dir or archive source (git sources are cloned on the server). */
export function readAppSource(source: { kind: string; location: string }, root: string): AppFile[] {
  if (source.kind === "dir") return readAppDir(path.resolve(root, source.location));
  if (source.kind === "archive") return readAppArchive(path.resolve(root, source.location));
  return [];
}
