// The edge: turns Pulumi's stack config into the raw object that parseConfig validates.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import { AistudioConfig, ConfigError, parseConfig, Raw } from "./config";
import { readTesthost } from "./testhost";

export function rawFromPulumi(all: Record<string, string>): Raw {
  const raw: Raw = {};
  for (const [k, v] of Object.entries(all)) {
    if (!k.startsWith("aistudio:")) continue;
    const key = k.slice("aistudio:".length);
    let val: unknown = v;
    if (/^[[{]/.test(v.trim()) || v === "true" || v === "false") {
      try { val = JSON.parse(v); } catch { val = v; }
    }
    raw[key] = val;
  }
  return raw;
}

/** Reads and validates config; a bad value stops the program before any resource is registered. */
export function readConfig(): AistudioConfig {
  try {
    return parseConfig(withTesthost(rawFromPulumi(pulumi.runtime.allConfig())), pulumi.getStack());
  } catch (e) {
    if (e instanceof ConfigError) {
      // Throwing a RunError prints the message without a JS stack trace.
      throw new pulumi.RunError(e.message);
    }
    throw e;
  }
}

/** local stack: fill server.host/hostKey and sshPrivateKey from the named test host's record. */
export function withTesthost(raw: Raw): Raw {
  const name = raw["testhost"];
  if (typeof name !== "string" || !name) return raw;
  if (raw["target"] !== "local") throw new ConfigError([{ key: "testhost", message: "is only for target local" }]);
  const t = readTesthost(name);
  const server = { ...((raw["server"] as Raw) ?? {}), host: t.host, port: t.port, user: t.user, hostKey: t.hostKey };
  return { ...raw, server, sshPrivateKey: raw["sshPrivateKey"] ?? fs.readFileSync(t.privateKeyPath, "utf8") };
}
