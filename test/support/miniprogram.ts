// Throwaway mini programs for the lint's unit tests: each call writes its files to a fresh temp dir.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** `miniprogram(files)` writes relative path → content and returns the dir; `cleanup()` removes them all. */
export function tempMiniprograms(prefix: string): {
  miniprogram: (files: Record<string, string>) => string;
  cleanup: () => void;
} {
  const dirs: string[] = [];
  return {
    miniprogram: (files) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(dir);
      for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      return dir;
    },
    cleanup: () => {
      for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}
