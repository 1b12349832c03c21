/**
 * The one way every avsock command starts and ends: errors become one line on stderr and a non-zero
 * exit code (2 for bad usage, 1 otherwise); the stack trace only with --debug or AVSOCK_DEBUG=1.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AvsockError, UsageError } from '../errors.ts';

export type Main = (argv: string[]) => Promise<number | void>;

function debugEnabled(argv: readonly string[]): boolean {
  return argv.includes('--debug') || process.env.AVSOCK_DEBUG === '1';
}

export function describeError(error: unknown): string {
  if (error instanceof AvsockError) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}

/** Runs a command's main function with avsock's error and exit-code conventions. */
export function runMain(command: string, main: Main, argv: string[] = process.argv.slice(2)): void {
  const fail = (error: unknown): void => {
    process.stderr.write(`${command}: ${describeError(error)}\n`);
    if (debugEnabled(argv) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCodeFor(error);
  };
  // An error thrown from a socket or child-process callback must still be one line, not a trace.
  process.on('uncaughtException', (error) => {
    fail(error);
    process.exit(process.exitCode ?? 1);
  });
  process.on('unhandledRejection', (error) => {
    fail(error);
    process.exit(process.exitCode ?? 1);
  });
  main(argv).then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (error: unknown) => fail(error),
  );
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs with strict checking, whose errors become a UsageError that names the flag
 * and points at --help.
 */
export function parseOptions<T extends Options>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
): { values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: boolean; strict: true }>>['values']; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error);
    throw new UsageError(`${message}; see npm run ${command} -- --help`);
  }
}

/** A number option: must parse completely and lie in [min, max]. */
export function numberOption(name: string, raw: string | undefined, fallback: number, limits: { min: number; max: number; integer?: boolean }): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a number, got "${raw}"`);
  }
  if (limits.integer && !Number.isInteger(value)) {
    throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  }
  if (value < limits.min || value > limits.max) {
    throw new UsageError(`--${name} must be between ${limits.min} and ${limits.max}, got ${raw}`);
  }
  return value;
}

/** A choice option: one of the listed words. */
export function choiceOption<C extends string>(name: string, raw: string | undefined, choices: readonly C[], fallback: C): C {
  if (raw === undefined) return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as C;
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${raw}"`);
}
