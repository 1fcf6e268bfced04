/** The batch scheduler alone: batches cut by size and by silence, failed sweeps retried, probe slots per host and in all. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchScheduler, SWEEP_RETRIES, type SchedulerOptions, batchSizes } from '../src/engine/batches.js';
import type { SweepJob, SweepResult } from '../src/sweep/connectSweep.js';
import type { WorkItem } from '../src/types/work.js';
import { silentLogger } from '../src/util/log.js';

const item = (i: number): WorkItem => ({ idx: BigInt(i), host: `192.0.2.${i}`, ports: [104] });
const closed = (jobs: SweepJob[]): Promise<SweepResult[]> => Promise.resolve(jobs.map(() => ({ open: [], slow: [] })));

function scheduler(o: Partial<SchedulerOptions>): { s: BatchScheduler; batches: WorkItem[][]; failed: WorkItem[][] } {
  const batches: WorkItem[][] = [];
  const failed: WorkItem[][] = [];
  const s = new BatchScheduler({
    concurrency: 2,
    batchHosts: 3,
    maxBatches: 4,
    sweep: closed,
    swept: async (items) => void batches.push(items),
    gaveUp: (items) => void failed.push(items),
    log: silentLogger,
    idleFlushMs: null,
    ...o,
  });
  return { s, batches, failed };
}

test('batch sizes: a quarter second of connects at the rate, at most 256 hosts and 2,048 connects a batch', () => {
  assert.deepEqual(batchSizes(1000, 1, 500, 0), { batchHosts: 250, maxBatches: 2 });
  assert.deepEqual(batchSizes(100_000, 4, 10_000, 2), { batchHosts: 256, maxBatches: 7 });
  assert.deepEqual(batchSizes(100, 8, 100, 0), { batchHosts: 8, maxBatches: 2 }, 'at least 64 connects a batch');
  assert.deepEqual(batchSizes(Number.POSITIVE_INFINITY, 2048, 4096, 4), { batchHosts: 1, maxBatches: 8 });
});

test('items are swept in batches of batchHosts, the last partial one when flushed, in order', async () => {
  const { s, batches } = scheduler({});
  for (let i = 0; i < 7; i++) s.add(item(i));
  s.flush();
  await s.drain();
  assert.deepEqual(
    batches.map((b) => b.map((x) => Number(x.idx))),
    [[0, 1, 2], [3, 4, 5], [6]],
  );
});

test(`a failed sweep is tried ${SWEEP_RETRIES} more times, then its items are given up`, async () => {
  let calls = 0;
  const { s, batches, failed } = scheduler({
    sweep: () => {
      calls++;
      return Promise.reject(new Error('helper died'));
    },
  });
  s.add(item(1));
  s.flush();
  await s.drain();
  assert.equal(calls, SWEEP_RETRIES + 1);
  assert.deepEqual(batches, []);
  assert.deepEqual(
    failed.map((b) => b.map((x) => x.host)),
    [['192.0.2.1']],
  );
  // one that fails once is swept again and answered
  let first = true;
  const again = scheduler({
    sweep: (jobs) => {
      if (first) {
        first = false;
        return Promise.reject(new Error('worker died'));
      }
      return closed(jobs);
    },
  });
  again.s.add(item(2));
  again.s.flush();
  await again.s.drain();
  assert.equal(again.batches.length, 1);
  assert.deepEqual(again.failed, []);
});

test('a streamed source: a partial batch is swept after the silence, not before', async () => {
  const { s, batches } = scheduler({ batchHosts: 100, idleFlushMs: 20 });
  s.add(item(1));
  s.arrived();
  await sleep(5);
  assert.equal(batches.length, 0);
  await sleep(80);
  assert.equal(batches.length, 1);
  s.stopIdle();
  await s.drain();
});

test('probes: at most --concurrency at once, one at a time per host; finishing holds no probe slot', async () => {
  const { s } = scheduler({ concurrency: 2 });
  let probing = 0;
  let most = 0;
  const perHost = new Map<string, number>();
  const order: string[] = [];
  const failures: unknown[] = [];
  const hosts = ['a', 'b', 'a', 'c', 'b', 'd'];
  for (const [i, h] of hosts.entries()) {
    await s.room(); // the walk waits while the probe slots are full
    s.host(
      h,
      async () => {
        probing++;
        most = Math.max(most, probing);
        perHost.set(h, (perHost.get(h) ?? 0) + 1);
        assert.equal(perHost.get(h), 1, `two probes of ${h} at once`);
        await sleep(5);
        perHost.set(h, (perHost.get(h) ?? 0) - 1);
        probing--;
        return i;
      },
      async (n) => {
        order.push(`${h}${n}`);
        await sleep(20); // attribution, say: the next host's probe may start meanwhile
      },
      (e) => failures.push(e),
    );
  }
  await s.drain();
  assert.equal(most, 2);
  assert.deepEqual(failures, []);
  assert.deepEqual(order.sort(), ['a0', 'a2', 'b1', 'b4', 'c3', 'd5']);
});

test('a probe that throws is reported once and frees its slot', async () => {
  const { s } = scheduler({ concurrency: 1 });
  const failures: string[] = [];
  s.host(
    'x',
    () => Promise.reject(new Error('boom')),
    async () => undefined,
    (e) => failures.push(e instanceof Error ? e.message : 'error'),
  );
  assert.equal(await s.probeSlot(() => false), true, 'the slot frees once the probe failed');
  let ran = false;
  s.host(
    'y',
    async () => {
      ran = true;
    },
    async () => undefined,
    () => undefined,
  );
  await s.drain();
  assert.deepEqual(failures, ['boom']);
  assert.equal(ran, true);
  assert.equal(await s.probeSlot(() => true), false, 'stopped: no new probe');
});
