/**
 * A store for the dashboard bench: `n` service records in one scan (hosts of 4 ports; a third of
 * the hosts exposed with findings, the rest closed doors) and two small scans for the trend,
 * written as a merge writes them (`addServices`: 512 records a transaction, many rows a
 * statement, the tallies kept in the same transaction). PostgreSQL is vacuumed and analysed after,
 * as its autovacuum would soon do. Answers a token and the cursor of the page at 90 % depth.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { ServiceRecord } from '../src/output/records.js';
import { hashPassword, newToken, sha256 } from '../src/serve/secrets.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';
import { hostileRecord } from '../test/harness/hostileText.js';

const PORTS = [104, 4242, 8042, 11112];

export const hostOf = (h: number) => `127.${200 + ((h >> 16) & 15)}.${(h >> 8) & 255}.${h & 255}`;

export function* records(n: number, first = 0): Generator<ServiceRecord> {
  for (let i = first; i < first + n; i++) {
    const h = Math.floor(i / PORTS.length);
    const r = hostileRecord(hostOf(h), PORTS[i % PORTS.length] ?? 104);
    // a third exposed, the rest closed doors (no findings), as a census looks
    yield h % 3 === 0 ? r : { ...r, findings: [], exposure: null, product: `P${h % 17}` };
  }
}

export interface Filled {
  token: string;
  /** The cursors after and before the record at 90 % depth of the big scan, and that depth. */
  deep: { after: string; before: string; offset: number };
  fillMs: number;
}

async function write(store: Store, id: string, count: number): Promise<void> {
  await store.beginScan(id, { targets: [] });
  await store.addServices(
    id,
    (async function* () {
      yield* records(count);
    })(),
  );
  await store.finishScan(id, 'done', count / PORTS.length, 1000);
}

export async function fillStore(db: string, n: number): Promise<Filled> {
  const t0 = performance.now();
  const store = await openStore(db);
  try {
    for (const [id, count] of [
      ['scan-1', 2000],
      ['scan-2', 5000],
      ['scan-big', n],
    ] as const)
      await write(store, id, count);
    if (db.startsWith('postgres')) {
      const c = new pg.Client(db);
      await c.connect();
      await c.query('VACUUM ANALYZE');
      await c.end();
    }
    const fillMs = performance.now() - t0;
    await store.accounts.putUser('bench', 'admin', await hashPassword('bench password 12'));
    const token = newToken();
    await store.accounts.addToken(sha256(token), 'bench');
    const offset = Math.floor(n * 0.9);
    const after = (await store.servicesPage('scan-big', 1, offset - 1)).next;
    const before = (await store.servicesPage('scan-big', 1, offset)).prev;
    if (after === null || before === null) throw new Error('no cursor at 90 %');
    return { token, deep: { after, before, offset }, fillMs };
  } finally {
    await store.close();
  }
}

/** Records written into a scan of their own, a host (4 records) a transaction every 5 ms, as a busy scan writes them, until stopped. */
export function writeWhile(db: string): { stop: () => Promise<number> } {
  let stopped = false;
  let written = 0;
  const done = (async () => {
    const store = await openStore(db);
    try {
      await store.beginScan('scan-live', { targets: [] });
      const state = { step: 0n, pending: [], hostsDone: 0, optedOut: 0 };
      const all = records(4_000_000, 2_000_000 * PORTS.length);
      while (!stopped) {
        const host = [...Array(PORTS.length)].map(() => all.next().value as ServiceRecord);
        await store.recordHost('scan-live', host, { ...state, hostsDone: ++state.hostsDone });
        written += host.length;
        await sleep(5);
      }
    } finally {
      await store.close();
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return written;
    },
  };
}
