// Argument parsing for every command: Node's util.parseArgs (strict: an unknown option or a
// missing value is an error that names it), plus the `--help` text built from the same table.
import { parseArgs } from "node:util";

export interface OptionSpec {
  type: "string" | "boolean";
  /** Placeholder shown in --help for string options, e.g. "STACK". */
  arg?: string;
  help: string;
  short?: string;
  default?: string | boolean;
}

export interface CommandSpec {
  /** "aistudio doctor" */
  usage: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments allowed (e.g. the mini program directory). */
  positionals?: { name: string; help: string };
  /** Extra lines after the options (exit codes, examples). */
  footer?: string[];
}

export type Parsed =
  | { kind: "ok"; values: Record<string, string | boolean | undefined>; positionals: string[] }
  | { kind: "help"; text: string }
  | { kind: "error"; message: string };

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, help: { type: "boolean", help: "show this help / 显示帮助", short: "h" } as OptionSpec }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? ` ${o.arg ?? "VALUE"}` : ""}`;
    return [flag, o.help + (o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : "")];
  });
  if (spec.positionals) rows.unshift([spec.positionals.name, spec.positionals.help]);
  const width = Math.max(...rows.map((r) => r[0].length));
  return [
    `Usage: ${spec.usage}`,
    spec.summary,
    "",
    "Options / 选项:",
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
    ...(spec.footer?.length ? ["", ...spec.footer] : []),
    "",
  ].join("\n");
}

export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  const options: Record<string, { type: "string" | "boolean"; short?: string; default?: string | boolean }> = { help: { type: "boolean", short: "h" } };
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) };
  }
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: Boolean(spec.positionals) });
    if (r.values.help) return { kind: "help", text: helpText(spec) };
    return { kind: "ok", values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    return { kind: "error", message: `${spec.usage.split(" ").slice(0, 2).join(" ")}: ${(e as Error).message}\nRun \`${spec.usage.split(" ").slice(0, 2).join(" ")} --help\` for the options.` };
  }
}

/**
 * Parses argv for a command and runs `body` with the values; prints --help (exit 0) or the
 * parse error (exit 2) itself.
 */
export async function withArgs(spec: CommandSpec, argv: string[], body: (values: Record<string, string | boolean | undefined>, positionals: string[]) => Promise<number>): Promise<number> {
  const p = parseCommand(spec, argv);
  if (p.kind === "help") {
    process.stdout.write(p.text);
    return 0;
  }
  if (p.kind === "error") {
    process.stderr.write(p.message + "\n");
    return 2;
  }
  return body(p.values, p.positionals);
}

/** The stack to act on: --stack, else $PULUMI_STACK, else "local". */
export function stackName(values: Record<string, string | boolean | undefined>): string {
  return typeof values.stack === "string" ? values.stack : process.env.PULUMI_STACK ?? "local";
}

export function str(values: Record<string, string | boolean | undefined>, key: string): string | undefined {
  const v = values[key];
  return typeof v === "string" ? v : undefined;
}
