/**
 * `opendoor optout add SCOPE [--reason TEXT]`, `optout list [--json]`, `optout remove SCOPE`: the
 * standing opt-out list in the store, which every scan, worker slice, monitor run and dashboard
 * scan reads as it starts (engine/job.ts readOptOuts).
 */
import { columns } from '../output/table.js';
import { optOutRecord } from '../output/records.js';
import { openStore } from '../store/open.js';
import { canonicalScope, optOutEntry } from '../targets/optout.js';
import { UsageError, type Io } from './io.js';

export async function optoutAddCommand(scope: string, o: { db?: string; reason?: string }, io: Io): Promise<number> {
  const e = optOutEntry(scope, o.reason);
  const store = await openStore(o.db);
  try {
    const r = await store.optouts.add(e.scope, e.reason, 'cli');
    io.stderr(`opendoor: ${e.scope} ${r === 'added' ? 'added to' : 'updated in'} the opt-out list\n`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function optoutRemoveCommand(scope: string, o: { db?: string }, io: Io): Promise<number> {
  const text = canonicalScope(scope).text;
  const store = await openStore(o.db);
  try {
    if (!(await store.optouts.remove(text)))
      throw new UsageError(`${text} is not on the opt-out list in ${store.where}`);
    io.stderr(`opendoor: ${text} removed from the opt-out list\n`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function optoutListCommand(o: { db?: string; json?: boolean }, io: Io): Promise<number> {
  const store = await openStore(o.db, { readOnly: true });
  try {
    const rows = await store.optouts.list();
    if (o.json === true) {
      for (const r of rows) io.stdout(`${JSON.stringify(optOutRecord(r))}\n`);
      return 0;
    }
    const cells = [
      ['SCOPE', 'ADDED', 'BY', 'REASON'],
      ...rows.map((r) => [r.scope, r.created.replace(/\.\d+Z$/, 'Z'), r.by, r.reason]),
    ];
    io.stdout(columns(cells));
    return 0;
  } finally {
    await store.close();
  }
}
