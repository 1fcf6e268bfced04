/**
 * Monitors where no page is served (src/monitor/): a store, a way to start scans and a webhook
 * receiver, no dashboard. Two runs of one monitor; the second finds a new exposed service and its
 * alert is stored and delivered, signed, to the receiver.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Alert } from '../src/monitor/alert.js';
import { MonitorInputError, Monitors, type ScanScope } from '../src/monitor/monitors.js';
import { signature } from '../src/monitor/webhook.js';
import { openStore } from '../src/store/open.js';
import { createLogger } from '../src/util/log.js';
import { exposure, finding, serviceRecord } from './harness/records.js';

test('a monitor runs, compares and delivers its alert with no dashboard', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-monitor-'));
  const store = await openStore(path.join(dir, 'm.db'));
  const got: Array<{ body: string; signature: unknown; delivery: unknown }> = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      got.push({ body, signature: req.headers['x-opendoor-signature'], delivery: req.headers['x-opendoor-delivery'] });
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  // each scan "runs" at once: the first finds one closed DICOM port, the next an exposed one too
  let runs = 0;
  const scans = {
    check: (r: ScanScope) => {
      if (r.targets.includes('nowhere')) throw new MonitorInputError('bad target');
    },
    start: async (_r: ScanScope, id: string) => {
      runs++;
      await store.beginScan(id, { targets: [{ spec: '127.0.0.9' }] });
      const records = [serviceRecord('127.0.0.9', 104)];
      if (runs > 1)
        records.push(
          serviceRecord('127.0.0.9', 4242, { exposure: exposure(2), findings: [finding('dicom-open-query')] }),
        );
      await store.recordHost(id, records, null);
      await store.finishScan(id, 'done', 1, 5);
      return id;
    },
  };
  const monitors = new Monitors(
    store,
    scans,
    createLogger('error', () => undefined),
  );
  try {
    await monitors.start();
    await assert.rejects(
      monitors.put({ name: 'bad', targets: ['nowhere'], schedule: '0 0 1 1 *', timezone: 'UTC' }),
      MonitorInputError,
    );
    const { secret } = await monitors.put({
      name: 'ward',
      targets: ['127.0.0.9'],
      schedule: '0 0 1 1 *',
      timezone: 'UTC',
      webhook: `http://127.0.0.1:${port}/hook`,
    });
    assert.ok(secret !== null);
    await monitors.runNow('ward');
    assert.equal((await store.monitors.alerts(10, 0)).total, 0, 'the first run has nothing to compare with');
    await monitors.runNow('ward');
    const { items } = await store.monitors.alerts(10, 0);
    assert.equal(items.length, 1);
    const alert = JSON.parse(items[0]?.payload ?? '{}') as Alert;
    assert.deepEqual(
      alert.new.map((s) => [s.host, s.port]),
      [['127.0.0.9', 4242]],
    );
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, 1, 'the webhook got the alert');
    assert.equal(got[0]?.signature, signature(secret, got[0]?.body ?? ''));
    assert.equal(got[0]?.delivery, items[0]?.id);
  } finally {
    await monitors.stop();
    receiver.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
