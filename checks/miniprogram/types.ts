// The mini program lint's public types and the constants its rules are written against.
import type { Bilingual } from "../../core/text";

export interface Finding {
  level: "error" | "warning";
  /** Path relative to the linted directory, with forward slashes. */
  file: string;
  /** 1-based line; 0 when the finding is about a file as a whole (e.g. it is missing). */
  line: number;
  /** Short stable id, e.g. "env-not-production", "url-port", "hardcoded-url-missing-tld". */
  code: string;
  message: Bilingual;
  expected?: string;
  found?: string;
}

export interface LintOptions {
  /** The mini program's request domain, e.g. "photogooo.com". */
  domain: string;
  /** Extra hosts allowed in hard-coded URLs, on top of DEFAULT_ALLOWED_HOSTS. */
  allowHosts?: string[];
}

/** One line of the checklist: passes (✓) when it has no findings. */
export interface CheckResult {
  id: string;
  title: Bilingual;
  findings: Finding[];
}

export interface LintReport {
  dir: string;
  domain: string;
  configFile?: string;
  scannedFiles: string[];
  checks: CheckResult[];
  findings: Finding[];
}

export const DEFAULT_DOMAIN = "photogooo.com";

/** Where config.js may live, in order of preference. */
export const CONFIG_CANDIDATES = ["config.js", "utils/config.js", "config/index.js"];

/** Keys of the production config and the path each must have under https://<domain>. */
export const REQUIRED_URLS: ReadonlyArray<readonly [key: string, path: string]> = [
  ["baseUrl", ""],
  ["apiBaseUrl", "/api/miniprogram"],
  ["apiUrl", "/api"],
  ["staticUrl", "/static"],
  ["mediaUrl", "/media"],
];

/** Names a config file gives its environment switch, e.g. `const ENV = 'production'`. */
export const ENV_NAMES: readonly string[] = ["ENV", "env", "ENVIRONMENT", "environment", "CURRENT_ENV", "currentEnv"];

/** Hosts that may appear in hard-coded URLs anywhere. */
export const DEFAULT_ALLOWED_HOSTS = ["api.weixin.qq.com", "res.wx.qq.com", "mp.weixin.qq.com"];
