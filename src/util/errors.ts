/**
 * The one base of every error that is the user's input (a target, a port list, a file they named,
 * an option): the CLI prints its message as one line and exits 2. Each layer throws its own kind
 * (a layer that knows more context, such as the file and line, wraps the one below it).
 */
export class InputError extends Error {
  override readonly name: string = 'InputError';
}

/** Bad usage or input (an option, a file a user named): one line on stderr, exit 2. */
export class UsageError extends InputError {
  override readonly name = 'UsageError';
}
