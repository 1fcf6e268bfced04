/**
 * What every command shares: its I/O (stdout, stderr, stdin), the one input-error class the CLI maps
 * to exit 2, bounded reading of the files a user names. They live below the CLI (the dashboard's
 * scans use them too); the commands import them from here.
 */
export { UsageError } from '../util/errors.js';
export type { Io } from '../util/io.js';
export { readText } from '../targets/input.js';
