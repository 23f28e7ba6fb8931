// The mini program lint on config.js files written in each real-world style (issue #13 item 9):
// CommonJS, ES modules, an env map, functions and getters per environment. Clean ones have no
// findings at all; broken ones exactly the expected findings; what cannot be determined is a warning.
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { evaluateStringConstant, lintMiniprogram, type Finding } from "../../checks/miniprogram";
import { tempMiniprograms } from "../support/miniprogram";

const FIXTURES = path.resolve(__dirname, "../fixtures/miniprogram");
const opts = { domain: "photogooo.com" };
const lint = (dir: string): Finding[] => lintMiniprogram(dir, opts);
const brief = (fs: Finding[]): Array<[string, string, string, string | undefined]> =>
  fs.map((f) => [f.level, f.code, `${f.file}:${f.line}`, f.found]);

/** Writes a throwaway mini program; files maps relative path → content. */
const { miniprogram, cleanup } = tempMiniprograms("lint-mp-styles-");
afterAll(cleanup);

const STYLES = ["commonjs", "esm", "envmap", "functions"];

describe("each config.js style, clean", () => {
  it.each(STYLES)("%s-clean: no findings at all", (style) => {
    expect(lint(path.join(FIXTURES, `${style}-clean`))).toEqual([]);
  });
});

describe("each config.js style, broken: exactly the expected findings", () => {
  const expected: Record<string, ReturnType<typeof brief>> = {
    commonjs: [
      ["error", "url-trailing-slash", "config.js:10", "https://photogooo.com/api/miniprogram/"],
      ["error", "url-missing-tld", "config.js:13", "https://photogooo/media"],
      ["error", "wx-uploadfile-wrong-host", "pages/index/index.js:14", "https://upload.example.com/avatar"],
    ],
    esm: [
      ["error", "url-port", "config.js:10", "https://photogooo.com:8443/api"],
      ["error", "url-http", "config.js:12", "http://photogooo.com/media"],
      ["error", "wx-request-http", "pages/index/index.js:8", "http://photogooo.com/api/works/"],
      ["error", "wx-downloadfile-wrong-host", "pages/index/index.js:14", "https://cdn.example.com/works/…"],
    ],
    envmap: [
      ["error", "env-not-production", "config.js:2", "development"],
      ["error", "url-wrong-path", "config.js:17", "https://photogooo.com/api/mini-program"],
      ["error", "wx-request-wrong-host", "pages/index/index.js:8", "https://api.photogooo.com/api/works/"],
    ],
    functions: [
      ["error", "url-port", "config.js:12", "https://photogooo.com:8443/api"],
      ["warning", "url-unresolved", "config.js:27", "wx.getStorageSync('mediaUrl') || `${BASE}/media`"],
      ["error", "wx-downloadfile-wrong-host", "pages/index/index.js:14", "https://img.example.net/works/…"],
    ],
  };
  it.each(STYLES)("%s-broken", (style) => {
    expect(brief(lint(path.join(FIXTURES, `${style}-broken`)))).toEqual(expected[style]);
  });

  it("a network call names the API and the 合法域名 list its host would need, in both languages", () => {
    const [upload] = lint(path.join(FIXTURES, "commonjs-broken")).filter((f) => f.code.startsWith("wx-"));
    expect(upload.message.en).toContain("wx.uploadFile");
    expect(upload.message.en).toContain("uploadFile合法域名 list");
    expect(upload.message.en).toContain("add https://upload.example.com to that list");
    expect(upload.message.zh).toContain("uploadFile合法域名");
    const download = lint(path.join(FIXTURES, "esm-broken")).find((f) => f.code === "wx-downloadfile-wrong-host");
    expect(download?.message.en).toContain("downloadFile合法域名");
  });
});

const GOOD = {
  baseUrl: "'https://photogooo.com'",
  apiBaseUrl: "'https://photogooo.com/api/miniprogram'",
  apiUrl: "'https://photogooo.com/api'",
  staticUrl: "'https://photogooo.com/static'",
  mediaUrl: "'https://photogooo.com/media'",
};
const GOOD_PROD = `{ ${Object.entries(GOOD).map(([k, v]) => `${k}: ${v}`).join(", ")} }`;

describe("more ways of writing the same config", () => {
  it.each([
    ["exports.x = …", Object.entries(GOOD).map(([k, v]) => `exports.${k} = ${v};`).join("\n")],
    [
      "export { … as … } and export function getX()",
      `const B = 'https://photogooo.com';\nconst api = B + '/api';\nexport { B as baseUrl, api as apiUrl };\n` +
        `export function getApiBaseUrl() { return api + '/miniprogram'; }\n` +
        `export const staticUrl = B + '/static', mediaUrl = B + '/media';\n`,
    ],
    [
      "an env map built by a factory, spread into the export",
      `const ENV = 'production';\nconst make = (b) => ({ baseUrl: b, apiBaseUrl: b + '/api/miniprogram', apiUrl: b + '/api', staticUrl: b + '/static', mediaUrl: b + '/media' });\n` +
        `const envs = { development: make('http://localhost:8000'), production: make('https://photogooo.com') };\nmodule.exports = { ENV, ...envs[ENV] };\n`,
    ],
    [
      "env entries as their own constants, selected by a switch",
      `const ENV = 'production';\nconst development = { baseUrl: 'http://10.0.0.8:8000' };\nconst production = ${GOOD_PROD};\n` +
        `function pick(env) {\n  switch (env) {\n    case 'development': return development;\n    default: return production;\n  }\n}\nmodule.exports = pick(ENV);\n`,
    ],
    [
      "the WeChat envVersion instead of ENV",
      `const isRelease = wx.getAccountInfoSync().miniProgram.envVersion === 'release';\nconst B = isRelease ? 'https://photogooo.com' : 'http://localhost:8000';\n` +
        `module.exports = { baseUrl: B, apiBaseUrl: \`\${B}/api/miniprogram\`, apiUrl: \`\${B}/api\`, staticUrl: \`\${B}/static\`, mediaUrl: \`\${B}/media\` };\n`,
    ],
    [
      "getters reading this",
      `const ENV = 'production';\nmodule.exports = {\n  get baseUrl() { if (ENV === 'development') { return 'http://localhost:8000'; } return 'https://photogooo.com'; },\n` +
        `  get apiUrl() { return this.baseUrl + '/api'; },\n  get apiBaseUrl() { return \`\${this.apiUrl}/miniprogram\`; },\n` +
        `  staticUrl: 'https://photogooo.com/static',\n  mediaUrl: 'https://photogooo.com/media'\n};\n`,
    ],
  ])("%s: no findings", (_name, source) => {
    expect(lint(miniprogram({ "config.js": source }))).toEqual([]);
  });
});

describe("what cannot be determined is a warning with its line, never an error", () => {
  it("keys assigned after the literal are read; one set inside a function is a warning", () => {
    const f = lint(
      miniprogram({
        "config.js": `const B = 'https://photogooo.com';\nconst config = { baseUrl: B };\nconfig.apiUrl = B + '/api';\n` +
          `config['apiBaseUrl'] = B + '/api/miniprogram';\nObject.assign(config, { staticUrl: B + '/static' });\n` +
          `function useCdn(url) {\n  config.mediaUrl = url;\n}\nmodule.exports = config;\n`,
      }),
    );
    expect(brief(f)).toEqual([["warning", "url-unresolved", "config.js:7", "config.mediaUrl = url"]]);
  });

  it("an env map keyed dev / prod: the prod entry is the production config, the dev entry is not read as it", () => {
    const f = lint(
      miniprogram({
        "config.js": `const ENV = 'prod';\nconst envs = {\n  dev: { baseUrl: 'http://localhost:8000' },\n  prod: ${GOOD_PROD}\n};\nmodule.exports = envs[ENV];\n`,
      }),
    );
    // The contract still wants ENV = 'production'.
    expect(brief(f)).toEqual([["error", "env-not-production", "config.js:1", "prod"]]);
  });

  it("a production object filled by a spread that cannot be read", () => {
    const f = lint(miniprogram({ "config.js": `const remote = loadRemote();\nmodule.exports = {\n  ...remote\n};\n` }));
    expect(f.map((x) => [x.level, x.code, x.line])).toEqual(Array(5).fill(["warning", "url-unresolved", 3]));
  });

  it("an export that cannot be read", () => {
    const f = lint(miniprogram({ "config.js": `const ENV = 'production';\nmodule.exports = require('./env/' + ENV);\n` }));
    expect(f.map((x) => [x.level, x.code, x.line])).toEqual([["warning", "production-config-unresolved", 2]]);
  });

  it("a function whose result depends on run time", () => {
    const f = lint(
      miniprogram({
        "config.js": `function getBaseUrl() {\n  return wx.getStorageSync('base');\n}\nmodule.exports = { getBaseUrl, apiBaseUrl: ${GOOD.apiBaseUrl}, apiUrl: ${GOOD.apiUrl}, staticUrl: ${GOOD.staticUrl}, mediaUrl: ${GOOD.mediaUrl} };\n`,
      }),
    );
    expect(f.map((x) => [x.level, x.code, x.line])).toEqual([["warning", "url-unresolved", 2]]);
  });
});

describe("other environments and network calls", () => {
  it("a constant the development branch shares with live code is still reported", () => {
    const f = lint(
      miniprogram({
        "config.js": `const ENV = 'production';\nconst LOCAL = 'http://localhost:8000';\nconst B = ENV === 'production' ? 'https://photogooo.com' : LOCAL;\n` +
          `module.exports = { baseUrl: B, apiBaseUrl: B + '/api/miniprogram', apiUrl: B + '/api', staticUrl: B + '/static', mediaUrl: B + '/media', debugUrl: LOCAL };\n`,
      }),
    );
    expect(brief(f)).toEqual([["error", "hardcoded-url-http", "config.js:2", "http://localhost:8000"]]);
  });

  it("with ENV chosen at run time, other environments keep the old rule: localhost fine, other hosts warnings", () => {
    const f = lint(
      miniprogram({
        "config.js": `const ENV = wx.getAccountInfoSync().miniProgram.envVersion === 'release' ? 'production' : 'development';\n` +
          `const envs = {\n  development: { baseUrl: 'http://localhost:8000' },\n  trial: { baseUrl: 'https://trial.photogooo.com' },\n  production: ${GOOD_PROD}\n};\nmodule.exports = envs[ENV];\n`,
      }),
    );
    expect(brief(f)).toEqual([
      ["warning", "env-dynamic", "config.js:1", expect.any(String)],
      ["warning", "hardcoded-url-wrong-host", "config.js:4", "https://trial.photogooo.com"],
    ]);
  });

  it("uni. and Taro. calls are checked like wx.; config URLs and the allowlist are fine", () => {
    const f = lint(
      miniprogram({
        "config.js": `module.exports = ${GOOD_PROD};\n`,
        "api.js": `import Taro from '@tarojs/taro';\nconst config = require('./config');\n` +
          `uni.uploadFile({ url: \`https://files.example.org/\${name}\`, filePath });\n` +
          `Taro.request({ url: ok ? config.apiUrl + '/x' : 'https://47.96.1.2/x' });\n` +
          `wx.request({ url: config.apiUrl + '/upload' });\nwx.request({ url: 'https://api.weixin.qq.com/sns/jscode2session' });\n` +
          `wx.downloadFile({ url: 'https://photogooo.com/media/a.png' });\n`,
      }),
    );
    expect(brief(f)).toEqual([
      ["error", "wx-uploadfile-wrong-host", "api.js:3", "https://files.example.org/…"],
      ["error", "wx-request-ip", "api.js:4", "https://47.96.1.2/x"],
    ]);
    expect(f[0].message.en).toContain("uni.uploadFile");
    expect(f[1].message.en).toContain("Taro.request");
  });

  it("a page's branch on config.ENV or envVersion is read as production", () => {
    const f = lint(
      miniprogram({
        "config.js": `const ENV = 'production';\nmodule.exports = { ENV, ...${GOOD_PROD} };\n`,
        "pages/a.js": `const config = require('../config');\nconst { envVersion } = wx.getAccountInfoSync().miniProgram;\n` +
          `const A = config.ENV === 'production' ? config.apiUrl : 'http://localhost:8000/api';\n` +
          `if (envVersion !== 'release') { wx.request({ url: 'http://192.168.1.5:8000/debug' }); }\n`,
      }),
    );
    expect(f).toEqual([]);
  });
});

describe("the evaluator", () => {
  const src = `
    const ENV = 'production';
    const HOSTS = { development: 'http://localhost', production: 'https://p.com' };
    const H = HOSTS[ENV];
    const IS_PROD = ENV === 'production' && !false;
    const C = IS_PROD ? H + '/c' : 'x';
    function f(a, b = '/d') { if (a) { return H + b; } return 'no'; }
    const D = f(true);
    const E = f(false);
    const sw = (e) => { switch (e) { case 'development': return 'dev'; case 'production': case 'staging': return 'prod'; } };
    const S = sw(ENV);
    const O = { get g() { return this.h + '/g'; }, h: H };
    const G = O.g;
    const N = process.env.X || 'fallback';
    const R = f(unknownThing);
  `;
  it.each([
    ["H", "https://p.com"],
    ["C", "https://p.com/c"],
    ["D", "https://p.com/d"],
    ["E", "no"],
    ["S", "prod"],
    ["G", "https://p.com/g"],
  ])("resolves %s", (name, value) => {
    expect(evaluateStringConstant(src, name)).toBe(value);
  });
  it.each(["N", "R"])("leaves %s unresolved", (name) => {
    expect(evaluateStringConstant(src, name)).toBeUndefined();
  });
});
