// The `simedge` CLI: one binary, subcommands from a table, `--help` everywhere.
// Exit codes: 0 success; 1 a domain failure (printed as `simedge: <CODE>: <message>`, or a
// negative `verify`); 2 a usage error (usage on stderr); 70 an internal error (a bug: the stack
// is printed only with SIMEDGE_DEBUG=1). User errors never print a stack trace.
//
// Adding commands (the extension point):
//   - in device-sdk: write a module exporting a `Group` or `Command` (see command.ts) and add it
//     to BUILTIN below;
//   - in another workspace package (hardware, core-validator, edge-agent): export
//     `commands: Entry[]` from a light module, map it as the subpath "./cli" in that package's
//     "exports", and add the package name to PLUGINS below. Heavy dependencies (brokers, SQLite)
//     should be imported inside `run`, so `simedge --help` stays fast.
import { readFileSync } from 'node:fs';
import { isSimedgeError } from '../wire/codes.js';
import { helpText, parseCommandArgs, usageLine, UsageError, type Entry, type Group, type Io } from './command.js';
import { keysGroup } from './cmd-keys.js';
import { templateGroup } from './cmd-template.js';
import { espruinoGroup } from './cmd-espruino.js';

const BUILTIN: Entry[] = [keysGroup, templateGroup, espruinoGroup];

/** Packages whose "./cli" export contributes `commands: Entry[]` (loaded when present). */
export const PLUGINS: readonly string[] = ['@simedge/hardware', '@simedge/core-validator', '@simedge/edge-agent'];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function loadPlugins(): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const p of PLUGINS) {
    const spec = `${p}/cli`;
    let mod: { commands?: Entry[] };
    try {
      mod = (await import(spec)) as { commands?: Entry[] };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // Only "this package has no ./cli (yet)" is expected; a broken plugin must be loud.
      // (Node sets err.code; other loaders, e.g. vitest's, only say so in the message.)
      const msg = String(err.message);
      const absent = msg.includes(p) && (err.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || err.code === 'ERR_MODULE_NOT_FOUND' || /is not exported|Cannot find (module|package)/.test(msg));
      if (absent) continue;
      throw e;
    }
    if (Array.isArray(mod.commands)) out.push(...mod.commands);
  }
  return out;
}

/** The full command tree: built-ins plus plugins; a plugin cannot shadow a built-in name. */
export async function commandTree(): Promise<Group> {
  const children = [...BUILTIN];
  for (const e of await loadPlugins()) {
    if (children.some((c) => c.name === e.name)) throw new Error(`simedge plugin command '${e.name}' clashes with an existing command`);
    children.push(e);
  }
  return { kind: 'group', name: 'simedge', summary: 'simedge: device-initiated mobile-edge provisioning tools', children };
}

const processIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  cwd: process.cwd(),
};

/** Run the CLI with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo, root?: Group): Promise<number> {
  let path: string[] = ['simedge'];
  let entry: Entry | undefined;
  try {
    if (argv[0] === '--version' || argv[0] === '-V') {
      io.out(`simedge ${version()}\n`);
      return 0;
    }
    entry = root ?? (await commandTree());
    let i = 0;
    // Walk down the groups: `simedge template sign …`.
    while (entry.kind === 'group') {
      const word = argv[i];
      if (word === undefined || word === '--help' || word === '-h' || word === 'help') {
        const stream = word === undefined ? io.err : io.out;
        stream(helpText(path, entry));
        return word === undefined ? 2 : 0;
      }
      if (word.startsWith('-')) throw new UsageError(`unknown option '${word}'`, path);
      const next: Entry | undefined = entry.children.find((c) => c.name === word);
      if (!next) throw new UsageError(`unknown command '${word}'`, path);
      path = [...path, word];
      entry = next;
      i++;
    }
    const cmd = entry;
    const { values, positionals, help } = parseCommandArgs(cmd, argv.slice(i), path);
    if (help) {
      io.out(helpText(path, cmd));
      return 0;
    }
    return await cmd.run(values, positionals, io);
  } catch (e) {
    if (e instanceof UsageError) {
      const at = findEntry(root ?? { kind: 'group', name: 'simedge', summary: '', children: BUILTIN }, e.path) ?? entry;
      io.err(`simedge: ${e.message}\n`);
      if (at) io.err(`${usageLine(e.path, at)}\nRun '${e.path.join(' ')} --help' for more.\n`);
      return 2;
    }
    if (isSimedgeError(e)) {
      io.err(`simedge: ${e.message}\n`);
      return 1;
    }
    io.err(`simedge: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (process.env.SIMEDGE_DEBUG) io.err(`${(e as Error)?.stack ?? ''}\n`);
    return 70;
  }
}

function findEntry(root: Group, path: readonly string[]): Entry | undefined {
  let e: Entry = root;
  for (const name of path.slice(1)) {
    if (e.kind !== 'group') return undefined;
    const next: Entry | undefined = e.children.find((c) => c.name === name);
    if (!next) return undefined;
    e = next;
  }
  return e;
}
