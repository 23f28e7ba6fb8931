// Reads a deployed stack (config, outputs, state) for the commands that check a running server:
// doctor and drift. Secrets are read into memory only.
import { AistudioConfig, parseConfig } from "../infra/config";
import { rawFromPulumi, withTesthost } from "../infra/read-config";
import { StackDriver, StackSpec } from "./driver";

export interface SecurityGroupRuleView {
  /** The rule resource's URN and its last part (e.g. aistudio-in-443): what the doctor refreshes and matches by. */
  urn?: string;
  name?: string;
  portRange: string;
  cidrIp?: string;
  policy?: string;
  type?: string;
}

export interface StackView {
  config: AistudioConfig;
  outputs: Record<string, any>;
  /** Ingress rules of security groups in the state (cloud stacks). */
  securityGroupRules?: SecurityGroupRuleView[];
}

interface StateResource {
  urn?: string;
  type: string;
  inputs?: Record<string, string>;
  outputs?: Record<string, unknown>;
}

export async function readStack(stack: string, configFile?: string, spec: Partial<StackSpec> = {}): Promise<StackView> {
  const driver = await StackDriver.open({ ...spec, name: stack, configFile });
  const [flat, state] = await Promise.all([driver.config(), driver.exportState()]);
  const config = parseConfig(withTesthost(rawFromPulumi(flat)), stack);
  const resources = ((state.deployment as { resources?: StateResource[] })?.resources ?? []);
  const outputs = (resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {}) as Record<string, any>;
  const rules = resources
    .filter((r) => r.type === "alicloud:ecs/securityGroupRule:SecurityGroupRule")
    .map((r) => ({ urn: r.urn, name: r.urn?.split("::").pop(), portRange: r.inputs?.portRange ?? "", cidrIp: r.inputs?.cidrIp, policy: r.inputs?.policy, type: r.inputs?.type }));
  return { config, outputs, securityGroupRules: config.target === "alicloud" ? rules : undefined };
}
