// Where a cold provision spends its time (issue #14): ours per step, from the engine's events
// (stacks/driver.ts records when each resource started and finished), beside the floor's phases
// (bench/floor.ts marks them on the host). Medians over the runs.
import type { TimelineEntry } from "../stacks/driver";
import { median, round } from "./stats";

export interface Breakdown {
  /** Our phases in order: engine start, each step, smoke test, engine end. Seconds. */
  ours: [string, number][];
  /** The floor's phases in order. Seconds. */
  floor: [string, number][];
}

const PREFIX = "aistudio-";

/**
 * Our run as phases: "engine start" (the command until the first step starts: the CLI, the
 * program, the provider plugins, the cloud or test-host resources), one phase per step (its
 * resource's start to end), "smoke test", and "engine end" (the last resource until the command
 * returned: the state written, the outputs read). Steps that overlap each count in full.
 */
export function oursPhases(timeline: TimelineEntry[], totalSeconds: number): [string, number][] {
  const steps = timeline.filter((e) => e.name.startsWith(PREFIX) && !e.type.endsWith("pulumi:pulumi:Stack") && e.end !== undefined && e.op !== "same");
  if (!steps.length) return [["total", round(totalSeconds, 2)]];
  const first = Math.min(...steps.map((e) => e.start));
  const last = Math.max(...steps.map((e) => e.end!));
  const out: [string, number][] = [["engine start", round(first, 2)]];
  for (const e of [...steps].sort((a, b) => a.start - b.start)) {
    const name = e.name.slice(PREFIX.length);
    out.push([name === "smoke" ? "smoke test" : name, round(e.end! - e.start, 2)]);
  }
  out.push(["engine end", round(Math.max(0, totalSeconds - last), 2)]);
  return out;
}

/** Medians per phase over runs, in the order of the first run (phases missing from a run are skipped there). */
export function medianPhases(runs: [string, number][][]): [string, number][] {
  const order: string[] = [];
  for (const r of runs) for (const [k] of r) if (!order.includes(k)) order.push(k);
  return order.map((k) => [k, round(median(runs.flatMap((r) => r.filter(([n]) => n === k).map(([, s]) => s))), 2)]);
}
