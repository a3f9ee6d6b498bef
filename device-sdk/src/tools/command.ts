// The command model of the `simedge` CLI: a tree of groups and commands, each with its options,
// usage and help text, parsed with node:util parseArgs (strict: unknown options are usage errors).
// Other packages contribute commands through the same types (see cli.ts, "Adding commands").
import { parseArgs } from 'node:util';

/** Where a command writes; the CLI passes process streams, tests may pass buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in help: `--key <file>`. */
  placeholder?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface Command {
  kind: 'command';
  name: string;
  summary: string;
  /** Positional arguments as shown in usage, e.g. "<template.json|yaml>". */
  args?: string;
  minArgs?: number;
  maxArgs?: number;
  options?: Record<string, OptionSpec>;
  /** Longer help: what it does, examples. */
  help?: string;
  run(values: OptionValues, positionals: string[], io: Io): Promise<number>;
}

export interface Group {
  kind: 'group';
  name: string;
  summary: string;
  children: Array<Command | Group>;
}

export type Entry = Command | Group;

/** A usage error: printed with the relevant usage on stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly path: readonly string[]) {
    super(message);
    this.name = 'UsageError';
  }
}

export const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/** Parse a command's arguments; throws UsageError on unknown options or wrong argument counts. */
export function parseCommandArgs(cmd: Command, argv: string[], path: readonly string[]): { values: OptionValues; positionals: string[]; help: boolean } {
  const options = { ...(cmd.options ?? {}), help: HELP_OPTION };
  const spec: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [k, o] of Object.entries(options)) spec[k] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    // node:util's messages name the option and say what is wrong; keep the first line.
    const msg = ((e as Error).message.split('\n')[0] ?? 'bad arguments').replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(msg, path);
  }
  const values = parsed.values as OptionValues;
  if (values.help === true) return { values, positionals: parsed.positionals, help: true };
  const n = parsed.positionals.length;
  const min = cmd.minArgs ?? 0;
  const max = cmd.maxArgs ?? 0;
  if (n < min) throw new UsageError(`missing argument ${cmd.args ?? ''}`.trim(), path);
  if (n > max) throw new UsageError(`unexpected argument '${parsed.positionals[max]}'`, path);
  return { values, positionals: parsed.positionals, help: false };
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${k}${o.type === 'string' ? ` <${o.placeholder ?? 'value'}>` : ''}`;
    return [flag, o.description] as const;
  });
  const w = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`);
}

export function usageLine(path: readonly string[], e: Entry): string {
  if (e.kind === 'group') return `usage: ${path.join(' ')} <command> [options]`;
  return `usage: ${[...path, e.args ?? ''].join(' ').trim()} [options]`;
}

/** Full help text of a group or command. */
export function helpText(path: readonly string[], e: Entry): string {
  const lines = [usageLine(path, e), '', e.summary];
  if (e.kind === 'group') {
    lines.push('', 'commands:');
    const w = Math.max(...e.children.map((c) => c.name.length));
    for (const c of e.children) lines.push(`  ${c.name.padEnd(w)}  ${c.summary}`);
    lines.push('', `Run '${path.join(' ')} <command> --help' for the options of a command.`);
  } else {
    if (e.help) lines.push('', e.help.trimEnd());
    lines.push('', 'options:', ...optionLines({ ...(e.options ?? {}), help: HELP_OPTION }));
  }
  return lines.join('\n') + '\n';
}
