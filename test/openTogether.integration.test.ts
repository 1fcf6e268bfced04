/**
 * Workers start together: several processes open the same new PostgreSQL database at once, each
 * migrating the store's schema and starting pg-boss with its queue. Each must open (CI once saw a
 * deadlock, 40P01, from pg-boss, and a duplicate CREATE TABLE from the store, 23505).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openQueue } from '../src/queue/queue.js';
import { openStore } from '../src/store/open.js';
import { createLogger } from '../src/util/log.js';
import { type Postgres, startPostgres } from './harness/postgres.js';

const OPENERS = 6;
let server: Postgres;

before(async () => {
  server = await startPostgres('127.0.97.40');
});
after(async () => server.stop());

test(`${OPENERS} stores opened at once on a new database: each opens, at the schema's version`, async () => {
  for (let round = 0; round < 3; round++) {
    const url = await server.database();
    const stores = await Promise.all(Array.from({ length: OPENERS }, () => openStore(url)));
    try {
      for (const s of stores) assert.equal((await s.listScans()).length, 0);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  }
});

test(`${OPENERS} queues started at once on a new database: each starts, one queue, a slice sent is taken once`, async () => {
  const lines: string[] = [];
  const log = createLogger('info', (l) => void lines.push(l));
  for (let round = 0; round < 3; round++) {
    const url = await server.database();
    const queues = await Promise.all(Array.from({ length: OPENERS }, () => openQueue(url, log)));
    try {
      await queues[0]?.send(`scan-${round}`, 1);
      const taken = (await Promise.all(queues.map((q) => q.take(1)))).flat();
      assert.deepEqual(
        taken.map((j) => [j.scanId, j.slice]),
        [[`scan-${round}`, 0]],
      );
    } finally {
      await Promise.all(queues.map((q) => q.stop()));
    }
  }
  assert.ok(
    lines.every((l) => !/warn|error/.test(l.split(':')[0] ?? '')),
    lines.join(''),
  );
});
