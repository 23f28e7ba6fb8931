// cli/args.ts: every command parses its options through Node's util.parseArgs, strictly.
import { describe, expect, it } from "vitest";
import { CommandSpec, helpText, parseCommand, stackName, withArgs } from "../../cli/args";
import { DRIFT } from "../../cli/drift";

const SPEC: CommandSpec = {
  usage: "aistudio demo-cmd [--stack S] [--json]",
  summary: "a command for the test",
  options: {
    stack: { type: "string", arg: "STACK", help: "stack to use" },
    json: { type: "boolean", help: "JSON output" },
    lang: { type: "string", arg: "zh|en", help: "language", default: "both" },
  },
  footer: ["exit 0: fine"],
};

describe("parseCommand", () => {
  it("reads string and boolean options, with defaults", () => {
    const p = parseCommand(SPEC, ["--stack", "prod", "--json"]);
    expect(p.kind).toBe("ok");
    if (p.kind !== "ok") return;
    expect(p.values.stack).toBe("prod");
    expect(p.values.json).toBe(true);
    expect(p.values.lang).toBe("both");
    expect(parseCommand(SPEC, ["--stack=staging"])).toMatchObject({ kind: "ok", values: { stack: "staging" } });
  });

  it("refuses an unknown option, naming it; withArgs prints it with a pointer to --help and exits 2", async () => {
    const p = parseCommand(SPEC, ["--stak", "prod"]);
    expect(p).toEqual({ kind: "error", message: "unknown option --stak" });
    let err = "";
    let ran = false;
    const code = await withArgs(SPEC, ["--stak", "prod"], async () => { ran = true; return 0; }, { stdout: () => undefined, stderr: (s) => (err += s) });
    expect(code).toBe(2);
    expect(ran).toBe(false);
    expect(err).toMatch(/^aistudio demo-cmd: unknown option --stak\nRun `aistudio demo-cmd --help`/);
  });

  it("an empty value or a missing one is named", () => {
    expect(parseCommand(SPEC, ["--stack="])).toEqual({ kind: "error", message: "--stack needs a value" });
    expect(parseCommand(SPEC, ["--stack"])).toEqual({ kind: "error", message: "--stack needs a value" });
  });

  it("refuses a string option without its value and a stray positional", () => {
    expect(parseCommand(SPEC, ["--stack"]).kind).toBe("error");
    expect(parseCommand(SPEC, ["prod"]).kind).toBe("error");
  });

  it("--help and -h print every option with its placeholder, the default and the footer", () => {
    for (const flag of ["--help", "-h"]) {
      const p = parseCommand(SPEC, [flag]);
      expect(p.kind).toBe("help");
      if (p.kind !== "help") return;
      expect(p.text).toBe(helpText(SPEC));
    }
    const text = helpText(SPEC);
    expect(text).toMatch(/^Usage: aistudio demo-cmd/);
    expect(text).toMatch(/--stack STACK\s+stack to use/);
    expect(text).toMatch(/--lang zh\|en\s+language \(default: both\)/);
    expect(text).toMatch(/--json\s+JSON output/);
    expect(text).toMatch(/exit 0: fine/);
  });

  it("stackName: --stack, else $PULUMI_STACK, else local", () => {
    const saved = process.env.PULUMI_STACK;
    try {
      delete process.env.PULUMI_STACK;
      expect(stackName({})).toBe("local");
      process.env.PULUMI_STACK = "staging";
      expect(stackName({})).toBe("staging");
      expect(stackName({ stack: "prod" })).toBe("prod");
    } finally {
      if (saved === undefined) delete process.env.PULUMI_STACK;
      else process.env.PULUMI_STACK = saved;
    }
  });

  it("the drift command's table parses its documented options", () => {
    const p = parseCommand(DRIFT, ["--stack", "prod", "--config-file", "/tmp/x.yaml", "--json", "--report", "r.json"]);
    expect(p).toMatchObject({ kind: "ok", values: { stack: "prod", "config-file": "/tmp/x.yaml", json: true, report: "r.json" } });
  });
});
