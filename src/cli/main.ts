#!/usr/bin/env node
/**
 * The `opendoor` command. Starts fast: Node's compile cache where the runtime has it (22.1+),
 * `--version` answered before anything is loaded, the command line parser and each command loaded
 * only when needed (program.ts; the commands load their own modules on demand).
 */
import module from 'node:module';
import v8 from 'node:v8';
import { VERSION } from './version.js';

// WebAssembly (undici's HTTP parser, Node's CommonJS lexer) compiled by the baseline compiler only:
// the optimising tier-up ran on a background thread that the exit then waited for (~100 ms of a
// small scan's 560 ms), and parsing a few HTTP headers never needs optimised code
v8.setFlagsFromString('--liftoff-only');

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  const { boundedLines, readBounded } = await import('../targets/input.js');
  const { internalError, main } = await import('./program.js');
  process.stdout.on('error', () => process.exit(0)); // a closed pipe (| head) is not an error
  // last line of defence: one line naming the error class (never its message, which could quote a peer), exit 1
  const fatal = (e: unknown) => {
    process.stderr.write(internalError(e));
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const code = await main(argv, {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdin: () => readBounded(0),
    stdinLines: () => boundedLines(process.stdin, '-'),
  });
  process.exitCode = code;
  // the command is over: whatever still holds the event loop (a stdin left unread, a peer slow
  // to close) gets a moment, never the power to keep the process alive
  setTimeout(() => process.exit(code), 2000).unref();
}
