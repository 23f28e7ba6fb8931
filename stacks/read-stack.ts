// Reads a deployed stack (config, outputs, state) for the commands that check a running server:
// doctor and drift. Secrets are read into memory only.
import { AistudioConfig, parseConfig } from "../infra/config";
import { rawFromPulumi, withFleetTesthosts, withObjectstore, withTesthost } from "../infra/read-config";
import type { SecurityGroupRule } from "../checks/doctor/index";
import { StackDriver } from "./driver";

export const SECURITY_GROUP_RULE_TYPE = "alicloud:ecs/securityGroupRule:SecurityGroupRule";

/** A rule as the doctor checks it, with its resource's URN (what a live refresh targets). */
export type SecurityGroupRuleView = SecurityGroupRule & { urn?: string };

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

export async function readStack(driver: StackDriver): Promise<StackView> {
  const [flat, state] = await Promise.all([driver.config(), driver.exportState()]);
  const raw = withObjectstore(withTesthost(rawFromPulumi(flat)), driver.spec.name);
  // a local fleet: its servers' and load balancer's test hosts, as the program found them
  const config = withFleetTesthosts(parseConfig(raw, driver.spec.name), raw);
  const resources = ((state.deployment as { resources?: StateResource[] })?.resources ?? []);
  const outputs = (resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {}) as Record<string, any>;
  const rules = resources
    .filter((r) => r.type === SECURITY_GROUP_RULE_TYPE)
    .map((r) => ({ urn: r.urn, name: r.urn?.split("::").pop(), portRange: r.inputs?.portRange ?? "", cidrIp: r.inputs?.cidrIp, policy: r.inputs?.policy, type: r.inputs?.type }));
  return { config, outputs, securityGroupRules: config.target === "alicloud" ? rules : undefined };
}
