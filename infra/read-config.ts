// The edge: turns Pulumi's stack config into the raw object that parseConfig validates, and reads
// what the config points at on this machine (a test host's record, the app's directory or archive).
// Every problem, of the values or of what they point at, is reported in one ConfigError before the
// program registers any resource.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import { AistudioConfig, ConfigError, Raw, collectConfig } from "./config";
import type { Problem } from "./config-section";
import { readAppSource } from "./app-source";
import { repoRoot } from "../core/paths";
import { readObjectstore, readTesthost } from "./testhost";
import type { AppFile } from "../provision/app";
import type { FleetConfig, FleetTesthost } from "./config-fleet";

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

/** The validated config and the app's files (dir and archive sources), or a ConfigError with every problem. */
export function loadConfig(all: Record<string, string>, stack: string, root = repoRoot()): { cfg: AistudioConfig; appFiles: AppFile[] } {
  const problems: Problem[] = [];
  const raw = withObjectstore(withTesthost(rawFromPulumi(all), problems), stack, problems);
  const { config, problems: found } = collectConfig(raw, stack);
  problems.push(...found);
  withFleetTesthosts(config, raw, problems);
  let appFiles: AppFile[] = [];
  // the source's location is read only when its keys are valid (a bad one is reported already)
  if (config.app.source.location && !problems.some((p) => /^app(\.(dir|archive|git))?$/.test(p.key))) {
    try {
      appFiles = readAppSource(config.app.source, root);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { cfg: config, appFiles };
}

/** Reads and validates config; a bad value stops the program before any resource is registered. */
export function readConfig(): { cfg: AistudioConfig; appFiles: AppFile[] } {
  try {
    return loadConfig(pulumi.runtime.allConfig(), pulumi.getStack());
  } catch (e) {
    if (e instanceof ConfigError) {
      // Throwing a RunError prints the message without a JS stack trace.
      throw new pulumi.RunError(e.message);
    }
    throw e;
  }
}

/**
 * local stack: fill server.host/hostKey and sshPrivateKey from the named test host's record. A
 * missing record is a problem of aistudio:testhost (added to `problems`, or thrown as a ConfigError).
 * On another target parseConfig reports the key.
 */
export function withTesthost(raw: Raw, problems?: Problem[]): Raw {
  const name = raw["testhost"];
  if (typeof name !== "string" || !name || raw["target"] !== "local") return raw;
  try {
    const t = readTesthost(name);
    const server = { ...((raw["server"] as Raw) ?? {}), host: t.host, port: t.port, user: t.user, hostKey: t.hostKey };
    return { ...raw, server, sshPrivateKey: raw["sshPrivateKey"] ?? fs.readFileSync(t.privateKeyPath, "utf8") };
  } catch (e) {
    const problem = { key: "testhost", message: (e as Error).message.replace(/^aistudio:testhost: /, "") };
    if (!problems) throw new ConfigError([problem]);
    problems.push(problem);
    return raw;
  }
}

/**
 * local stack: backup.objectstore and uploads.objectstore name object-store test hosts
 * (scripts/objectstore.sh); each record fills what it stands for (withBackupStore, withUploadsStore).
 */
export function withObjectstore(raw: Raw, stack: string, problems?: Problem[]): Raw {
  return withUploadsStore(withBackupStore(raw, stack, problems), stack, problems);
}

/** backup.objectstore: the record fills the repository (a path per stack in its bucket) and the storage keys. */
function withBackupStore(raw: Raw, stack: string, problems?: Problem[]): Raw {
  const backup = raw["backup"] as Raw | undefined;
  const name = backup?.["objectstore"];
  if (typeof name !== "string" || !name || raw["target"] !== "local") return raw;
  try {
    const o = readObjectstore(name);
    const series = stack.split("/").pop()!.replace(/[^A-Za-z0-9._-]+/g, "-");
    return {
      ...raw,
      backup: { repository: `s3:${o.endpoint}/${o.bucket}/${series}`, accessKeyId: o.accessKeyId, ...backup },
      backupSecretAccessKey: raw["backupSecretAccessKey"] ?? o.secretAccessKey,
    };
  } catch (e) {
    const problem = { key: "backup.objectstore", message: (e as Error).message };
    if (!problems) throw new ConfigError([problem]);
    problems.push(problem);
    return raw;
  }
}

/**
 * uploads.objectstore: the record fills the endpoint, the bucket (the store's one), the keys and a
 * prefix per stack (uploads/<stack>/), each only where the config does not set it.
 */
function withUploadsStore(raw: Raw, stack: string, problems?: Problem[]): Raw {
  const uploads = raw["uploads"] as Raw | undefined;
  const name = uploads?.["objectstore"];
  if (typeof name !== "string" || !name || raw["target"] !== "local") return raw;
  try {
    const o = readObjectstore(name);
    const series = stack.split("/").pop()!.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.]+/, "");
    return {
      ...raw,
      uploads: { endpoint: o.endpoint, bucket: o.bucket, accessKeyId: o.accessKeyId, prefix: `uploads/${series || "stack"}/`, ...uploads },
      uploadsSecretAccessKey: raw["uploadsSecretAccessKey"] ?? o.secretAccessKey,
    };
  } catch (e) {
    const problem = { key: "uploads.objectstore", message: (e as Error).message };
    if (!problems) throw new ConfigError([problem]);
    problems.push(problem);
    return raw;
  }
}

/** A local fleet's config gets its test hosts' records (servers.testhosts); a missing one is a problem (or thrown). */
export function withFleetTesthosts(config: AistudioConfig, raw: Raw, problems?: Problem[]): AistudioConfig {
  if (config.target !== "local" || config.servers.count < 2 || typeof raw["testhost"] !== "string") return config;
  const found: Problem[] = [];
  config.servers.testhosts = fleetTesthosts(raw["testhost"], config.servers.count, config.server, found);
  if (found.length && !problems) throw new ConfigError(found);
  problems?.push(...found);
  return config;
}

/**
 * The local fleet (servers.count N > 1): the servers are the test hosts <testhost> (its record
 * already filled server.*), <testhost>-2 … <testhost>-N, and the load balancer <testhost>-lb.
 * A missing one is a problem of servers.count, naming the command that boots it.
 */
export function fleetTesthosts(first: string, count: number, server: { host: string; hostKey: string }, problems: Problem[]): FleetConfig["testhosts"] {
  const names = [...Array.from({ length: count - 1 }, (_, i) => `${first}-${i + 2}`), `${first}-lb`];
  const found: FleetTesthost[] = [];
  const missing: string[] = [];
  for (const name of names) {
    try {
      const t = readTesthost(name);
      found.push({ name, host: t.host, hostKey: t.hostKey });
    } catch {
      missing.push(name);
    }
  }
  if (missing.length) {
    problems.push({
      key: "servers.count",
      message: `is ${count}: the local fleet runs on the test hosts ${first}, ${names.join(", ")} (the last one the load balancer), and ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not booted / 本地多服务器所需的测试机未启动: boot ${missing.length === 1 ? "it" : "them"} with ${missing.map((m) => `\`npm run testhost -- up ${m}\``).join(", ")}`,
    });
    return undefined;
  }
  return { servers: [{ name: first, host: server.host, hostKey: server.hostKey }, ...found.slice(0, -1)], loadBalancer: found[found.length - 1] };
}
