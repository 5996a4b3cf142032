/**
 * What every `strongroom` command shares: its options declared once with their help text (the help is generated
 * from them), parsing with node:util parseArgs, and the three outcomes a script can rely on: exit 0 on
 * success, 1 on failure (CommandFailure, or an error from the service), 2 on bad usage (UsageError).
 */
import { parseArgs } from 'node:util';

/** Bad usage: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command ran and failed for a reason the user can act on: exit 1 with the message. */
export class CommandFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandFailure';
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Takes one or more values: `--sd-wrapping-keys a.cer b.cer c.cer` (as az does), or the flag repeated. */
  variadic?: boolean;
  /** The value's placeholder in --help; absent for a switch. */
  value?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** The parsed values: strings, string lists (variadic) and booleans, by option name. */
export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : S[K]['variadic'] extends true ? string[] : string;
};

/** Where a command writes: stdout for its result, stderr for progress and messages. */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface Command<S extends OptionSpecs = OptionSpecs> {
  /** `security-domain download`: the words a user types. */
  name: string;
  summary: string;
  /** Lines of examples for --help. */
  examples: string[];
  options: S;
  run(values: OptionValues<S>, io: CommandIo): Promise<void>;
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean', description: 'Print the result as one JSON object on stdout.' },
  help: { type: 'boolean', description: 'Show this text.' },
} as const satisfies OptionSpecs;

export function parseOptions<S extends OptionSpecs>(specs: S, args: readonly string[]): OptionValues<S> {
  const config = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, { type: spec.type, multiple: spec.variadic === true }]),
  );
  try {
    const { values } = parseArgs({ args: spreadVariadic(specs, args), options: config, strict: true, allowPositionals: false });
    return values as OptionValues<S>;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error));
  }
}

/** `--keys a b c` → `--keys a --keys b --keys c`, which parseArgs understands. */
function spreadVariadic(specs: OptionSpecs, args: readonly string[]): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const arg of args) {
    if (arg.startsWith('-')) {
      const name = arg.replace(/^--?/, '').split('=')[0] ?? '';
      current = specs[name]?.variadic === true && !arg.includes('=') ? arg : undefined;
      out.push(arg);
    } else if (current !== undefined && out.at(-1) !== current) {
      out.push(current, arg);
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function commandHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const flag = `--${name}${spec.value === undefined ? '' : ` ${spec.value}${spec.variadic === true ? ' ...' : ''}`}`;
    return `  ${flag.padEnd(34)} ${spec.description}`;
  });
  return [
    `Usage: strongroom ${command.name} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows,
    '',
    'Exit codes: 0 success, 1 failure, 2 bad usage.',
    '',
    'Examples:',
    ...command.examples.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

/** A required option, or a UsageError naming it. */
export function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) throw new UsageError(`${flag} is required`);
  return value;
}

/** Prints the result: JSON with --json, else the human lines. */
export function printResult(io: CommandIo, json: boolean | undefined, result: object, lines: string[]): void {
  io.stdout.write(json === true ? `${JSON.stringify(result)}\n` : `${lines.join('\n')}\n`);
}
