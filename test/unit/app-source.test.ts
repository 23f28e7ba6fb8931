// App sources at the edge: a directory or a tar archive becomes the same list of files (so the same
// release id), and the config accepts exactly one source.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readAppDir, readAppArchive, readAppSource } from "../../infra/app-source";
import { releaseId } from "../../provision/app";
import { ConfigError, parseConfig } from "../../infra/config";
import { localRaw } from "./fixtures";

const SAMPLE = path.resolve(__dirname, "../../provision/sample-app");

describe("app sources", () => {
  it("an archive of the sample app yields the same files and release id as the directory", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-archive-test-"));
    try {
      const tgz = path.join(tmp, "backend.tgz");
      // with a top-level directory, as `git archive --prefix` or `tar czf x.tgz sample-app` make it
      execFileSync("tar", ["-czf", tgz, "-C", path.dirname(SAMPLE), path.basename(SAMPLE)]);
      const fromDir = readAppDir(SAMPLE);
      const fromArchive = readAppArchive(tgz);
      expect(fromArchive.map((f) => f.rel).sort()).toEqual(fromDir.map((f) => f.rel).sort());
      const opts = (files: typeof fromDir) => ({ source: { kind: "files" as const, files }, workers: 1, wsgi: "app:application", preStart: [], env: {} });
      expect(releaseId(opts(fromArchive))).toBe(releaseId(opts(fromDir)));
      expect(readAppSource({ kind: "archive", location: "backend.tgz" }, tmp).length).toBe(fromDir.length);
      expect(readAppSource({ kind: "git", location: "https://git.example.com/x.git" }, tmp)).toEqual([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("a missing archive or directory is an error naming the key", () => {
    expect(() => readAppArchive("/nonexistent/backend.tgz")).toThrow(/aistudio:app\.archive/);
    expect(() => readAppDir("/nonexistent/dir")).toThrow(/aistudio:app\.dir/);
  });

  it("config: exactly one of app.dir, app.archive, app.git; archives must be tar files", () => {
    const bad = (app: Record<string, unknown>) => {
      try {
        parseConfig(localRaw({ app }), "local");
        return [];
      } catch (e) {
        return (e as ConfigError).problems.map((p) => p.key);
      }
    };
    expect(bad({ dir: "a", archive: "b.tgz" })).toEqual(["app"]);
    expect(bad({ archive: "backend.zip" })).toEqual(["app.archive"]);
    expect(bad({ archive: "backend.tar.gz" })).toEqual([]);
    expect(parseConfig(localRaw({ app: { archive: "release.tgz" } }), "local").app.source).toEqual({ kind: "archive", location: "release.tgz" });
  });
});
