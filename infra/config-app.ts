// The app and the smoke test, from config: where the backend's code comes from, the contract a
// backend team provides (entry point, port, Debian packages, data directory, admin paths), its
// environment, and what proves a deploy works.
import { isIP } from "node:net";
import { VISIT_PATH } from "../core/constants";
import type { AppSource } from "./config";
import type { Bad, Section } from "./config-section";

export const APP_KEYS = ["dir", "archive", "git", "ref", "workers", "preStart", "pipIndexUrl", "wsgi", "port", "packages", "dataDir", "admin"] as const;
export type AppKey = (typeof APP_KEYS)[number];
const ADMIN_KEYS = ["loginPath", "apiPath"] as const;
export const SMOKE_KEYS = ["connectTo", "timeoutSeconds", "path", "method", "body", "expect", "probes"] as const;
export type SmokeKey = (typeof SMOKE_KEYS)[number];
const PROBE_KEYS = ["method", "path", "status", "type"] as const;

export interface AppContract {
  /** WSGI entry point, `module.path:callable`. */
  wsgi: string;
  /** gunicorn listens on 127.0.0.1:<port>; never opened in ufw or the security group. */
  port: number;
  /** Debian/Ubuntu packages the backend needs, installed by the packages step. */
  packages: string[];
  /** The one writable place for the app's own data (database file, uploads); media is <dataDir>/media. */
  dataDir: string;
  /** The admin backend: its login page and the JSON API the 小程序配置 page saves through. */
  admin: { loginPath: string; apiPath: string };
}

export type { JsonScalar, SmokeProbe, SmokeRequest } from "../checks/visit";
import type { JsonScalar, SmokeProbe, SmokeRequest } from "../checks/visit";

export const DEFAULT_WSGI = "app:application";
export const DEFAULT_APP_PORT = 8000;
export const DEFAULT_DATA_DIR = "/var/lib/aistudio";
const WSGI = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$/;
const DEB_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
const RESERVED_PORTS: Record<number, string> = { 22: "sshd", 80: "nginx (HTTP)", 443: "nginx (HTTPS)" };

function urlPath<K extends string>(o: Section<K>, key: K, def: string): string {
  const v = o.str(key, def) ?? def;
  if (!/^\/[^\s?#]*$/.test(v)) o.bad(o.key(key), `must be a path starting with / (no host, query or spaces), got ${JSON.stringify(v)}`);
  return v;
}

/** Where the code comes from: exactly one of app.dir, app.archive, app.git (+ app.ref). */
export function parseAppSource(a: Section<AppKey>): AppSource {
  const srcDir = a.str("dir");
  const git = a.str("git");
  const archive = a.str("archive");
  if ([srcDir, git, archive].filter(Boolean).length > 1) a.bad("app", "set exactly one of app.dir, app.archive or app.git");
  else if (archive) {
    if (!/\.(tar|tar\.gz|tgz)$/.test(archive)) a.bad("app.archive", `must be a .tar, .tar.gz or .tgz file, got ${JSON.stringify(archive)}`);
    return { kind: "archive", location: archive };
  } else if (git) {
    if (!/^(https:\/\/|git@|ssh:\/\/|file:\/\/)/.test(git)) a.bad("app.git", `must be a git URL (https://, ssh://, git@…), got ${JSON.stringify(git)}`);
    return { kind: "git", location: git, ref: a.str("ref", "main") };
  } else if (srcDir) {
    return { kind: "dir", location: srcDir };
  } else {
    a.bad("app.dir", "the app source is missing: set app.dir to the backend's directory (for the sample: `pulumi config set --path aistudio:app.dir provision/sample-app`), app.archive (a .tar.gz of it) or app.git + app.ref");
  }
  return { kind: "dir", location: "" };
}

const SAFE_ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** aistudio:appEnv (secret): a JSON object of one-line strings. */
export function parseAppEnv(envRaw: unknown, bad: Bad): Record<string, string> {
  const env: Record<string, string> = {};
  if (envRaw === undefined || envRaw === null) return env;
  let parsed: unknown = envRaw;
  if (typeof envRaw === "string") {
    try { parsed = JSON.parse(envRaw); } catch { parsed = undefined; }
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    bad("appEnv", "must be a JSON object of strings: `pulumi config set --secret aistudio:appEnv '{\"SECRET_KEY\":\"…\"}'`");
    return env;
  }
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (!SAFE_ENV_KEY.test(k)) bad("appEnv", `has an invalid variable name ${JSON.stringify(k)}`);
    else if (typeof v !== "string" || /[\n\r\0]/.test(v)) bad("appEnv", `value of ${k} must be a one-line string`);
    else env[k] = v;
  }
  return env;
}

export function parseAppContract(a: Section<AppKey>, sshPort: number): AppContract {
  const bad = a.bad;
  const wsgi = a.str("wsgi", DEFAULT_WSGI) ?? DEFAULT_WSGI;
  if (!wsgi.includes(":")) bad("app.wsgi", `must be module.path:callable (e.g. photostudio.wsgi:app), got ${JSON.stringify(wsgi)}: the part after ':' names the WSGI callable`);
  else if (!WSGI.test(wsgi)) bad("app.wsgi", `must be a Python module path and a callable name, e.g. photostudio.wsgi:app, got ${JSON.stringify(wsgi)}`);

  const port = a.num("port", DEFAULT_APP_PORT, 1, 65535);
  if (RESERVED_PORTS[port]) bad("app.port", `${port} is taken by ${RESERVED_PORTS[port]}; gunicorn needs a port of its own on 127.0.0.1 (default 8000)`);
  else if (port === sshPort) bad("app.port", `${port} is the server's SSH port (server.port)`);
  else if (port < 1024) bad("app.port", `${port} is a privileged port; gunicorn runs as an unprivileged user: use 1024–65535 (default 8000)`);

  const packages = a.strList("packages");
  for (const p of packages) {
    if (!DEB_PACKAGE.test(p)) bad("app.packages", `${JSON.stringify(p)} is not a Debian package name (lowercase letters, digits, + - .), e.g. libjpeg62-turbo or python3-pil`);
  }

  const dataDir = (a.str("dataDir", DEFAULT_DATA_DIR) ?? DEFAULT_DATA_DIR).replace(/\/+$/, "");
  if (!/^\/(var\/lib|srv)\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(dataDir) || dataDir.split("/").some((s) => s === "." || s === "..")) {
    bad("app.dataDir", `must be a directory under /var/lib or /srv (e.g. /var/lib/aistudio), got ${JSON.stringify(dataDir)}`);
  } else if (dataDir === "/srv/aistudio" || dataDir.startsWith("/srv/aistudio/")) {
    bad("app.dataDir", "must not be inside /srv/aistudio, where the releases live (they are replaced on every deploy); use /var/lib/aistudio");
  }

  const ad = a.child("admin", ADMIN_KEYS, '{"loginPath":"/admin/login","apiPath":"/admin/api/miniprogram-config"}');
  const admin = {
    loginPath: urlPath(ad, "loginPath", "/admin/login"),
    apiPath: urlPath(ad, "apiPath", "/admin/api/miniprogram-config"),
  };
  return { wsgi, port, packages, dataDir, admin };
}

function isScalar(v: unknown): v is JsonScalar {
  return v === null || ["string", "number", "boolean"].includes(typeof v);
}

export function parseSmokeRequest(sm: Section<SmokeKey>, visitPath: string): SmokeRequest {
  const method = (sm.str("method", "POST") ?? "POST").toUpperCase();
  if (!METHODS.includes(method)) sm.bad("smoke.method", `must be one of ${METHODS.join(", ")}, got ${JSON.stringify(method)}`);
  const path = urlPath(sm, "path", visitPath);
  let body: string | undefined;
  const b = sm.value("body");
  if (b !== undefined) {
    let parsed: unknown = b;
    if (typeof b === "string") {
      try { parsed = JSON.parse(b); } catch { parsed = undefined; sm.bad("smoke.body", `must be JSON, got ${JSON.stringify(b).slice(0, 80)}`); }
    }
    if (parsed !== undefined) body = JSON.stringify(parsed);
  }
  let expect: Record<string, JsonScalar> = { success: true };
  const e = sm.value("expect");
  if (e !== undefined) {
    let parsed: unknown = e;
    if (typeof e === "string") {
      try { parsed = JSON.parse(e); } catch { parsed = undefined; }
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || Object.keys(parsed).length === 0 || !Object.values(parsed).every(isScalar)) {
      sm.bad("smoke.expect", `must be an object of top-level JSON fields and the values they must have, e.g. {"success": true}, got ${JSON.stringify(e).slice(0, 80)}`);
    } else {
      expect = parsed as Record<string, JsonScalar>;
    }
  }
  return { method, path, body, expect };
}

export function parseSmokeProbes(sm: Section<SmokeKey>): SmokeProbe[] {
  const v = sm.raw["probes"];
  if (v === undefined || v === null) return [];
  const list = typeof v === "string" ? (() => { try { return JSON.parse(v); } catch { return undefined; } })() : v;
  if (!Array.isArray(list)) {
    sm.bad("smoke.probes", `must be a list like [{"path":"/admin/login","status":200,"type":"html"}], got ${JSON.stringify(v).slice(0, 80)}`);
    return [];
  }
  return list.flatMap((p: unknown, i: number) => {
    const key = `smoke.probes[${i}]`;
    if (!p || typeof p !== "object" || Array.isArray(p)) {
      sm.bad(key, `must be an object with path, status and type, got ${JSON.stringify(p)}`);
      return [];
    }
    const o = sm.section(key, p, PROBE_KEYS);
    const method = (o.str("method", "GET") ?? "GET").toUpperCase();
    if (!METHODS.includes(method)) o.bad(`${key}.method`, `must be one of ${METHODS.join(", ")}, got ${JSON.stringify(method)}`);
    const path = urlPath(o, "path", "");
    const status = o.num("status", 200, 100, 599);
    const type = o.str("type", "json") ?? "json";
    if (type !== "json" && type !== "html") o.bad(`${key}.type`, `must be json or html, got ${JSON.stringify(type)}`);
    return [{ method, path, status, type: type as "json" | "html" }];
  });
}

/** aistudio:smoke: where the smoke test connects, how long it retries, its request and probes. */
export function parseSmoke(sm: Section<SmokeKey>) {
  const smoke = {
    connectTo: sm.str("connectTo"),
    timeoutSeconds: sm.num("timeoutSeconds", 60, 1, 900),
    request: parseSmokeRequest(sm, VISIT_PATH),
    probes: parseSmokeProbes(sm),
  };
  if (smoke.connectTo && !isIP(smoke.connectTo)) sm.bad("smoke.connectTo", `must be an IP address, got ${JSON.stringify(smoke.connectTo)}`);
  return smoke;
}
