// Argument parsing for every command: Node's util.parseArgs (strict: an unknown option or a
// missing value is an error that names it), plus the `--help` text built from the same table.
import { parseArgs } from "node:util";
import type { Bilingual } from "../core/text";

export interface OptionSpec {
  type: "string" | "boolean";
  /** Placeholder shown in --help for string options, e.g. "STACK". */
  arg?: string;
  /** One line, or English and Chinese lines. */
  help: string | Bilingual;
  short?: string;
  default?: string | boolean;
  /** May be given more than once (values collected in an array). */
  multiple?: boolean;
}

export interface CommandSpec {
  /** The first line of --help: "aistudio doctor [--stack S] …" (its first two words name the command). */
  usage: string;
  /** Lines under the usage line. */
  summary: string | string[];
  options: Record<string, OptionSpec>;
  /** Positional arguments allowed (e.g. the mini program directory). */
  positionals?: { name: string; help: string };
  /** Extra lines after the options (exit codes, examples). */
  footer?: string[];
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export type Parsed =
  | { kind: "ok"; values: Values; positionals: string[] }
  | { kind: "help"; text: string }
  | { kind: "error"; message: string };

const HELP: OptionSpec = { type: "boolean", help: "show this help / 显示帮助", short: "h" };

export function commandName(spec: CommandSpec): string {
  return spec.usage.split(" ").slice(0, 2).join(" ");
}

export function helpText(spec: CommandSpec): string {
  const entries: [string, OptionSpec][] = [...Object.entries(spec.options), ["help", HELP]];
  const heads = entries.map(([name, o]) => `${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? ` ${o.arg ?? "VALUE"}` : ""}`);
  if (spec.positionals) heads.unshift(spec.positionals.name);
  const width = Math.max(...heads.map((h) => h.length));
  const rows: string[] = [];
  if (spec.positionals) rows.push(`  ${heads.shift()!.padEnd(width)}  ${spec.positionals.help}`);
  entries.forEach(([, o], i) => {
    const dflt = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : "";
    if (typeof o.help === "string") rows.push(`  ${heads[i].padEnd(width)}  ${o.help}${dflt}`);
    else rows.push(`  ${heads[i].padEnd(width)}  ${o.help.en}${dflt}`, `  ${"".padEnd(width)}  ${o.help.zh}`);
  });
  return [
    `Usage: ${spec.usage}`,
    ...(typeof spec.summary === "string" ? [spec.summary] : spec.summary),
    "",
    "Options / 选项:",
    ...rows,
    ...(spec.footer?.length ? ["", ...spec.footer] : []),
    "",
  ].join("\n");
}

/** The option an error from parseArgs is about ("Option '--domain <value>' …" → --domain). */
function optionIn(message: string): string | undefined {
  return /'(-[^' ]+)/.exec(message)?.[1];
}

export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  const options: Record<string, { type: "string" | "boolean"; short?: string; default?: string | boolean; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries({ ...spec.options, help: HELP })) {
    // only the keys that are set: parseArgs rejects `short: undefined`
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let r: ReturnType<typeof parseArgs>;
  try {
    r = parseArgs({ args: argv, options, strict: true, allowPositionals: Boolean(spec.positionals) });
  } catch (err) {
    const e = err as Error & { code?: string };
    const opt = optionIn(e.message);
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return { kind: "error", message: `unknown option ${opt ?? e.message}` };
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && opt && /missing|ambiguous/.test(e.message)) return { kind: "error", message: `${opt} needs a value` };
    if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return { kind: "error", message: `unexpected argument ${/'([^']+)'/.exec(e.message)?.[1] ?? ""}`.trim() };
    return { kind: "error", message: e.message };
  }
  if (r.values.help) return { kind: "help", text: helpText(spec) };
  for (const [name, v] of Object.entries(r.values)) {
    if (v === "" || (Array.isArray(v) && v.includes(""))) return { kind: "error", message: `--${name} needs a value` };
  }
  return { kind: "ok", values: r.values as Values, positionals: r.positionals };
}

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const processIO: CliIO = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

/** Prints a usage error the same way for every command; returns exit code 2. */
export function usageError(spec: CommandSpec, message: string, io: CliIO = processIO): number {
  io.stderr(`${commandName(spec)}: ${message}\nRun \`${commandName(spec)} --help\` for the options.\n`);
  return 2;
}

/**
 * Parses argv for a command and runs `body` with the values; prints --help (exit 0) or the
 * parse error (exit 2) itself.
 */
export async function withArgs(spec: CommandSpec, argv: string[], body: (values: Values, positionals: string[]) => Promise<number>, io: CliIO = processIO): Promise<number> {
  const p = parseCommand(spec, argv);
  if (p.kind === "help") {
    io.stdout(p.text);
    return 0;
  }
  if (p.kind === "error") return usageError(spec, p.message, io);
  return body(p.values, p.positionals);
}

/** The options of every command that acts on a deployed stack. */
export function stackOptions(verb: string): Record<string, OptionSpec> {
  return {
    stack: { type: "string", arg: "STACK", help: `stack to ${verb} ($PULUMI_STACK, else local)` },
    "config-file": { type: "string", arg: "FILE", help: "stack settings file (default Pulumi.<stack>.yaml)" },
  };
}

/** The stack to act on: --stack, else $PULUMI_STACK, else "local". */
export function stackName(values: Values): string {
  return typeof values.stack === "string" ? values.stack : process.env.PULUMI_STACK ?? "local";
}

export function str(values: Values, key: string): string | undefined {
  const v = values[key];
  return typeof v === "string" ? v : undefined;
}
