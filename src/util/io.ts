/** A command's I/O (stdout, stderr, stdin): the CLI's process streams, or nothing (a scan the dashboard starts). */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin: () => string;
  /** Standard input line by line, as it arrives (for `-iL -`). */
  stdinLines: () => AsyncIterable<string>;
}
