/**
 * A scan the dashboard started on SQLite, run in a process of its own (forked by the launcher): the
 * dashboard's event loop answers pages while this one probes, parses and writes, the two sharing
 * the file through SQLite's WAL. It runs the stored scan (its arguments checked when it was
 * started) to its end and exits 0. Told to stop (a 'stop' message, SIGTERM or SIGINT, or the
 * server gone), it stops taking hosts and leaves the scan resumable. A failure is one log line and
 * exit 1 (the launcher then marks the scan interrupted). It runs below normal priority (util/priority.ts).
 * Arguments: the database file, the scan's id, the server's log level.
 */
import { ScanJob } from '../engine/job.js';
import { openStore } from '../store/open.js';
import { type LogLevel, createLogger } from '../util/log.js';
import { yieldToInteractive } from '../util/priority.js';

const LEVELS: readonly LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug'];

async function runStoredScan(db: string, id: string, level: LogLevel): Promise<number> {
  const log = createLogger(level);
  yieldToInteractive(); // the dashboard's pages come first
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  process.on('message', (m) => m === 'stop' && stop());
  try {
    const store = await openStore(db);
    try {
      const job = await ScanJob.load(store, id, log);
      if (job === 'missing') return 0;
      if (job === 'not-a-plan') throw new Error('its arguments are not a scan plan');
      await store.setStatus(id, 'running');
      await job.run({ sinks: [], log, from: null, shouldStop: () => stopping, progress: false });
      return 0;
    } finally {
      await store.close();
    }
  } catch (e) {
    log.error(`scan ${id}: ${e instanceof Error ? e.message : 'failed'}`);
    return 1;
  }
}

const [db, id, level] = process.argv.slice(2);
if (db === undefined || id === undefined || !LEVELS.includes(level as LogLevel)) {
  process.stderr.write('opendoor: scanChild.js is started by `opendoor serve`, not by hand\n');
  process.exitCode = 2;
} else
  void runStoredScan(db, id, level as LogLevel).then((code) => {
    process.exitCode = code;
    process.disconnect?.(); // the IPC channel would keep this process alive
  });
