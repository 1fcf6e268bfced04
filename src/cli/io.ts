/**
 * What every command shares: its I/O (stdout, stderr, stdin), the one input-error class the CLI maps
 * to exit 2, bounded reading of the files a user names.
 */
import { BadInputError, readBounded } from './input.js';
import { InputError } from '../util/errors.js';

/** Bad usage or input: one line on stderr, exit 2. */
export class UsageError extends InputError {
  override readonly name = 'UsageError';
}

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin: () => string;
  /** Standard input line by line, as it arrives (for `-iL -`). */
  stdinLines: () => AsyncIterable<string>;
}

/** A file a user named (or `-`, stdin), read with bounds; any failure is a UsageError naming it. */
export function readText(file: string, what: string, stdin: () => string): string {
  try {
    return file === '-' ? stdin() : readBounded(file);
  } catch (e) {
    const why = e instanceof BadInputError ? e.message : ((e as NodeJS.ErrnoException).code ?? 'unreadable');
    throw new UsageError(`cannot read ${what} ${file}: ${why}`);
  }
}
