/**
 * A store's readers (OpenOptions.readers, what serve opens), on both backends (SQLite, and a real
 * PostgreSQL started here on loopback): a read issued while a large write is in flight answers
 * before that write settles and sees what was committed before it (without readers it waits in
 * line and sees the write); a streamed scan still reads back its own journal before it is
 * committed; PostgreSQL's pool is bounded and used at once.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';
import { serviceRecord } from './harness/records.js';
import { type Postgres, startPostgres } from './harness/postgres.js';
import { removeDir, tempDir } from './harness/procs.js';

let server: Postgres | null = null;
const dir = tempDir('readers');
before(async () => {
  server = await startPostgres('127.0.88.7');
});
after(async () => {
  await server?.stop();
  removeDir(dir);
});

let files = 0;
const BACKENDS: Array<{ name: string; fresh: () => Promise<string> }> = [
  { name: 'sqlite', fresh: async () => path.join(dir, `r${files++}.db`) },
  { name: 'postgres', fresh: () => (server as Postgres).database() },
];

/** Hosts of 2 records each, `n` records in all, for one write. */
function hosts(n: number, first = 0) {
  return Array.from({ length: n }, (_, i) => {
    const h = first + Math.floor(i / 2);
    return serviceRecord(`127.${60 + ((h >> 16) & 15)}.${(h >> 8) & 255}.${h & 255}`, i % 2 === 0 ? 104 : 8042);
  });
}

/** Issues a large write and, in the same tick, a count of the scan's services: which settled first, and what the count saw. */
async function readDuringWrite(store: Store, first: number): Promise<{ readFirst: boolean; seen: number }> {
  const order: string[] = [];
  const write = store.recordHost('s', hosts(20_000, first), null).then(() => order.push('write'));
  const read = store.scan('s').then((r) => {
    order.push('read');
    return r?.services ?? -1;
  });
  const [, seen] = await Promise.all([write, read]);
  return { readFirst: order[0] === 'read', seen };
}

for (const b of BACKENDS)
  describe(`readers on ${b.name}`, () => {
    test('a read during a large write answers first, from what was committed; without readers it waits its turn', async () => {
      const db = await b.fresh();
      const seed = await openStore(db);
      await seed.beginScan('s', { targets: [] });
      await seed.recordHost('s', hosts(100), null);
      await seed.close();

      const withReaders = await openStore(db, { readers: 2 });
      try {
        assert.equal((await withReaders.scan('s'))?.services, 100); // the pool's first connection made
        const r = await readDuringWrite(withReaders, 1000);
        assert.deepEqual(r, { readFirst: true, seen: 100 });
        assert.equal((await withReaders.scan('s'))?.services, 20_100, 'once settled, the write is read');
      } finally {
        await withReaders.close();
      }

      const inLine = await openStore(db);
      try {
        const r = await readDuringWrite(inLine, 50_000);
        assert.deepEqual(r, { readFirst: false, seen: 40_100 });
      } finally {
        await inLine.close();
      }
    });

    test("a streamed scan's journal, not committed yet, is read back in line", async () => {
      const store = await openStore(await b.fresh(), { readers: 2 });
      try {
        await store.beginScan('j', { targets: [] });
        const journal = await store.journal('j');
        const n = await journal.addLine('127.0.0.1');
        await journal.addInput('127.0.0.1', [104], false);
        // within the journal's batch (committed with the next write or 50 ms later): issued and read at once
        const pending = journal.addInput('127.0.0.2', [104], false);
        const [lines, count] = await Promise.all([store.inputLines('j'), store.inputCount('j'), pending]);
        assert.deepEqual(lines, [{ n, text: '127.0.0.1', done: false }]);
        assert.equal(count, 2);
      } finally {
        await store.close();
      }
    });
  });

test('PostgreSQL: the readers are a bounded pool, used at once', async () => {
  const db = await (server as Postgres).database();
  const store = await openStore(db, { readers: 3 });
  const watch = new pg.Client(db);
  await watch.connect();
  try {
    await store.beginScan('p', { targets: [] });
    await store.recordHost('p', hosts(2000), null);
    // many reads at once: they spread over the pool, never beyond it
    const pages = await Promise.all(
      Array.from({ length: 24 }, (_, i) => store.servicesPage('p', 50, i * 50, { sort: 'port' })),
    );
    assert.deepEqual(
      pages.map((p) => p.items.length),
      Array(24).fill(50),
    );
    const readers = await watch.query(
      "SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = 'opendoor reader' AND datname = current_database()",
    );
    const open = Number(readers.rows[0]?.n);
    assert.ok(open >= 2 && open <= 3, `${open} reading connections`);
  } finally {
    await watch.end();
    await store.close();
  }
});
