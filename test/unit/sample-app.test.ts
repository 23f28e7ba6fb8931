// The Python backends' own unit tests (stdlib unittest, the WSGI apps called in-process) as part of
// the unit run: the sample app (provision/sample-app, entry app:application) and the fixture with
// another layout (test/fixtures/backends/photostudio, entry photostudio.wsgi:app, needs python3-yaml).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readAppDir } from "../../infra/app-source";

const ROOT = path.resolve(__dirname, "../..");
// Debian's interpreter, as on the server (the fixture's yaml is Debian's python3-yaml); else PATH's
const PYTHON = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const BACKENDS = [
  { dir: "provision/sample-app", atLeast: 30 },
  { dir: "test/fixtures/backends/photostudio", atLeast: 8, needs: "yaml" },
];

function run(args: string[]): { code: number | null; output: string } {
  const r = spawnSync(PYTHON, args, {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  return { code: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

describe.each(BACKENDS)("python unittest: $dir", ({ dir, atLeast, needs }) => {
  it("passes", { timeout: 120_000 }, () => {
    if (needs) {
      const probe = run(["-c", `import ${needs}`]);
      expect(probe.code, `${PYTHON} cannot import ${needs}: run scripts/prereqs.sh as root (Debian package python3-${needs})\n${probe.output}`).toBe(0);
    }
    const r = run(["-m", "unittest", "discover", "-s", dir, "-p", "test_*.py", "-v"]);
    expect(r.code, r.output).toBe(0);
    // Python 3.11 exits 0 when discovery finds nothing: count what ran
    const ran = Number(/^Ran (\d+) tests? /m.exec(r.output)?.[1] ?? 0);
    expect(ran, r.output).toBeGreaterThanOrEqual(atLeast);
  });

  it("its test files are not shipped to the server", () => {
    const shipped = readAppDir(path.join(ROOT, dir)).map((f) => f.rel);
    expect(shipped.filter((rel) => /(^|\/)test_[^/]*\.py$/.test(rel))).toEqual([]);
    expect(shipped.length).toBeGreaterThan(0);
  });
});

describe("the backends' layouts", () => {
  const shipped = (dir: string) => readAppDir(path.join(ROOT, dir)).map((f) => f.rel).sort();

  it("sample app: app.py beside its modules, the migrate entry, requirements naming only gunicorn", () => {
    expect(shipped("provision/sample-app")).toEqual(expect.arrayContaining(["app.py", "admin.py", "migrate.py", "requirements.txt"]));
    const req = fs.readFileSync(path.join(ROOT, "provision/sample-app/requirements.txt"), "utf8");
    expect(req.split("\n").filter((l) => l.trim() && !l.startsWith("#"))).toEqual(["gunicorn"]);
  });

  it("photostudio: a package with wsgi.py and its settings.yaml, no app.py at the top", () => {
    const files = shipped("test/fixtures/backends/photostudio");
    expect(files).toEqual(expect.arrayContaining(["photostudio/__init__.py", "photostudio/wsgi.py", "photostudio/settings.yaml"]));
    expect(files).not.toContain("app.py");
  });
});
