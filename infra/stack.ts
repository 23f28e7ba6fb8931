// Reads a deployed stack (config, outputs, state) through the pulumi CLI, for the commands that
// check a running server: doctor and drift. Secrets are read into memory only.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { AistudioConfig, parseConfig } from "./config";
import { rawFromPulumi, withTesthost } from "./read-config";

export function repoRoot(): string {
  return path.resolve(__dirname, "..", "..");
}

export function pulumiCli(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync("bash", [path.join(repoRoot(), "scripts/pulumi.sh"), ...args], {
    cwd: repoRoot(),
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}

export interface StackView {
  config: AistudioConfig;
  outputs: Record<string, any>;
  /** Ingress rules of security groups in the state (cloud stacks). */
  securityGroupRules?: { portRange: string; cidrIp?: string; policy?: string; type?: string }[];
}

export function readStack(stack: string, configFile?: string): StackView {
  const cf = configFile ? ["--config-file", configFile] : [];
  const cfgJson = JSON.parse(pulumiCli(["config", "--json", "--show-secrets", "--stack", stack, ...cf])) as Record<string, { value?: string; objectValue?: unknown }>;
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfgJson)) {
    if (v.objectValue !== undefined) flat[k] = JSON.stringify(v.objectValue);
    else if (v.value !== undefined) flat[k] = v.value;
  }
  const config = parseConfig(withTesthost(rawFromPulumi(flat)), stack);
  const outputs = JSON.parse(pulumiCli(["stack", "output", "--json", "--show-secrets", "--stack", stack]));
  const state = JSON.parse(pulumiCli(["stack", "export", "--stack", stack]));
  const rules = (state.deployment?.resources ?? [])
    .filter((r: { type: string }) => r.type === "alicloud:ecs/securityGroupRule:SecurityGroupRule")
    .map((r: { inputs: Record<string, string> }) => ({ portRange: r.inputs.portRange, cidrIp: r.inputs.cidrIp, policy: r.inputs.policy, type: r.inputs.type }));
  return { config, outputs, securityGroupRules: config.target === "alicloud" ? rules : undefined };
}
