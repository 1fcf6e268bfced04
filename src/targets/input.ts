/**
 * User-given files and stdin, read with bounds: a device such as /dev/zero, a binary file or an
 * endless line is an input error naming where it stopped, never a hang or an unbounded buffer.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { InputFileError } from './inputFile.js';
import { InputError, UsageError } from '../util/errors.js';

/** A whole file read at once (targets, exclusions, AE titles, owners); larger ones go on stdin (-iL -), which streams. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;
/** No target format has lines this long (nmap XML is read a host element at a time, ≤ 1 MiB too). */
export const MAX_LINE_BYTES = 1024 * 1024;

export class BadInputError extends InputError {
  override readonly name = 'BadInputError';
}

function readChunk(fd: number, buf: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EOF') return 0;
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a non-blocking stdin with nothing yet
    }
  }
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

/** A file (or an open descriptor, such as 0) as text, within MAX_FILE_BYTES and MAX_LINE_BYTES a line. */
export function readBounded(source: string | number): string {
  const fd = typeof source === 'number' ? source : openSync(source, 'r');
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.allocUnsafe(1 << 16);
    let total = 0;
    let line = 1;
    let lineBytes = 0;
    for (let n = readChunk(fd, buf); n > 0; n = readChunk(fd, buf)) {
      total += n;
      if (total > MAX_FILE_BYTES)
        throw new BadInputError('larger than 256 MiB (give it on stdin, -iL -, which streams)');
      const nul = buf.indexOf(0);
      if (nul >= 0 && nul < n) throw new BadInputError('binary content (a NUL byte): not a text file');
      for (let at = 0; at < n; ) {
        const nl = buf.indexOf(10, at);
        const end = nl < 0 || nl >= n ? n : nl;
        lineBytes += end - at;
        if (lineBytes > MAX_LINE_BYTES) throw new BadInputError(`line ${line} is longer than 1 MiB`);
        if (end === n) break;
        line++;
        lineBytes = 0;
        at = end + 1;
      }
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    if (typeof source !== 'number') closeSync(fd);
  }
}

/** Lines of a stream as they arrive (LF or CRLF; the last one may lack its newline), each within MAX_LINE_BYTES and free of NUL. */
export async function* boundedLines(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  name: string,
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let lineNo = 0;
  const line = (text: string): string => {
    lineNo++;
    if (text.includes('\u0000'))
      throw new InputFileError(name, lineNo, 'binary content (a NUL byte): not a target list');
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of input) {
    const pieces = (partial + (typeof chunk === 'string' ? chunk : decoder.write(chunk))).split('\n');
    partial = pieces.pop() ?? '';
    for (const p of pieces) yield line(p);
    if (partial.includes('\u0000'))
      throw new InputFileError(name, lineNo + 1, 'binary content (a NUL byte): not a target list');
    if (partial.length > MAX_LINE_BYTES)
      throw new InputFileError(name, lineNo + 1, 'a line longer than 1 MiB: not a target list');
  }
  partial += decoder.end();
  if (partial !== '') yield line(partial);
}
