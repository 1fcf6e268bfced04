/** Filesystem helpers the standard library gets wrong for us. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `mkdir -p`, one level at a time. Node 20's recursive mkdirSync never returns on some paths
 * (`/proc/x/y` spins at 100% CPU); this ends with the first error (ENOENT, EACCES, ENOTDIR…).
 */
export function makeDirs(dir: string): void {
  const parts = path
    .resolve(dir)
    .split(path.sep)
    .filter((p) => p !== '');
  let at: string = path.sep;
  for (const part of parts) {
    at = path.join(at, part);
    try {
      mkdirSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
