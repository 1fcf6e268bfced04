/**
 * `opendoor merge --db OUT IN.db…`: the latest scan of each input database (one per shard machine)
 * becomes one scan in OUT, so `report`, `scans` and `diff` see the whole space as one run.
 */
import { existsSync } from 'node:fs';
import { newScanId } from '../engine/scan.js';
import { isExposedRecord } from '../report/model.js';
import { Store } from '../store/db.js';
import { UsageError, openStore, type Io } from './io.js';

export async function mergeCommand(inputs: string[], o: { db?: string }, io: Io): Promise<number> {
  for (const f of inputs) if (!existsSync(f)) throw new UsageError(`cannot read database ${f}: ENOENT`);
  const { store: out, path: outPath } = await openStore(o.db);
  try {
    const id = newScanId();
    const parts: Array<{ id: string; status: string; targets: number; hostsDone: number; elapsedMs: number }> = [];
    out.beginScan(id, { mergedFrom: inputs });
    let services = 0;
    for (const file of inputs) {
      const src = new Store(file);
      try {
        const srcId = src.latestScanId();
        const row = srcId === null ? null : src.scan(srcId);
        if (row === null) throw new UsageError(`no scan in ${file}`);
        parts.push({
          id: row.id,
          status: row.status,
          targets: row.targets,
          hostsDone: row.hostsDone,
          elapsedMs: row.elapsedMs,
        });
        services += out.addServices(id, src.services(row.id), isExposedRecord);
      } finally {
        src.close();
      }
    }
    const allDone = parts.every((p) => p.status === 'done');
    out.saveProgress(id, { step: 0n, pending: [], hostsDone: parts.reduce((a, p) => a + p.hostsDone, 0) });
    out.finishScan(
      id,
      allDone ? 'done' : 'interrupted',
      parts.reduce((a, p) => a + p.targets, 0),
      Math.max(0, ...parts.map((p) => p.elapsedMs)),
    );
    io.stdout(`${JSON.stringify({ ...out.summary(id), mergedFrom: parts.map((p) => p.id) })}\n`);
    io.stderr(
      `opendoor: merged ${parts.length} scans (${services} services) into scan ${id} in ${outPath}${allDone ? '' : '; some inputs were unfinished'}\n`,
    );
    return 0;
  } finally {
    out.close();
  }
}
