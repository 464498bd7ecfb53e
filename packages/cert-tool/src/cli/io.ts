/**
 * @module cli/io
 * What the command implementations share with the dispatcher: the I/O a command
 * writes to, the parsed option values, and the usage error (exit status 2).
 * A leaf module, so `commands.ts` (loaded lazily by `run.ts`) never imports back.
 */

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

export type Values = Record<string, string | boolean | string[] | undefined>;
