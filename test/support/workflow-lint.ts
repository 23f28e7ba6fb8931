// An offline, actionlint-style validator for this repository's GitHub Actions workflows
// (.github/workflows/*.yml, parsed by js-yaml). It checks structure (on, jobs, runs-on, steps, one
// of uses/run per step, known keys), pinned actions, `${{ … }}` expressions (balanced, known
// secrets, declared inputs and matrix keys), `npm run X` against package.json, and this project's
// deploy rules: `pulumi up` names its stack, runs with --yes, and follows a policy-pack preview of
// the same stack in the same job. Every problem is one line: "<where>: <what>".

export interface LintOptions {
  /** Script names in package.json: every `npm run X` must name one. */
  scripts: string[];
  /** The secret names the docs list: every `${{ secrets.X }}` must be one (GITHUB_TOKEN is built in). */
  secrets: string[];
}

export interface RunStep {
  job: string;
  index: number;
  /** "jobs.<job>.steps[<index>]" */
  where: string;
  name?: string;
  run: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const TOP_KEYS = new Set(["name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"]);
const JOB_KEYS = new Set([
  "name", "needs", "permissions", "runs-on", "environment", "concurrency", "outputs", "env", "defaults", "if", "steps",
  "timeout-minutes", "strategy", "continue-on-error", "container", "services", "uses", "with", "secrets",
]);
const STEP_KEYS = new Set(["id", "if", "name", "uses", "run", "shell", "with", "env", "continue-on-error", "timeout-minutes", "working-directory"]);
const BUILTIN_SECRETS = new Set(["GITHUB_TOKEN"]);

/** Every string in a value, with its path (keys are not included). */
function strings(v: unknown, where: string, out: { where: string; text: string }[] = []): { where: string; text: string }[] {
  if (typeof v === "string") out.push({ where, text: v });
  else if (Array.isArray(v)) v.forEach((x, i) => strings(x, `${where}[${i}]`, out));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) strings(x, where ? `${where}.${k}` : k, out);
  return out;
}

/** The `${{ … }}` expressions in a text, and the problems with their delimiters. */
export function expressions(text: string): { exprs: string[]; problems: string[] } {
  const exprs: string[] = [];
  const problems: string[] = [];
  let rest = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("${{", i);
    if (open < 0) {
      rest += text.slice(i);
      break;
    }
    rest += text.slice(i, open);
    const close = text.indexOf("}}", open + 3);
    const nested = text.indexOf("${{", open + 3);
    if (close < 0) {
      problems.push(`unclosed expression "${text.slice(open, open + 40)}"`);
      return { exprs, problems };
    }
    if (nested >= 0 && nested < close) {
      problems.push(`expression opened inside another expression: "${text.slice(open, close + 2)}"`);
      i = nested;
      continue;
    }
    exprs.push(text.slice(open + 3, close).trim());
    i = close + 2;
  }
  // a "}}" left over once the expressions are removed closes nothing ("{{ … }}" templates pair up)
  const opens = (rest.match(/\{\{/g) ?? []).length;
  const closes = (rest.match(/\}\}/g) ?? []).length;
  if (closes > opens) problems.push(`"}}" without a matching "\${{"`);
  return { exprs, problems };
}

/** The scripts a run block invokes: `npm run [flags] X`, `npm run-script X`, `npm test`, `npm start`. */
export function npmScripts(run: string): string[] {
  const out: string[] = [];
  for (const m of run.matchAll(/\bnpm\s+(?:run|run-script)((?:\s+-{1,2}[A-Za-z][\w-]*(?:=\S+)?)*)\s+([^\s;&|)]+)/g)) out.push(m[2]);
  for (const m of run.matchAll(/\bnpm\s+(test|start|stop|restart)\b/g)) out.push(m[1]);
  return out;
}

/** Shell commands of a run block: continuation lines joined, split at newlines, `&&`, `||`, `;` and `|`. */
function commands(run: string): string[] {
  return run
    .replace(/\\\n/g, " ")
    .split(/\n|&&|\|\||;|\|/)
    .map((c) => c.replace(/#.*$/, "").trim())
    .filter(Boolean);
}

/** A pulumi command in a shell command (`pulumi ARGS` or `npm run pulumi -- ARGS`): its subcommand and arguments. */
export function pulumiCommand(cmd: string): { sub: string; args: string[] } | undefined {
  const m = /(?:^|\s)(?:npm\s+run(?:\s+-{1,2}\S+)*\s+pulumi\s+--|pulumi)\s+(.*)$/.exec(cmd);
  if (!m) return undefined;
  const words = m[1].split(/\s+/).filter(Boolean);
  // skip global flags before the subcommand (`pulumi --non-interactive up`, `pulumi -C DIR up`)
  let k = 0;
  while (k < words.length && words[k].startsWith("-")) k += /^(-C|--cwd)$/.test(words[k]) ? 2 : 1;
  if (k >= words.length) return undefined;
  return { sub: words[k], args: words.slice(k + 1) };
}

function flagValue(args: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    for (const n of names) {
      if (args[i] === n) return args[i + 1] ?? "";
      if (args[i].startsWith(`${n}=`)) return args[i].slice(n.length + 1);
    }
  }
  return undefined;
}

const unquote = (s: string | undefined) => s?.replace(/^["']|["']$/g, "");

/** The steps with a `run` block, in order, with where they are. */
export function runSteps(wf: unknown): RunStep[] {
  const out: RunStep[] = [];
  if (!isObj(wf) || !isObj(wf.jobs)) return out;
  for (const [job, j] of Object.entries(wf.jobs)) {
    if (!isObj(j) || !Array.isArray(j.steps)) continue;
    j.steps.forEach((s: unknown, index: number) => {
      if (isObj(s) && typeof s.run === "string") {
        out.push({ job, index, where: `jobs.${job}.steps[${index}]`, name: typeof s.name === "string" ? s.name : undefined, run: s.run });
      }
    });
  }
  return out;
}

/** The events a workflow's `on` names. */
function events(on: unknown): Obj {
  if (typeof on === "string") return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [String(e), null]));
  return isObj(on) ? on : {};
}

/** All problems in a parsed workflow; empty when it is fine. */
export function lintWorkflow(wf: unknown, o: LintOptions): string[] {
  const problems: string[] = [];
  const bad = (where: string, what: string) => problems.push(`${where}: ${what}`);
  if (!isObj(wf)) return ["(root): a workflow must be a mapping"];

  for (const k of Object.keys(wf)) if (!TOP_KEYS.has(k)) bad(k, `unknown top-level key "${k}"`);
  if (wf.on === undefined || wf.on === null) bad("on", 'missing "on": the workflow never runs');
  const ev = events(wf.on);
  const inputs = new Set<string>();
  for (const e of ["workflow_dispatch", "workflow_call"]) {
    const decl = ev[e];
    if (isObj(decl) && isObj(decl.inputs)) for (const k of Object.keys(decl.inputs)) inputs.add(k);
  }
  if (!isObj(wf.jobs) || Object.keys(wf.jobs).length === 0) {
    bad("jobs", 'missing or empty "jobs"');
    return problems;
  }

  // expressions everywhere: balanced, known secrets, declared inputs
  const known = new Set([...o.secrets, ...BUILTIN_SECRETS]);
  for (const s of strings(wf, "")) {
    const { exprs, problems: p } = expressions(s.text);
    for (const x of p) bad(s.where, x);
    for (const e of exprs) {
      for (const m of e.matchAll(/\bsecrets\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*['"]([^'"]+)['"]\s*\])/g)) {
        const name = m[1] ?? m[2];
        if (!known.has(name)) bad(s.where, `secret "${name}" is not one of the documented secrets (${o.secrets.join(", ")})`);
      }
      if (/\bsecrets\b(?!\s*[.[])/.test(e)) bad(s.where, `"\${{ ${e} }}" hands over all secrets at once`);
      for (const m of e.matchAll(/(?<![\w.])inputs\.([A-Za-z_][\w-]*)/g)) {
        if (!inputs.has(m[1])) bad(s.where, `input "${m[1]}" is not declared under on.workflow_dispatch.inputs`);
      }
    }
  }

  const jobNames = new Set(Object.keys(wf.jobs));
  for (const [name, j] of Object.entries(wf.jobs)) {
    const jw = `jobs.${name}`;
    if (!isObj(j)) {
      bad(jw, "a job must be a mapping");
      continue;
    }
    for (const k of Object.keys(j)) if (!JOB_KEYS.has(k)) bad(jw, `unknown job key "${k}"`);
    const rn = j["runs-on"];
    if (rn === undefined || rn === null || rn === "" || (Array.isArray(rn) && rn.length === 0)) bad(jw, 'missing "runs-on"');
    if (!Array.isArray(j.steps) || j.steps.length === 0) bad(jw, 'missing or empty "steps"');
    const needs = typeof j.needs === "string" ? [j.needs] : Array.isArray(j.needs) ? j.needs : [];
    for (const n of needs) if (!jobNames.has(String(n))) bad(jw, `needs unknown job "${n}"`);

    // matrix.X must be a key of this job's matrix
    const matrix = isObj(j.strategy) && isObj(j.strategy.matrix) ? j.strategy.matrix : undefined;
    const mkeys = new Set(Object.keys(matrix ?? {}).filter((k) => k !== "include" && k !== "exclude"));
    if (matrix && Array.isArray(matrix.include)) for (const inc of matrix.include) if (isObj(inc)) for (const k of Object.keys(inc)) mkeys.add(k);
    for (const s of strings(j, jw)) {
      for (const e of expressions(s.text).exprs) {
        for (const m of e.matchAll(/(?<![\w.])matrix\.([A-Za-z_][\w-]*)/g)) {
          if (!matrix) bad(s.where, `uses matrix.${m[1]} but the job has no strategy.matrix`);
          else if (!mkeys.has(m[1])) bad(s.where, `matrix.${m[1]} is not a key of strategy.matrix (${[...mkeys].join(", ")})`);
        }
      }
    }

    if (!Array.isArray(j.steps)) continue;
    const previews: { stack?: string; where: string }[] = [];
    j.steps.forEach((s: unknown, i: number) => {
      const sw = `${jw}.steps[${i}]`;
      if (!isObj(s)) {
        bad(sw, "a step must be a mapping");
        return;
      }
      for (const k of Object.keys(s)) if (!STEP_KEYS.has(k)) bad(sw, `unknown step key "${k}"`);
      const hasUses = s.uses !== undefined;
      const hasRun = s.run !== undefined;
      if (hasUses && hasRun) bad(sw, 'has both "uses" and "run": a step is one or the other');
      if (!hasUses && !hasRun) bad(sw, 'has neither "uses" nor "run"');
      if (hasUses) {
        const u = String(s.uses);
        if (!u.startsWith("./") && !u.startsWith("docker://")) {
          const m = /^[\w.-]+\/[\w./-]+@(.+)$/.exec(u);
          if (!m) bad(sw, `"uses: ${u}" names no version: pin it to a tag (@v…) or a commit sha`);
          else if (!/^v\d[\w.-]*$/.test(m[1]) && !/^[0-9a-f]{40}$/.test(m[1])) bad(sw, `"uses: ${u}" is pinned to "${m[1]}", not to a version tag (@v…) or a commit sha`);
        }
      }
      if (hasRun && typeof s.run !== "string") bad(sw, '"run" must be a string');
      if (typeof s.run !== "string") return;
      for (const script of npmScripts(s.run)) {
        if (!o.scripts.includes(script)) bad(sw, `"npm run ${script}": package.json has no script "${script}"`);
      }
      for (const c of commands(s.run)) {
        const p = pulumiCommand(c);
        if (!p) continue;
        const stack = unquote(flagValue(p.args, "--stack", "-s"));
        if (p.sub === "preview" && flagValue(p.args, "--policy-pack") !== undefined) previews.push({ stack, where: sw });
        if (p.sub !== "up" && p.sub !== "update") continue;
        if (stack === undefined || stack === "") bad(sw, `"${c}" runs pulumi up without --stack: it would deploy whichever stack is selected`);
        if (!p.args.some((a) => a === "--yes" || a === "-y" || a === "--yes=true")) bad(sw, `"${c}" runs pulumi up without --yes: it stops to ask, and CI cannot answer`);
        const before = previews.find((pv) => pv.stack === stack);
        if (!before) {
          bad(sw, `"${c}" is not preceded by a "pulumi preview --stack ${stack ?? "…"} --policy-pack policy" step in job ${name}`);
        }
      }
    });
  }
  return problems;
}
