import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateStringConstant, lintMiniprogram, type Finding } from "../../checks/miniprogram";
import { runLintMiniprogram, type FindingJson } from "../../cli/lint-miniprogram";
import { compileProgram } from "../support/compile";
import { tempMiniprograms } from "../support/miniprogram";

const REPO = path.resolve(__dirname, "../..");
const FIXTURES = path.join(REPO, "test/fixtures/miniprogram");
const fixture = (name: string): string => path.join(FIXTURES, name);
const opts = { domain: "photogooo.com" };

const errors = (fs: Finding[]): Finding[] => fs.filter((f) => f.level === "error");
const codes = (fs: Finding[]): string[] => [...new Set(fs.map((f) => f.code))].sort();

/** Writes a throwaway mini program; files maps relative path → content. */
const { miniprogram, cleanup } = tempMiniprograms("lint-mp-");
afterAll(cleanup);

const GOOD_PROD = `{
    baseUrl: 'https://photogooo.com',
    apiBaseUrl: 'https://photogooo.com/api/miniprogram',
    apiUrl: 'https://photogooo.com/api',
    staticUrl: 'https://photogooo.com/static',
    mediaUrl: 'https://photogooo.com/media'
  }`;

describe("lintMiniprogram on the fixtures", () => {
  it("clean: no findings at all", () => {
    expect(lintMiniprogram(fixture("clean"), opts)).toEqual([]);
  });

  it("broken-env: env-not-production at config.js:3", () => {
    const f = lintMiniprogram(fixture("broken-env"), opts);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      level: "error",
      code: "env-not-production",
      file: "config.js",
      line: 3,
      expected: "production",
      found: "development",
    });
    expect(f[0].message.zh).toContain("production");
  });

  it("broken-port: url-port on every value built from BASE", () => {
    const f = lintMiniprogram(fixture("broken-port"), opts);
    expect(codes(f)).toEqual(["url-port"]);
    expect(f.map((x) => [x.line, x.found])).toEqual([
      [17, "https://photogooo.com:443"],
      [18, "https://photogooo.com:443/api/miniprogram"],
      [19, "https://photogooo.com:443/api"],
      [20, "https://photogooo.com:443/static"],
    ]);
    expect(f.every((x) => x.level === "error" && x.file === "config.js")).toBe(true);
    expect(f[2].expected).toBe("https://photogooo.com/api");
  });

  it("broken-tld: the hard-coded https://photogooo in utils/userGenerator.js", () => {
    const f = lintMiniprogram(fixture("broken-tld"), opts);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      level: "error",
      code: "hardcoded-url-missing-tld",
      file: "utils/userGenerator.js",
      line: 15,
    });
    expect(f[0].found).toMatch(/^https:\/\/photogooo\/media\/avatars\/default-/);
    expect(f[0].expected).toMatch(/^https:\/\/photogooo\.com\/media\/avatars\/default-/);
    expect(f[0].message.en).toContain("did you mean 'photogooo.com'");
    expect(f[0].message.zh).toContain("缺少顶级域名");
  });

  it("broken-http: url-http on mediaUrl", () => {
    const f = lintMiniprogram(fixture("broken-http"), opts);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      level: "error",
      code: "url-http",
      file: "config.js",
      line: 21,
      expected: "https://photogooo.com/media",
      found: "http://photogooo.com/media",
    });
  });

  it("broken-path: url-wrong-path on apiBaseUrl", () => {
    const f = lintMiniprogram(fixture("broken-path"), opts);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      level: "error",
      code: "url-wrong-path",
      file: "config.js",
      line: 18,
      expected: "https://photogooo.com/api/miniprogram",
      found: "https://photogooo.com/api/mini",
    });
  });

  it("broken-ip: url-ip, and the BASE literal is not reported twice", () => {
    const f = lintMiniprogram(fixture("broken-ip"), opts);
    expect(codes(f)).toEqual(["url-ip"]);
    expect(f).toHaveLength(4);
    expect(f[0]).toMatchObject({ file: "config.js", line: 17, found: "https://47.96.1.2" });
  });

  it("urlcheck-off: a warning, no error", () => {
    const f = lintMiniprogram(fixture("urlcheck-off"), opts);
    expect(errors(f)).toEqual([]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      level: "warning",
      code: "urlcheck-disabled",
      file: "project.private.config.json",
      line: 5,
    });
    expect(f[0].message.en).toContain("phones always check");
  });

  it("a different --domain makes the clean fixture fail everywhere", () => {
    const f = lintMiniprogram(fixture("clean"), { domain: "example.com" });
    expect(codes(errors(f))).toEqual(["url-wrong-host"]);
    expect(errors(f)).toHaveLength(5);
  });
});

describe("constant evaluator", () => {
  const src = `
    const BASE = 'https://photogooo.com';
    const API = \`\${BASE}/api\`;
    const MP = BASE + '/api' + '/miniprogram';
    const NESTED = \`\${API}/v\${1 + 1}/\` + "x";
    const PORT = 'http://localhost:' + 8000;
    const URLS = Object.freeze({ media: BASE + '/media', env: { prod: API } });
    const FROM_OBJ = URLS.media;
    const FROM_ELEM = URLS['env'].prod + '/x';
    const PAREN = (BASE) + ('/static');
    const DYN = BASE + getPath();
    let REASSIGNED = 'a'; REASSIGNED = 'b';
    let STABLE = 'https://s';
    const CYCLE_A = CYCLE_B + 'a'; const CYCLE_B = CYCLE_A + 'b';
  `;
  it.each([
    ["BASE", "https://photogooo.com"],
    ["API", "https://photogooo.com/api"],
    ["MP", "https://photogooo.com/api/miniprogram"],
    ["NESTED", "https://photogooo.com/api/v2/x"],
    ["PORT", "http://localhost:8000"],
    ["FROM_OBJ", "https://photogooo.com/media"],
    ["FROM_ELEM", "https://photogooo.com/api/x"],
    ["PAREN", "https://photogooo.com/static"],
    ["STABLE", "https://s"],
  ])("resolves %s", (name, value) => {
    expect(evaluateStringConstant(src, name)).toBe(value);
  });
  it.each(["DYN", "REASSIGNED", "CYCLE_A", "MISSING"])("leaves %s unresolved", (name) => {
    expect(evaluateStringConstant(src, name)).toBeUndefined();
  });
});

describe("config.js variants", () => {
  it("the literal style from the troubleshooting guide passes", () => {
    const dir = miniprogram({
      "config.js": `const ENV = 'production'; // or 'development'
const config = {
  development: { baseUrl: 'http://localhost:8000', apiBaseUrl: 'http://localhost:8000/api/miniprogram', apiUrl: 'http://localhost:8000/api', staticUrl: 'http://localhost:8000/static', mediaUrl: 'http://localhost:8000/media' },
  production: ${GOOD_PROD}
};
module.exports = { ENV, ...config[ENV], config };
`,
    });
    expect(lintMiniprogram(dir, opts)).toEqual([]);
  });

  it("finds utils/config.js and config/index.js, preferring config.js", () => {
    const flat = `module.exports = ${GOOD_PROD};\n`;
    expect(lintMiniprogram(miniprogram({ "utils/config.js": flat }), opts)).toEqual([]);
    expect(lintMiniprogram(miniprogram({ "config/index.js": flat }), opts)).toEqual([]);
    const both = miniprogram({
      "config.js": `module.exports = { baseUrl: 'https://photogooo' };\n`,
      "utils/config.js": flat,
    });
    expect(lintMiniprogram(both, opts).every((f) => f.file === "config.js")).toBe(true);
  });

  it("no config file is an error", () => {
    const f = lintMiniprogram(miniprogram({ "app.js": "App({});\n" }), opts);
    expect(f.map((x) => [x.level, x.code])).toEqual([["error", "config-not-found"]]);
  });

  it("diagnoses each kind of bad production value", () => {
    const dir = miniprogram({
      "config.js": `const ENV = 'production';
const config = {
  production: {
    baseUrl: 'https://photogooo.com/',
    apiBaseUrl: 'https://photogooo/api/miniprogram',
    apiUrl: 'https://www.photogooo.com/api',
    staticUrl: 'http://localhost:8000/static',
    mediaUrl: cdn()
  }
};
module.exports = config[ENV];
`,
    });
    const f = lintMiniprogram(dir, opts);
    expect(f.map((x) => [x.code, x.line, x.level])).toEqual([
      ["url-trailing-slash", 4, "error"],
      ["url-missing-tld", 5, "error"],
      ["url-wrong-host", 6, "error"],
      ["url-http", 7, "error"],
      ["url-unresolved", 8, "warning"],
    ]);
    // Every problem of a value is spelled out, most important first.
    expect(f[3].message.en).toMatch(/http:\/\/.*localhost.*':8000'/);
  });

  it("reports a missing key and a non-production selection via property access", () => {
    const dir = miniprogram({
      "config.js": `const envs = { production: { baseUrl: 'https://photogooo.com', apiUrl: 'https://photogooo.com/api', staticUrl: 'https://photogooo.com/static', mediaUrl: 'https://photogooo.com/media' }, development: {} };
module.exports = envs.development;
`,
    });
    const f = lintMiniprogram(dir, opts);
    expect(f.map((x) => [x.code, x.line])).toEqual([
      ["env-not-production", 2],
      ["url-missing", 1],
    ]);
    expect(f[1].expected).toBe("https://photogooo.com/api/miniprogram");
  });

  it("ENV chosen at run time is a warning", () => {
    const dir = miniprogram({
      "config.js": `const ENV = wx.getAccountInfoSync().miniProgram.envVersion === 'release' ? 'production' : 'development';
const config = { production: ${GOOD_PROD} };
module.exports = config[ENV];
`,
    });
    const f = lintMiniprogram(dir, opts);
    expect(f.map((x) => [x.level, x.code, x.line])).toEqual([["warning", "env-dynamic", 1]]);
  });

  it("a syntax error in config.js is an error with its line", () => {
    const dir = miniprogram({ "config.js": `const ENV = 'production';\nconst config = {\n  production: { baseUrl: 'https://photogooo.com' \n` });
    const f = lintMiniprogram(dir, opts);
    expect(f[0]).toMatchObject({ code: "config-syntax-error", level: "error", file: "config.js" });
  });
});

describe("hard-coded URL scan", () => {
  const CONFIG = `module.exports = ${GOOD_PROD};\n`;

  it("flags other hosts, honours the allowlist, and ignores comments and skipped directories", () => {
    const dir = miniprogram({
      "config.js": CONFIG,
      "pages/a/a.js": `// https://comment.example.com is only a comment
const ok = 'https://api.weixin.qq.com/sns/jscode2session';
const img = 'https://res.wx.qq.com/a.png';
const own = \`https://photogooo.com/static/\${name}\`;
const cdn = 'https://cdn.example.com/logo.png';
const ip = "https://10.0.0.5/x";
const local = 'http://localhost:8000/api';
`,
      "node_modules/lib/index.js": `module.exports = 'https://evil.example.com';\n`,
      "miniprogram_npm/lib/index.js": `module.exports = 'https://evil.example.com';\n`,
      "dist/bundle.js": `module.exports = 'https://evil.example.com';\n`,
      "utils/types.ts": `export const U: string = 'https://photogooo:8443/api';\n`,
    });
    const f = lintMiniprogram(dir, opts);
    expect(f.map((x) => [x.file, x.line, x.code])).toEqual([
      ["pages/a/a.js", 5, "hardcoded-url-wrong-host"],
      ["pages/a/a.js", 6, "hardcoded-url-ip"],
      ["pages/a/a.js", 7, "hardcoded-url-http"],
      ["utils/types.ts", 1, "hardcoded-url-missing-tld"],
    ]);
    expect(lintMiniprogram(dir, { ...opts, allowHosts: ["cdn.example.com"] }).map((x) => x.line)).toEqual([6, 7, 1]);
  });

  it("evaluates concatenations and templates before judging the host", () => {
    const dir = miniprogram({
      "config.js": CONFIG,
      "u.js": `const A = 'https://photogooo' + '.com/fine';
const HOST = 'photogooo';
const B = \`https://\${HOST}/x\`;
const C = 'https://' + host + '/unknown-host';
const D = 'https://api.' + domain;
const E = 'https://photogooo' + path;
const F = 'prefix ' + wrap('https://inner.example.org/' + 'z');
const G = \`multi
line https://192.168.1.2/p\`;
`,
    });
    const f = lintMiniprogram(dir, opts);
    expect(f.map((x) => [x.line, x.code, x.found])).toEqual([
      [3, "hardcoded-url-missing-tld", "https://photogooo/x"],
      [6, "hardcoded-url-missing-tld", "https://photogooo…"],
      [7, "hardcoded-url-wrong-host", "https://inner.example.org/z"],
      [9, "hardcoded-url-ip", "https://192.168.1.2/p"],
    ]);
  });

  it("localhost is fine inside the development config (and its constants), not elsewhere in config.js", () => {
    const dir = miniprogram({
      "config.js": `const ENV = 'production';
const DEV = 'http://localhost:8000';
const config = {
  development: { baseUrl: DEV, apiBaseUrl: DEV + '/api/miniprogram', mediaUrl: 'http://127.0.0.1:8000/media' },
  production: ${GOOD_PROD}
};
const debugUrl = 'http://localhost:9000/debug';
module.exports = { ENV, ...config[ENV], debugUrl };
`,
    });
    const f = lintMiniprogram(dir, opts);
    expect(f.map((x) => [x.line, x.code])).toEqual([[13, "hardcoded-url-http"]]);
  });
});

describe("runLintMiniprogram (in process)", () => {
  const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = "";
    let err = "";
    const code = await runLintMiniprogram(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
    return { code, out, err };
  };

  it("clean: exit 0, every line a ✓, Chinese first then English", async () => {
    const r = await run([fixture("clean")]);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/[✗!] /);
    const lines = r.out.split("\n");
    const i = lines.findIndex((l) => l.startsWith("✓ ENV"));
    expect(lines[i]).toBe("✓ ENV 为 'production'");
    expect(lines[i + 1]).toBe("  ENV is 'production'");
  });

  it("--lang en / zh print one language", async () => {
    const en = await run([fixture("broken-env"), "--lang", "en"]);
    expect(en.code).toBe(1);
    expect(en.out).toContain("✗ [env-not-production] ENV is 'development'");
    expect(en.out).not.toMatch(/[\u4e00-\u9fff]/);
    const zh = await run([fixture("broken-env"), "--lang=zh"]);
    expect(zh.out).toContain("✗ [env-not-production] ENV 为 'development'");
    expect(zh.out).not.toContain("expected");
  });

  it("urlcheck-off: ! warning, exit 0", async () => {
    const r = await run([fixture("urlcheck-off"), "--lang", "en"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("! [urlcheck-disabled]");
    expect(r.out).toContain("project.private.config.json:5");
  });

  it("--json prints the findings array", async () => {
    const r = await run([fixture("broken-path"), "--json"]);
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.out) as FindingJson[];
    expect(parsed).toEqual(
      lintMiniprogram(fixture("broken-path"), opts).map(({ message, ...f }) => ({
        ...f,
        message_en: message.en,
        message_zh: message.zh,
      })),
    );
    expect(JSON.parse((await run([fixture("clean"), "--json"])).out)).toEqual([]);
  });

  it("--domain is honoured", async () => {
    const r = await run([fixture("clean"), "--domain", "example.com", "--json"]);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.out) as FindingJson[])[0].expected).toBe("https://example.com");
  });

  it("usage errors exit 2", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run([fixture("clean"), "--bogus"])).code).toBe(2);
    expect((await run([fixture("clean"), "--lang", "fr"])).code).toBe(2);
    expect((await run([path.join(FIXTURES, "does-not-exist")])).code).toBe(2);
    expect((await run(["--help"])).code).toBe(0);
  });

  it("an unknown option exits 2 and names the option", async () => {
    for (const [arg, name] of [["--bogus", "--bogus"], ["--bogus=1", "--bogus"], ["-x", "-x"]]) {
      const r = await run([fixture("clean"), arg]);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toContain(`unknown option ${name}`);
    }
  });

  it("an option without its value exits 2 and names the option", async () => {
    for (const argv of [[fixture("clean"), "--domain"], [fixture("clean"), "--domain="], [fixture("clean"), "--allow-host"]]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`${argv[1].replace("=", "")} needs a value`);
    }
  });

  it("--help and -h exit 0 and list every option", async () => {
    for (const flag of ["--help", "-h"]) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.err).toBe("");
      for (const option of ["--domain", "--json", "--lang", "--allow-host", "-h, --help"]) expect(r.out).toContain(option);
    }
  });

  it("--json keeps the message_en / message_zh keys, in order", async () => {
    const r = await run([fixture("broken-env"), "--json"]);
    expect(Object.keys((JSON.parse(r.out) as FindingJson[])[0])).toEqual([
      "level", "file", "line", "code", "message_en", "message_zh", "expected", "found",
    ]);
  });

  it("--allow-host may be given more than once", async () => {
    const dir = miniprogram({
      "config.js": `module.exports = ${GOOD_PROD};\n`,
      "a.js": "const a = 'https://cdn.example.com/x';\nconst b = 'https://img.example.org/y';\n",
    });
    expect((await run([dir, "--allow-host", "cdn.example.com"])).code).toBe(1);
    expect((await run([dir, "--allow-host", "cdn.example.com", "--allow-host=img.example.org"])).code).toBe(0);
  });
});

describe("bin/aistudio.js (compiled CLI)", () => {
  const bin = path.join(REPO, "bin/aistudio.js");
  beforeAll(compileProgram, 300_000);
  const aistudio = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: REPO, encoding: "utf8" });

  it("lint-miniprogram broken-tld: exit 1, names utils/userGenerator.js and the line", () => {
    const r = aistudio("lint-miniprogram", "test/fixtures/miniprogram/broken-tld");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("utils/userGenerator.js:15");
    expect(r.stdout).toContain("✗ [hardcoded-url-missing-tld]");
  });

  it("lint-miniprogram clean: exit 0", () => {
    const r = aistudio("lint-miniprogram", "test/fixtures/miniprogram/clean", "--lang", "en");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Result: 0 error(s), 0 warning(s) — PASS");
  });

  it("--help lists the commands; an unknown command exits 2 with the list", () => {
    const help = aistudio("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("lint-miniprogram");
    const bad = aistudio("frobnicate");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown command 'frobnicate'");
    expect(bad.stderr).toContain("lint-miniprogram");
  });
});
