// Guards .github/workflows/deploy.yml and drift.yml without network: parsed with js-yaml, checked by
// test/support/workflow-lint.ts (structure, pinned actions, expressions, secrets, npm scripts, the
// preview-before-up rule), then for what each workflow must do. docs/ci.md documents the secrets.
import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { expressions, lintWorkflow, npmScripts, pulumiCommand, runSteps } from "../support/workflow-lint";

const REPO = path.resolve(__dirname, "..", "..");
const read = (rel: string) => fs.readFileSync(path.join(REPO, rel), "utf8");
const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string>; dependencies: Record<string, string> };

/** The secrets the workflows may use; docs/ci.md lists the same names. */
const SECRETS = [
  "PULUMI_BACKEND_URL",
  "PULUMI_CONFIG_PASSPHRASE",
  "ALIBABA_CLOUD_ACCESS_KEY_ID",
  "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
];
const OPTS = { scripts: Object.keys(pkg.scripts), secrets: SECRETS };

type Obj = Record<string, any>;
const deploy = load(read(".github/workflows/deploy.yml")) as Obj;
const drift = load(read(".github/workflows/drift.yml")) as Obj;
const stepsOf = (wf: Obj, job: string) => wf.jobs[job].steps as Obj[];
const stepIndex = (steps: Obj[], pred: (s: Obj) => boolean) => steps.findIndex(pred);

describe("the workflows pass the offline lint", () => {
  for (const [file, wf] of [["deploy.yml", deploy], ["drift.yml", drift]] as const) {
    it(`${file}: no problems`, () => {
      expect(lintWorkflow(wf, OPTS)).toEqual([]);
    });
  }

  it("every documented secret is used, and passed only through env (never inlined in a run block)", () => {
    const used = new Set<string>();
    for (const text of [read(".github/workflows/deploy.yml"), read(".github/workflows/drift.yml")]) {
      for (const m of text.matchAll(/secrets\.([A-Z_]+)/g)) used.add(m[1]);
    }
    expect([...used].sort()).toEqual([...SECRETS].sort());
    for (const wf of [deploy, drift]) for (const s of runSteps(wf)) expect(s.run, s.where).not.toMatch(/secrets\./);
  });
});

describe("deploy.yml", () => {
  const job = deploy.jobs.deploy as Obj;
  const steps = stepsOf(deploy, "deploy");
  const runs = runSteps(deploy).map((s) => s.run);

  it("runs on push to main and by hand with a stack input (default prod)", () => {
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(deploy.on.workflow_dispatch.inputs.stack.default).toBe("prod");
    expect(deploy.on.workflow_dispatch.inputs.stack.options).toContain("prod");
    expect(job.env.STACK).toBe("${{ inputs.stack || 'prod' }}");
  });

  it("reads the repository only, and never deploys one stack twice at once", () => {
    expect(deploy.permissions).toEqual({ contents: "read" });
    expect(job.concurrency.group).toMatch(/\$\{\{ inputs\.stack \|\| 'prod' \}\}/);
    expect(job.concurrency["cancel-in-progress"]).toBe(false);
    // drift has its own group: GitHub cancels the pending job of a group when another one queues,
    // so a scheduled drift check in this group could silently cancel a queued deploy
    expect(drift.jobs.drift.concurrency.group).toBe("drift-${{ matrix.stack }}");
    expect(drift.jobs.drift.concurrency.group).not.toBe(job.concurrency.group);
  });

  it("gets every secret from the repository's secrets", () => {
    for (const s of SECRETS) expect(job.env[s]).toBe(`\${{ secrets.${s} }}`);
  });

  it("checkout, Node 20 with the npm cache, npm ci, the Pulumi CLI, the alicloud plugin, in that order", () => {
    const checkout = stepIndex(steps, (s) => /^actions\/checkout@/.test(s.uses ?? ""));
    const node = stepIndex(steps, (s) => /^actions\/setup-node@/.test(s.uses ?? ""));
    const ci = stepIndex(steps, (s) => /^npm ci\b/.test(s.run ?? ""));
    const cli = stepIndex(steps, (s) => /^pulumi\/actions@v6$/.test(s.uses ?? ""));
    const plugin = stepIndex(steps, (s) => /plugin install resource alicloud/.test(s.run ?? ""));
    expect([checkout, node, ci, cli, plugin].every((i) => i >= 0)).toBe(true);
    expect([checkout, node, ci, cli, plugin]).toEqual([...[checkout, node, ci, cli, plugin]].sort((a, b) => a - b));
    expect(steps[node].with).toEqual({ "node-version": 20, cache: "npm" });
    // install only: with a `command`, pulumi/actions would run pulumi itself, outside scripts/pulumi.sh
    expect(steps[cli].with?.command).toBeUndefined();
  });

  it("installs the pulumi CLI and the alicloud plugin at the versions the project pins", () => {
    const cliVersion = /^PULUMI_VERSION=v?(\S+)$/m.exec(read("scripts/toolchain.sh"))?.[1];
    expect(cliVersion).toBeDefined();
    for (const wf of [deploy, drift]) {
      const cli = (wf.jobs[Object.keys(wf.jobs)[0]].steps as Obj[]).find((s) => /^pulumi\/actions@/.test(s.uses ?? ""))!;
      expect(String(cli.with["pulumi-version"])).toBe(cliVersion);
      expect(runSteps(wf).map((s) => s.run)).toContain(`npm run pulumi -- plugin install resource alicloud v${pkg.dependencies["@pulumi/alicloud"]}`);
    }
  });

  it("previews with the policy pack, then runs up, then the doctor, exactly as the docs do", () => {
    const preview = runs.indexOf('npm run pulumi -- preview --stack "$STACK" --policy-pack policy');
    const up = runs.indexOf('npm run pulumi -- up --stack "$STACK" --yes --policy-pack policy');
    const doctor = runs.indexOf('npm run --silent doctor -- --stack "$STACK" --json > doctor.json');
    expect(preview).toBeGreaterThanOrEqual(0);
    expect(up).toBeGreaterThan(preview);
    expect(doctor).toBeGreaterThan(up);
  });

  it("uploads doctor.json even when a step failed", () => {
    const upload = steps.find((s) => /^actions\/upload-artifact@v/.test(s.uses ?? ""))!;
    expect(upload.if).toBe("always()");
    expect(upload.with.path).toBe("doctor.json");
    expect(stepIndex(steps, (s) => s === upload)).toBe(steps.length - 1);
  });
});

describe("drift.yml", () => {
  const job = drift.jobs.drift as Obj;
  const steps = stepsOf(drift, "drift");

  it("runs daily at 09:17 Beijing (01:17 UTC) and by hand", () => {
    expect(drift.on.schedule).toEqual([{ cron: "17 1 * * *" }]);
    expect("workflow_dispatch" in drift.on).toBe(true);
    expect(drift.permissions).toEqual({ contents: "read" });
  });

  it("checks every stack, prod included, without one stack's failure cancelling the others", () => {
    expect(job.strategy.matrix.stack).toContain("prod");
    expect(job.strategy.matrix.stack).toEqual(["prod", "staging"]);
    expect(job.strategy["fail-fast"]).toBe(false);
  });

  it("runs the drift command with a report per stack; exit 1 (drift) or 2 (error) fails the job", () => {
    const i = stepIndex(steps, (s) => s.run === "npm run drift -- --stack ${{ matrix.stack }} --report drift-${{ matrix.stack }}.json");
    expect(i).toBeGreaterThanOrEqual(0);
    expect(steps[i]["continue-on-error"]).toBeUndefined();
    expect(steps[i].run).not.toMatch(/\|\||; *true|set \+e/);
    const upload = steps.find((s) => /^actions\/upload-artifact@v/.test(s.uses ?? ""))!;
    expect(stepIndex(steps, (s) => s === upload)).toBeGreaterThan(i);
    expect(upload.if).toBe("always()");
    expect(upload.with.path).toBe("drift-${{ matrix.stack }}.json");
    expect(upload.with.name).toBe("drift-${{ matrix.stack }}");
  });
});

describe("docs/ci.md", () => {
  it("lists every secret, both workflows and the drift exit codes", () => {
    const doc = read("docs/ci.md");
    for (const s of SECRETS) expect(doc).toContain(`\`${s}\``);
    expect(doc).toContain(".github/workflows/deploy.yml");
    expect(doc).toContain(".github/workflows/drift.yml");
    for (const code of ["0", "1", "2"]) expect(doc).toMatch(new RegExp(`\\|\\s*\`?${code}\`?\\s*\\|`));
  });
});

describe("the validator catches broken workflows", () => {
  it("reports each problem of a broken workflow", () => {
    const broken = {
      name: "broken",
      jobs: {
        deploy: {
          "run-on": "ubuntu-latest",
          needs: "build",
          env: { TOKEN: "${{ secrets.NPM_TOKEN }}", ALL: "${{ toJSON(secrets) }}" },
          steps: [
            { uses: "actions/checkout@main" },
            { uses: "actions/setup-node" },
            { name: "both", uses: "actions/cache@v4", run: "echo hi" },
            { name: "neither", with: { a: 1 } },
            { run: "npm run deploy-all -- --fast" },
            { run: "echo ${{ github.sha }" },
            { run: "npm run pulumi -- up --yes" },
            { run: "pulumi up --stack prod" },
            { run: "echo ${{ matrix.stack }} ${{ inputs.stack }}" },
          ],
        },
        empty: { "runs-on": "ubuntu-latest", steps: [] },
      },
    };
    const problems = lintWorkflow(broken, OPTS);
    const expected = [
      'on: missing "on": the workflow never runs',
      'jobs.deploy.env.TOKEN: secret "NPM_TOKEN" is not one of the documented secrets',
      "jobs.deploy.env.ALL: \"${{ toJSON(secrets) }}\" hands over all secrets at once",
      "jobs.deploy.steps[5].run: unclosed expression",
      'jobs.deploy.steps[8].run: input "stack" is not declared under on.workflow_dispatch.inputs',
      'jobs.deploy: unknown job key "run-on"',
      'jobs.deploy: missing "runs-on"',
      'jobs.deploy: needs unknown job "build"',
      "jobs.deploy.steps[8].run: uses matrix.stack but the job has no strategy.matrix",
      'jobs.deploy.steps[0]: "uses: actions/checkout@main" is pinned to "main", not to a version tag',
      'jobs.deploy.steps[1]: "uses: actions/setup-node" names no version',
      'jobs.deploy.steps[2]: has both "uses" and "run"',
      'jobs.deploy.steps[3]: has neither "uses" nor "run"',
      'jobs.deploy.steps[4]: "npm run deploy-all": package.json has no script "deploy-all"',
      'jobs.deploy.steps[6]: "npm run pulumi -- up --yes" runs pulumi up without --stack',
      'jobs.deploy.steps[6]: "npm run pulumi -- up --yes" is not preceded by a "pulumi preview --stack … --policy-pack policy" step',
      'jobs.deploy.steps[7]: "pulumi up --stack prod" runs pulumi up without --yes',
      'jobs.deploy.steps[7]: "pulumi up --stack prod" is not preceded by a "pulumi preview --stack prod --policy-pack policy" step',
      'jobs.empty: missing or empty "steps"',
    ];
    for (const e of expected) expect(problems.some((p) => p.startsWith(e)), `expected a problem starting with: ${e}\ngot:\n${problems.join("\n")}`).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });

  it("a workflow without jobs, and a YAML document that is not a workflow", () => {
    expect(lintWorkflow({ on: "push" }, OPTS)).toEqual(['jobs: missing or empty "jobs"']);
    expect(lintWorkflow(load("- just\n- a list\n"), OPTS)).toEqual(["(root): a workflow must be a mapping"]);
  });

  it("up after a preview of another stack, or of the right stack without the policy pack, is refused", () => {
    const wf = (previewRun: string) => ({
      on: "push",
      jobs: { d: { "runs-on": "ubuntu-latest", steps: [{ run: previewRun }, { run: "npm run pulumi -- up --stack prod --yes" }] } },
    });
    expect(lintWorkflow(wf("npm run pulumi -- preview --stack staging --policy-pack policy"), OPTS)).toHaveLength(1);
    expect(lintWorkflow(wf("npm run pulumi -- preview --stack prod"), OPTS)).toHaveLength(1);
    expect(lintWorkflow(wf("npm run pulumi -- preview --stack=prod --policy-pack=policy"), OPTS)).toEqual([]);
    // the moved-up case: up first, then the preview
    const swapped = { on: "push", jobs: { d: { "runs-on": "x", steps: [{ run: "npm run pulumi -- up -s prod -y" }, { run: "npm run pulumi -- preview -s prod --policy-pack policy" }] } } };
    expect(lintWorkflow(swapped, OPTS)).toEqual([expect.stringMatching(/steps\[0\].*is not preceded by/)]);
  });

  it("expression, npm and pulumi parsing", () => {
    expect(expressions("a ${{ x }} b ${{ y || 'z' }}")).toEqual({ exprs: ["x", "y || 'z'"], problems: [] });
    expect(expressions("${{ a ${{ b }}").problems).toEqual([expect.stringMatching(/opened inside another/)]);
    expect(expressions("x }} y").problems).toEqual(['"}}" without a matching "${{"']);
    expect(expressions("{{ go template }}").problems).toEqual([]);
    expect(npmScripts("npm ci && npm run --silent doctor -- --json > d.json\nnpm run -s drift\nnpm test")).toEqual(["doctor", "drift", "test"]);
    expect(pulumiCommand("npm run pulumi -- up --stack prod --yes")).toEqual({ sub: "up", args: ["--stack", "prod", "--yes"] });
    expect(pulumiCommand("pulumi --non-interactive -C infra up -s prod")).toEqual({ sub: "up", args: ["-s", "prod"] });
    expect(pulumiCommand("curl -fsSL https://get.pulumi.com")).toBeUndefined();
  });
});
