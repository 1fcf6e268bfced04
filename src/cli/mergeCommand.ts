/**
 * `opendoor merge --db OUT IN…`: the latest scan of each input database (one per shard machine)
 * becomes one scan in OUT, so `report`, `scans` and `diff` see the whole space as one run. Inputs
 * and OUT may be SQLite files or PostgreSQL URLs (SQLite shards copied into a shared store).
 */
import { newScanId } from '../engine/scan.js';
import type { ScanRow } from '../store/store.js';
import { openStore } from '../store/open.js';
import { UsageError, type Io } from './io.js';

export async function mergeCommand(inputs: string[], o: { db?: string }, io: Io): Promise<number> {
  const out = await openStore(o.db);
  try {
    const id = newScanId();
    const parts: ScanRow[] = [];
    await out.beginScan(id, { mergedFrom: inputs });
    let services = 0;
    for (const input of inputs) {
      const src = await openStore(input, { readOnly: true });
      try {
        const srcId = await src.latestScanId();
        const row = srcId === null ? null : await src.scan(srcId);
        if (row === null) throw new UsageError(`no scan in ${src.where}`);
        parts.push(row);
        services += await out.addServices(id, src.services(row.id));
      } finally {
        await src.close();
      }
    }
    const allDone = parts.every((p) => p.status === 'done');
    await out.saveProgress(id, {
      step: 0n,
      pending: [],
      hostsDone: parts.reduce((a, p) => a + p.hostsDone, 0),
      optedOut: parts.reduce((a, p) => a + p.optedOut, 0),
    });
    await out.finishScan(
      id,
      allDone ? 'done' : 'interrupted',
      parts.reduce((a, p) => a + p.targets, 0),
      Math.max(0, ...parts.map((p) => p.elapsedMs)),
    );
    io.stdout(`${JSON.stringify({ ...(await out.summary(id)), mergedFrom: parts.map((p) => p.id) })}\n`);
    io.stderr(
      `opendoor: merged ${parts.length} scans (${services} services) into scan ${id} in ${out.where}${allDone ? '' : '; some inputs were unfinished'}\n`,
    );
    return 0;
  } finally {
    await out.close();
  }
}
