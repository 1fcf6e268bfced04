/**
 * `opendoor scan`: run a new or resumed scan, store it, and write records as they arrive (JSON
 * Lines on stdout and/or -o FILE); the human summary is read back from the store at the end.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { jsonLinesSink } from '../output/sink.js';
import { openStore } from '../store/open.js';
import { collect } from '../util/async.js';
import { ScanJob } from '../engine/job.js';
import { HostWatch } from '../engine/hostWatch.js';
import { newScanId } from '../engine/scan.js';
import { clusterRecord } from '../output/records.js';
import { renderTable } from '../output/table.js';
import { createLogger, type LogLevel } from '../util/log.js';
import { UsageError, type Io } from './io.js';
import { planArgs, type ScanCliOptions } from '../engine/scanOptions.js';

async function openOutput(file: string | undefined): Promise<WriteStream | null> {
  if (file === undefined) return null;
  const out = createWriteStream(file, { flags: 'w' });
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', (e: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot write ${file}: ${e.code ?? 'error'}`)),
    );
  });
  return out;
}

export async function scanCommand(targetArgs: string[], o: ScanCliOptions, io: Io): Promise<number> {
  const level: LogLevel =
    o.debug === true ? 'debug' : o.verbose === true ? 'info' : o.quiet === true ? 'error' : 'warn';
  const log = createLogger(level, io.stderr);
  if (o.enqueue === true && o.resume !== undefined)
    throw new UsageError('--enqueue and --resume go apart: a queued scan resumes by itself');
  // the queue is a property of the store: refused before anything is opened on one without it
  const store = await openStore(o.db, o.enqueue === true ? { queueFor: '--enqueue' } : {});
  const dbPath = store.where;
  try {
    let job: ScanJob;
    if (o.resume !== undefined) {
      if (targetArgs.length > 0 || o.inputList !== undefined)
        throw new UsageError('--resume takes no targets: the scan keeps its own');
      const row = await store.scan(o.resume);
      if (row === null) throw new UsageError(`no scan ${o.resume} in ${dbPath}`);
      if (row.status === 'done') throw new UsageError(`scan ${o.resume} is already complete`);
      const loaded = await ScanJob.fromRow(store, row, log);
      if (loaded === 'not-a-plan') throw new UsageError(`scan ${o.resume} cannot be resumed: it holds no scan plan`);
      job = loaded;
      await store.setStatus(job.id, 'running');
    } else {
      job = await ScanJob.create(store, newScanId(), planArgs(targetArgs, o, io), log);
    }
    const { id: scanId, args, plan } = job;
    if (o.enqueue === true && args.stream === true)
      throw new UsageError('--enqueue takes targets or a file, not stdin (-iL -)');
    const out = await openOutput(o.output);
    if (o.enqueue === true) {
      const { enqueueScan } = await import('../queue/enqueue.js');
      const slices = await enqueueScan(job, log);
      const rec = `${JSON.stringify({ type: 'scan', scanId, state: slices > 0 ? 'queued' : 'done', targets: Number(plan.total), slices })}\n`;
      if (o.json === true) io.stdout(rec);
      else io.stdout(`${scanId}\n`);
      out?.write(rec);
      if (out !== null) await new Promise<void>((resolve) => out.end(() => resolve()));
      io.stderr(`opendoor: scan ${scanId} queued in ${slices} slices for workers (opendoor worker --db …)\n`);
      return 0;
    }
    if (o.resume === undefined) await job.begin();
    log.info(
      `scan ${scanId}: ${plan.total} hosts, ${args.ports.length} ports, depth ${args.depth}, database ${dbPath}`,
    );
    // the scope is exactly what was written, so an empty one runs (and says 0 targets), with a word why
    if (args.stream !== true && plan.total === 0n)
      log.warn(`nothing to scan: every target is excluded${args.shard !== null ? ' or in another shard' : ''}`);
    const write = (line: string) => {
      if (o.json === true) io.stdout(line);
      out?.write(line);
    };
    const from = o.resume !== undefined ? await job.progress() : null;
    const source = await job.source(from, io.stdinLines);
    let stop = false;
    const onSigint = () => {
      if (stop) process.exit(1);
      stop = true;
      io.stderr(`opendoor: interrupted; finishing nothing new (Ctrl-C again to quit at once)\n`);
    };
    process.on('SIGINT', onSigint);
    // a scan that looks stuck says what it waits for: kill -USR1 PID
    const watch = new HostWatch();
    const onSigusr1 = () => io.stderr(watch.describe());
    process.on('SIGUSR1', onSigusr1);
    const { status, clusters } = await job
      .run({
        sinks: [jsonLinesSink(write)],
        log,
        from,
        shouldStop: () => stop,
        watch,
        progress: process.stderr.isTTY === true && o.quiet !== true,
        ...(source !== undefined ? { source } : {}),
      })
      .finally(() => {
        process.off('SIGINT', onSigint);
        process.off('SIGUSR1', onSigusr1);
      });
    // clusters are known once every host is in: their records, then the summary (which counts a fleet as honeypots)
    for (const c of clusters) write(`${JSON.stringify(clusterRecord(scanId, c))}\n`);
    const summary = await store.summary(scanId);
    write(`${JSON.stringify(summary)}\n`);
    if (o.json !== true) io.stdout(renderTable(await collect(store.services(scanId)), summary));
    if (out !== null) await new Promise<void>((resolve) => out.end(() => resolve()));
    if (status === 'interrupted') {
      io.stderr(
        `opendoor: scan ${scanId} interrupted; continue with: opendoor scan --resume ${scanId} --db ${dbPath}\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await store.close();
  }
}
