// For the policy tests (policies.test.ts, fleet-policies.test.ts): stack resources as the policy
// host hands them to validateStack, and a stack policy's exact violations (message and urn).
import { vi } from "vitest";
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

/** A resource as validateStack sees it, its urn from `urnOf`; `deps`: its propertyDependencies. */
export function stackResource(urnOf: (type: string, name: string) => string, type: string, name: string, props: Record<string, unknown>, deps: Record<string, PolicyResource[]> = {}): PolicyResource {
  return {
    type,
    name,
    props,
    urn: urnOf(type, name),
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    dependencies: Object.values(deps).flat(),
    propertyDependencies: deps,
    isType: () => false,
    asType: () => undefined,
  };
}

export function stackArgs(resources: PolicyResource[]): StackValidationArgs {
  return {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason}`);
    },
  };
}

/** The violations a stack policy reports for the resources: [message, urn]. */
export async function stackViolations(policy: StackValidationPolicy, resources: PolicyResource[]): Promise<[string, string | undefined][]> {
  const report = vi.fn<ReportViolation>();
  await policy.validateStack(stackArgs(resources), report);
  return report.mock.calls.map((c) => [c[0], c[1]]);
}
