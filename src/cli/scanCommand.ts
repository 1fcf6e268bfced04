/**
 * `opendoor scan`: run a new or resumed scan, store it, and write records as they arrive (JSON
 * Lines on stdout and/or -o FILE); the human summary is read back from the store at the end.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { buildPlan, resumedStreamItems, streamItems, type PlanArgs } from '../engine/plan.js';
import type { WorkItem } from '../types/work.js';
import { InputFileError, LineParser } from '../targets/inputFile.js';
import { HostWatch } from '../engine/hostWatch.js';
import { newScanId, runScan } from '../engine/scan.js';
import { renderTable } from '../output/table.js';
import { createLogger, type LogLevel } from '../util/log.js';
import { UsageError, openStore, type Io } from './io.js';
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
  const { store, path: dbPath } = await openStore(o.db);
  try {
    let args: PlanArgs;
    let scanId: string;
    if (o.resume !== undefined) {
      if (targetArgs.length > 0 || o.inputList !== undefined)
        throw new UsageError('--resume takes no targets: the scan keeps its own');
      const row = store.scan(o.resume);
      if (row === null) throw new UsageError(`no scan ${o.resume} in ${dbPath}`);
      if (row.status === 'done') throw new UsageError(`scan ${o.resume} is already complete`);
      args = JSON.parse(row.args) as PlanArgs;
      scanId = row.id;
      store.markRunning(scanId);
    } else {
      args = planArgs(targetArgs, o, io);
      scanId = newScanId();
    }
    const out = await openOutput(o.output);
    const plan = await buildPlan(args, log);
    if (o.resume === undefined) store.beginScan(scanId, args);
    log.info(
      `scan ${scanId}: ${plan.total} hosts, ${args.ports.length} ports, depth ${args.depth}, database ${dbPath}`,
    );
    // the scope is exactly what was written, so an empty one runs (and says 0 targets), with a word why
    if (args.stream !== true && plan.total === 0n)
      log.warn(`nothing to scan: every target is excluded${args.shard !== null ? ' or in another shard' : ''}`);
    const emit = (rec: object) => {
      const line = `${JSON.stringify(rec)}\n`;
      if (o.json === true) io.stdout(line);
      out?.write(line);
    };
    const from = o.resume !== undefined ? store.progress(scanId) : null;
    let source: AsyncIterable<WorkItem> | Iterable<WorkItem> | undefined;
    if (args.stream === true) {
      const parser = new LineParser('-');
      const journal = store.journal(scanId);
      source =
        from !== null
          ? resumedStreamItems(store.inputs(scanId, from), store.inputLines(scanId), parser, args, journal)
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
    const status = await runScan(plan, {
      scanId,
      store,
      log,
      from,
      shouldStop: () => stop,
      watch,
      onService: emit,
      progress: process.stderr.isTTY === true && o.quiet !== true,
      ...(source !== undefined ? { source, streamed: () => store.inputCount(scanId) } : {}),
    })
      .catch((e: unknown) => {
        // a bad line on stdin stops the run like any input error: the scan stays resumable
        if (e instanceof InputFileError) {
          store.finishScan(scanId, 'interrupted', 0, 0);
          throw new UsageError(e.message);
        }
        throw e;
      })
      .finally(() => {
        process.off('SIGINT', onSigint);
        process.off('SIGUSR1', onSigusr1);
      });
    const summary = store.summary(scanId);
    emit(summary);
    if (o.json !== true) io.stdout(renderTable(store.services(scanId), summary));
    if (out !== null) await new Promise<void>((resolve) => out.end(() => resolve()));
    if (status === 'interrupted') {
      io.stderr(
        `opendoor: scan ${scanId} interrupted; continue with: opendoor scan --resume ${scanId} --db ${dbPath}\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    store.close();
  }
}
