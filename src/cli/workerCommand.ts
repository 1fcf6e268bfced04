/**
 * `opendoor worker`: run slices of queued scans from the shared database until SIGTERM or SIGINT
 * (the slice held is finished, then exit 0; a second signal stops at once, the slice goes back to
 * the queue, exit 1), or with --until-idle until no slice is left.
 */
import { openQueue } from '../queue/queue.js';
import { runWorker, workerId } from '../queue/worker.js';
import { openStore } from '../store/open.js';
import { createLogger } from '../util/log.js';
import { yieldToInteractive } from '../util/priority.js';
import type { Io } from './io.js';
import { intOption } from '../engine/scanOptions.js';

export interface WorkerCliOptions {
  db?: string;
  concurrency?: string;
  untilIdle?: boolean;
  maxSlices?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export async function workerCommand(o: WorkerCliOptions, io: Io): Promise<number> {
  const concurrency = o.concurrency !== undefined ? intOption('--concurrency', o.concurrency, 1, 4096) : undefined;
  const maxSlices = o.maxSlices !== undefined ? intOption('--max-slices', o.maxSlices, 1, 1_000_000_000) : undefined;
  const log = createLogger(o.verbose === true ? 'info' : o.quiet === true ? 'error' : 'warn', io.stderr);
  // a worker needs the queue, a property of the store: refused before anything is opened on one without it
  const store = await openStore(o.db, { queueFor: 'worker' });
  yieldToInteractive(); // background work: the dashboard and the database on the same machine come first
  let signals = 0;
  const onSignal = () => {
    signals++;
    io.stderr(
      signals === 1
        ? 'opendoor: worker stopping: finishing the slice it holds (signal again to stop at once)\n'
        : 'opendoor: worker stopping at once: its slice goes back to the queue\n',
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const queue = await openQueue(store.queue.url, log);
    try {
      const id = workerId();
      log.info(`worker ${id} on ${store.where}`);
      const r = await runWorker(
        {
          store,
          queue,
          log,
          ...(concurrency !== undefined ? { concurrency } : {}),
          untilIdle: o.untilIdle === true,
          ...(maxSlices !== undefined ? { maxSlices } : {}),
          draining: () => signals > 0,
          stopNow: () => signals > 1,
        },
        id,
      );
      log.info(`worker ${id}: ${r.slices} slices done`);
    } finally {
      await queue.stop();
    }
    return signals > 1 ? 1 : 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await store.close();
  }
}
