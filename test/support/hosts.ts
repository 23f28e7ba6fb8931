// Test hosts and Pulumi stacks for integration tests.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./capability";
import { ObjectstoreRecord, readObjectstore, readTesthost, TesthostRecord } from "../../infra/testhost";

const TESTHOST = path.join(REPO, "scripts/testhost.sh");

export function bootHost(name: string, ip?: string, o: { volume?: string } = {}): TesthostRecord {
  try {
    execFileSync("bash", [TESTHOST, "down", name], { stdio: "ignore" });
  } catch { /* not there */ }
  if (process.env.AISTUDIO_RUN_HOSTS) fs.appendFileSync(process.env.AISTUDIO_RUN_HOSTS, name + "\n" + (o.volume ? `volume:${o.volume}\n` : ""));
  if (o.volume) volumeRm(o.volume);
  execFileSync("bash", [TESTHOST, "up", name, ...(ip ? ["--ip", ip] : []), ...(o.volume ? ["--volume", o.volume] : [])], { stdio: ["ignore", "ignore", "inherit"] });
  return readTesthost(name);
}

/** Removes a test host's data volume (a blank one is created on the next `up --volume`). */
export function volumeRm(volume: string) {
  try {
    execFileSync("bash", [TESTHOST, "volume", "rm", volume], { stdio: "ignore" });
  } catch { /* not there */ }
}

/** An S3 object store on a fresh test host (scripts/objectstore.sh), removed at the end of the run. */
export function bootObjectstore(name: string): ObjectstoreRecord {
  try {
    execFileSync("bash", [TESTHOST, "down", name], { stdio: "ignore" });
  } catch { /* not there */ }
  if (process.env.AISTUDIO_RUN_HOSTS) fs.appendFileSync(process.env.AISTUDIO_RUN_HOSTS, name + "\n");
  execFileSync("bash", [path.join(REPO, "scripts/objectstore.sh"), "up", name], { stdio: ["ignore", "ignore", "inherit"] });
  return readObjectstore(name);
}

/** PostgreSQL on a fresh test host (scripts/dbhost.sh: a fleet's shared database), removed at the end of the run. */
export function bootDbhost(name: string): { name: string; host: string; url: string } {
  try {
    execFileSync("bash", [TESTHOST, "down", name], { stdio: "ignore" });
  } catch { /* not there */ }
  if (process.env.AISTUDIO_RUN_HOSTS) fs.appendFileSync(process.env.AISTUDIO_RUN_HOSTS, name + "\n");
  return JSON.parse(execFileSync("bash", [path.join(REPO, "scripts/dbhost.sh"), "up", name], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
}

export function hostDown(name: string) {
  execFileSync("bash", [TESTHOST, "down", name], { stdio: ["ignore", "ignore", "inherit"] });
}

export function hostCmd(name: string, script: string): string {
  return execFileSync("bash", [TESTHOST, "ssh", name, "bash", "-s"], { input: script, encoding: "utf8" });
}

export function hostCmdResult(name: string, script: string): { code: number; out: string } {
  try {
    return { code: 0, out: hostCmd(name, script) };
  } catch (e) {
    const err = e as { status: number; stdout?: string; stderr?: string };
    return { code: err.status, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

/** A stack of this project with its own state directory and config file (stacks/scratch.ts). */
export { ScratchStack as TestStack, unchanged } from "../../stacks/scratch";

/** Config for a stack that targets the named test host with the sample app. */
export function localConfig(host: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    target: "local",
    testhost: host,
    domain: "photogooo.com",
    tls: { mode: "self-signed" },
    wechat: { checks: false },
    app: { dir: "provision/sample-app", workers: 2 },
    smoke: { timeoutSeconds: 30 },
    ...extra,
  };
}
