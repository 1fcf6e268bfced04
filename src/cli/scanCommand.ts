/**
 * `opendoor scan`: run a new or resumed scan, store it, and write records as they arrive (JSON
 * Lines on stdout and/or -o FILE); the human summary is read back from the store at the end.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { jsonLinesSink } from '../output/sink.js';
import { runIntoStore } from '../store/sink.js';
import { isPostgresUrl, openStore } from '../store/store.js';
import { collect } from '../util/async.js';
import { buildPlan, resumedStreamItems, streamItems, type PlanArgs } from '../engine/plan.js';
import type { WorkItem } from '../types/work.js';
import { InputFileError, LineParser } from '../targets/inputFile.js';
import { HostWatch } from '../engine/hostWatch.js';
import { newScanId } from '../engine/scan.js';
import { clusterRecord } from '../output/records.js';
import { renderTable } from '../output/table.js';
import { createLogger, type LogLevel } from '../util/log.js';
import { UsageError, type Io } from './io.js';
import { planArgs, type ScanCliOptions } from './scanOptions.js';

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
  if (o.enqueue === true) {
    if (o.db === undefined || !isPostgresUrl(o.db))
      throw new UsageError('--enqueue needs the shared database: --db postgres://… (or OPENDOOR_DB)');
    if (o.resume !== undefined)
      throw new UsageError('--enqueue and --resume go apart: a queued scan resumes by itself');
  }
  const store = await openStore(o.db);
  const dbPath = store.where;
  try {
    let args: PlanArgs;
    let scanId: string;
    if (o.resume !== undefined) {
      if (targetArgs.length > 0 || o.inputList !== undefined)
        throw new UsageError('--resume takes no targets: the scan keeps its own');
      const row = await store.scan(o.resume);
      if (row === null) throw new UsageError(`no scan ${o.resume} in ${dbPath}`);
      if (row.status === 'done') throw new UsageError(`scan ${o.resume} is already complete`);
      args = JSON.parse(row.args) as PlanArgs;
      scanId = row.id;
      await store.setStatus(scanId, 'running');
    } else {
      args = planArgs(targetArgs, o, io);
      scanId = newScanId();
    }
    if (o.enqueue === true && args.stream === true)
      throw new UsageError('--enqueue takes targets or a file, not stdin (-iL -)');
    const out = await openOutput(o.output);
    const plan = await buildPlan(args, log);
    if (o.enqueue === true) {
      const { enqueueScan } = await import('../queue/enqueue.js');
      const slices = await enqueueScan(scanId, args, plan, store, o.db ?? '', log);
      const rec = `${JSON.stringify({ type: 'scan', scanId, state: slices > 0 ? 'queued' : 'done', targets: Number(plan.total), slices })}\n`;
      if (o.json === true) io.stdout(rec);
      else io.stdout(`${scanId}\n`);
      out?.write(rec);
      if (out !== null) await new Promise<void>((resolve) => out.end(() => resolve()));
      io.stderr(`opendoor: scan ${scanId} queued in ${slices} slices for workers (opendoor worker --db …)\n`);
      return 0;
    }
    if (o.resume === undefined) await store.beginScan(scanId, args);
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
    const from = o.resume !== undefined ? await store.progress(scanId) : null;
    let source: AsyncIterable<WorkItem> | Iterable<WorkItem> | undefined;
    if (args.stream === true) {
      const parser = new LineParser('-');
      const journal = await store.journal(scanId);
      source =
        from !== null
          ? resumedStreamItems(store.inputs(scanId, from), await store.inputLines(scanId), parser, args, journal)
          : streamItems(io.stdinLines(), parser, args, journal);
    }
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
    const { status, clusters } = await runIntoStore(store, scanId, plan, {
      sinks: [jsonLinesSink(write)],
      log,
      from,
      shouldStop: () => stop,
      watch,
      progress: process.stderr.isTTY === true && o.quiet !== true,
      ...(source !== undefined ? { source } : {}),
    })
      .catch(async (e: unknown) => {
        // a bad line on stdin stops the run like any input error: the scan stays resumable
        if (e instanceof InputFileError) await store.finishScan(scanId, 'interrupted', 0, 0);
        throw e;
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
