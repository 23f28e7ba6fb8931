// The app contract and the smoke test, from config: what a backend team provides (entry point,
// port, Debian packages, data directory, admin paths) and what proves a deploy works.
import type { Raw } from "./config";

/** The value readers parseConfig hands to its sections (each reports problems under a key path). */
export interface Readers {
  bad: (key: string, message: string) => void;
  str: (o: Raw, key: string, path: string, def?: string) => string | undefined;
  num: (o: Raw, key: string, path: string, def: number, min: number, max: number) => number;
  strList: (o: Raw, key: string, path: string) => string[];
}

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

function urlPath(r: Readers, o: Raw, key: string, path: string, def: string): string {
  const v = r.str(o, key, path, def) ?? def;
  if (!/^\/[^\s?#]*$/.test(v)) r.bad(path, `must be a path starting with / (no host, query or spaces), got ${JSON.stringify(v)}`);
  return v;
}

export function parseAppContract(a: Raw, r: Readers, sshPort: number): AppContract {
  const wsgi = r.str(a, "wsgi", "app.wsgi", DEFAULT_WSGI) ?? DEFAULT_WSGI;
  if (!wsgi.includes(":")) r.bad("app.wsgi", `must be module.path:callable (e.g. photostudio.wsgi:app), got ${JSON.stringify(wsgi)}: the part after ':' names the WSGI callable`);
  else if (!WSGI.test(wsgi)) r.bad("app.wsgi", `must be a Python module path and a callable name, e.g. photostudio.wsgi:app, got ${JSON.stringify(wsgi)}`);

  const port = r.num(a, "port", "app.port", DEFAULT_APP_PORT, 1, 65535);
  if (RESERVED_PORTS[port]) r.bad("app.port", `${port} is taken by ${RESERVED_PORTS[port]}; gunicorn needs a port of its own on 127.0.0.1 (default 8000)`);
  else if (port === sshPort) r.bad("app.port", `${port} is the server's SSH port (server.port)`);
  else if (port < 1024) r.bad("app.port", `${port} is a privileged port; gunicorn runs as an unprivileged user: use 1024–65535 (default 8000)`);

  const packages = r.strList(a, "packages", "app.packages");
  for (const p of packages) {
    if (!DEB_PACKAGE.test(p)) r.bad("app.packages", `${JSON.stringify(p)} is not a Debian package name (lowercase letters, digits, + - .), e.g. libjpeg62-turbo or python3-pil`);
  }

  const dataDir = (r.str(a, "dataDir", "app.dataDir", DEFAULT_DATA_DIR) ?? DEFAULT_DATA_DIR).replace(/\/+$/, "");
  if (!/^\/(var\/lib|srv)\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(dataDir) || dataDir.split("/").some((s) => s === "." || s === "..")) {
    r.bad("app.dataDir", `must be a directory under /var/lib or /srv (e.g. /var/lib/aistudio), got ${JSON.stringify(dataDir)}`);
  } else if (dataDir === "/srv/aistudio" || dataDir.startsWith("/srv/aistudio/")) {
    r.bad("app.dataDir", "must not be inside /srv/aistudio, where the releases live (they are replaced on every deploy); use /var/lib/aistudio");
  }

  const ad = (a["admin"] && typeof a["admin"] === "object" && !Array.isArray(a["admin"]) ? a["admin"] : {}) as Raw;
  if (a["admin"] !== undefined && ad !== a["admin"]) r.bad("app.admin", `must be an object like {"loginPath":"/admin/login","apiPath":"/admin/api/miniprogram-config"}, got ${JSON.stringify(a["admin"])}`);
  const admin = {
    loginPath: urlPath(r, ad, "loginPath", "app.admin.loginPath", "/admin/login"),
    apiPath: urlPath(r, ad, "apiPath", "app.admin.apiPath", "/admin/api/miniprogram-config"),
  };
  return { wsgi, port, packages, dataDir, admin };
}

function isScalar(v: unknown): v is JsonScalar {
  return v === null || ["string", "number", "boolean"].includes(typeof v);
}

export function parseSmokeRequest(sm: Raw, r: Readers, visitPath: string): SmokeRequest {
  const method = (r.str(sm, "method", "smoke.method", "POST") ?? "POST").toUpperCase();
  if (!METHODS.includes(method)) r.bad("smoke.method", `must be one of ${METHODS.join(", ")}, got ${JSON.stringify(method)}`);
  const path = urlPath(r, sm, "path", "smoke.path", visitPath);
  let body: string | undefined;
  const b = sm["body"];
  if (b !== undefined && b !== null && b !== "") {
    let parsed: unknown = b;
    if (typeof b === "string") {
      try { parsed = JSON.parse(b); } catch { parsed = undefined; r.bad("smoke.body", `must be JSON, got ${JSON.stringify(b).slice(0, 80)}`); }
    }
    if (parsed !== undefined) body = JSON.stringify(parsed);
  }
  let expect: Record<string, JsonScalar> = { success: true };
  const e = sm["expect"];
  if (e !== undefined && e !== null && e !== "") {
    let parsed: unknown = e;
    if (typeof e === "string") {
      try { parsed = JSON.parse(e); } catch { parsed = undefined; }
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || Object.keys(parsed).length === 0 || !Object.values(parsed).every(isScalar)) {
      r.bad("smoke.expect", `must be an object of top-level JSON fields and the values they must have, e.g. {"success": true}, got ${JSON.stringify(e).slice(0, 80)}`);
    } else {
      expect = parsed as Record<string, JsonScalar>;
    }
  }
  return { method, path, body, expect };
}

export function parseSmokeProbes(sm: Raw, r: Readers): SmokeProbe[] {
  const v = sm["probes"];
  if (v === undefined || v === null) return [];
  const list = typeof v === "string" ? (() => { try { return JSON.parse(v); } catch { return undefined; } })() : v;
  if (!Array.isArray(list)) {
    r.bad("smoke.probes", `must be a list like [{"path":"/admin/login","status":200,"type":"html"}], got ${JSON.stringify(v).slice(0, 80)}`);
    return [];
  }
  return list.flatMap((p: unknown, i: number) => {
    const key = `smoke.probes[${i}]`;
    if (!p || typeof p !== "object" || Array.isArray(p)) {
      r.bad(key, `must be an object with path, status and type, got ${JSON.stringify(p)}`);
      return [];
    }
    const o = p as Raw;
    const method = (r.str(o, "method", `${key}.method`, "GET") ?? "GET").toUpperCase();
    if (!METHODS.includes(method)) r.bad(`${key}.method`, `must be one of ${METHODS.join(", ")}, got ${JSON.stringify(method)}`);
    const path = urlPath(r, o, "path", `${key}.path`, "");
    const status = r.num(o, "status", `${key}.status`, 200, 100, 599);
    const type = r.str(o, "type", `${key}.type`, "json") ?? "json";
    if (type !== "json" && type !== "html") r.bad(`${key}.type`, `must be json or html, got ${JSON.stringify(type)}`);
    return [{ method, path, status, type: type as "json" | "html" }];
  });
}
