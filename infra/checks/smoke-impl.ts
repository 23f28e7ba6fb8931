// State compatibility only: stacks deployed before the smoke provider moved to
// infra/runner/smoke-impl.ts have this path serialized in their state, and Pulumi loads the
// provider from the state for refresh and delete. The next `pulumi up` records the new path.
export * from "../runner/smoke-impl";
