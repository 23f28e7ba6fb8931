// Reads a deployed stack (config, outputs, state) through the pulumi CLI, for the commands that
// check a running server: doctor and drift. Secrets are read into memory only.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { AistudioConfig, parseConfig } from "../infra/config";
import { rawFromPulumi, withTesthost } from "../infra/read-config";

import { repoRoot } from "../core/paths";
export { repoRoot };

export function pulumiCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", [path.join(repoRoot(), "scripts/pulumi.sh"), ...args], {
      cwd: repoRoot(),
      env: { ...env, AISTUDIO_SKIP_BUILD: "1" },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      if (err) reject(new Error(`pulumi ${args.slice(0, 2).join(" ")} failed: ${stderr.trim().split("\n").slice(-5).join("\n")}`));
      else resolve(stdout);
    });
  });
}

export interface StackView {
  config: AistudioConfig;
  outputs: Record<string, any>;
  /** Ingress rules of security groups in the state (cloud stacks). */
  securityGroupRules?: { portRange: string; cidrIp?: string; policy?: string; type?: string }[];
}

export async function readStack(stack: string, configFile?: string): Promise<StackView> {
  const cf = configFile ? ["--config-file", configFile] : [];
  const [cfgText, stateText] = await Promise.all([
    pulumiCli(["config", "--json", "--show-secrets", "--stack", stack, ...cf]),
    pulumiCli(["stack", "export", "--show-secrets", "--stack", stack]),
  ]);
  const cfgJson = JSON.parse(cfgText) as Record<string, { value?: string; objectValue?: unknown }>;
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfgJson)) {
    if (v.objectValue !== undefined) flat[k] = JSON.stringify(v.objectValue);
    else if (v.value !== undefined) flat[k] = v.value;
  }
  const config = parseConfig(withTesthost(rawFromPulumi(flat)), stack);
  const resources: { type: string; inputs: Record<string, string>; outputs?: Record<string, unknown> }[] = JSON.parse(stateText).deployment?.resources ?? [];
  const outputs = (resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {}) as Record<string, any>;
  const rules = resources
    .filter((r) => r.type === "alicloud:ecs/securityGroupRule:SecurityGroupRule")
    .map((r) => ({ portRange: r.inputs.portRange, cidrIp: r.inputs.cidrIp, policy: r.inputs.policy, type: r.inputs.type }));
  return { config, outputs, securityGroupRules: config.target === "alicloud" ? rules : undefined };
}
