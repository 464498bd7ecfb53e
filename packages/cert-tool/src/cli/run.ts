/**
 * @module cli/run
 * Command-line parsing and dispatch for `cert-tool`: subcommands, `--help`,
 * `--version`, and the error contract — one line on stderr, exit status 1 for
 * a CertToolError (bad input, unreadable or existing files) and 2 for a usage
 * error (unknown command or option, bad option value).
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CertToolError } from '../errors.js';
import { HELP } from './help.js';

export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

/** A mistake in the command line (exit status 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

const s = { type: 'string' } as const;
const b = { type: 'boolean' } as const;
const help = { help: { type: 'boolean', short: 'h' } } as const;
const output = { format: s, out: s, 'cert-out': s, 'key-out': s, force: b } as const;
const subject = { cn: s, org: s, 'key-type': s, days: s } as const;
const leaf = { san: { type: 'string', multiple: true }, purpose: s } as const;

type CommandName = 'generate' | 'caCreate' | 'caIssue' | 'inspect' | 'fingerprint';

// The commands (and with them pkijs) load only when one runs: --help and --version stay fast.
const COMMANDS: Readonly<Record<string, { options: Options; positionals: boolean; run: CommandName }>> = {
  generate: { options: { ...help, ...output, ...subject, ...leaf, webtransport: b }, positionals: false, run: 'generate' },
  'ca create': { options: { ...help, ...output, ...subject, 'path-length': s, ca: s, 'ca-key': s, 'chain-out': s }, positionals: false, run: 'caCreate' },
  'ca issue': { options: { ...help, ...output, ...subject, ...leaf, ca: s, 'ca-key': s, 'chain-out': s }, positionals: false, run: 'caIssue' },
  inspect: { options: { ...help, json: b }, positionals: true, run: 'inspect' },
  fingerprint: { options: { ...help, hex: b, webtransport: b }, positionals: true, run: 'fingerprint' },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** node:util parseArgs errors → one-line usage messages. */
function parse(command: string, args: string[]): { values: Values; positionals: string[] } {
  const spec = COMMANDS[command]!;
  try {
    const { values, positionals } = parseArgs({ args, options: spec.options, allowPositionals: spec.positionals, strict: true });
    return { values: values as Values, positionals };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const quoted = /'([^']*)'/.exec((e as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option '${quoted}'`, command);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`option '${quoted.split(' ')[0]}' needs a value`, command);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument '${quoted}'`, command);
    throw new UsageError((e as Error).message.split('\n')[0]!, command);
  }
}

async function dispatch(args: string[], io: Io): Promise<void> {
  const [first, second] = args;
  if (first === undefined) throw new UsageError('missing command', 'main');
  if (first === '-h' || first === '--help' || first === 'help') return io.stdout(HELP.main!);
  if (first === '-v' || first === '--version') return io.stdout(`${version()}\n`);
  let command = first;
  let rest = args.slice(1);
  if (first === 'ca') {
    if (second === undefined || second === '-h' || second === '--help') {
      if (second === undefined) throw new UsageError("missing subcommand: 'create' or 'issue'", 'ca');
      return io.stdout(HELP.ca!);
    }
    command = `ca ${second}`;
    rest = args.slice(2);
    if (!COMMANDS[command]) throw new UsageError(`unknown subcommand 'ca ${second}'`, 'ca');
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command '${first}'`, 'main');
  const { values, positionals } = parse(command, rest);
  if (values.help) return io.stdout(HELP[command]!);
  const commands = await import('./commands.js');
  await commands[spec.run](values, positionals, io);
}

/** Run the CLI; returns the exit status. Never throws. */
export async function run(args: string[], io: Io): Promise<number> {
  try {
    await dispatch(args, io);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      const see = e.command === 'main' ? 'cert-tool --help' : `cert-tool ${e.command} --help`;
      io.stderr(`cert-tool: ${e.message} (see '${see}')\n`);
      return 2;
    }
    if (CertToolError.isInstance(e)) {
      io.stderr(`cert-tool: ${e.code}: ${e.message}\n`);
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`cert-tool: error: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
