// A provisioning step is pure data: the files one concern needs on the server and the script that
// puts them in place. Builders in provision/*.ts return Steps; infra/runner executes them over SSH.
import { createHash } from "node:crypto";
import type { ProbeItem } from "../core/probe";

export interface FileSpec {
  /** Absolute path on the server. */
  path: string;
  content: string;
  /** Octal mode, e.g. "0644". */
  mode: string;
  owner?: string;
  group?: string;
  /** Secret files are never shown: state and drift reports carry only their sha256. */
  secret?: boolean;
}

export interface Step {
  /** Short id, unique per server: used in resource names (`${server}-${id}`). */
  id: string;
  /** One line for humans: what this step does. */
  description: string;
  /** Files staged on the server as `${path}.aistudio-new` before `apply` runs. */
  files: FileSpec[];
  /** Bash run as root after staging; uses the helpers of provision/prelude.ts. Must be idempotent. */
  apply: string;
  /** The items this step manages: its probe prints one record (core/probe.ts) for each. */
  manages: ProbeItem[];
  /**
   * Bash whose stdout is the probe records of `manages` (digests, service states, firewall rules),
   * plus one record for anything unmanaged found where only managed items belong (an extra ufw
   * rule, another nginx site): that is drift by definition. Recorded after apply; compared again on
   * refresh to detect drift. Must not print secrets. Built with provision/probes.ts.
   */
  probe: string;
  /**
   * Ids of the steps that must have run before this one (their packages, files or services). Unset:
   * the step before it in the list. Steps whose needs are met run at the same time, each over its
   * own SSH connection (infra/components/server.ts).
   */
  needs?: string[];
  /**
   * For a change that could lock the deploy key out (sshd): after `apply` succeeded, the runner
   * opens a NEW SSH connection with the deploy key and runs `script` there; the probe is recorded
   * from that run. When the login or `script` fails, it runs `rollback` over the connection that
   * applied (still open: a reload keeps sessions) and fails the step with the reason. Both are
   * complete scripts like `apply` (the prelude is added).
   */
  confirm?: { script: string; rollback: string };
}

export function sha256(s: string | Buffer): string {
  return createHash("sha256").update(s).digest("hex");
}

/** Content hash of a step: changes whenever anything the server would receive changes. */
export function stepHash(step: Step): string {
  const h = createHash("sha256");
  h.update(step.id + "\0" + step.apply + "\0" + step.probe + "\0");
  // only when present, so the hashes of the other steps (and their servers' state) stay as they were
  if (step.confirm) h.update(step.confirm.script + "\0" + step.confirm.rollback + "\0");
  for (const f of step.files) {
    h.update([f.path, f.mode, f.owner ?? "", f.group ?? "", sha256(f.content)].join("\0") + "\0");
  }
  return h.digest("hex");
}
