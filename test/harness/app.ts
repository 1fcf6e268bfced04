/**
 * The dashboard's application in this process (Fastify's inject: no socket, no network), on a
 * SQLite store in a temporary folder with one finished scan, an admin and a viewer with API tokens.
 * Scans it is asked to start are validated under the CLI's rules and never run: no probe is sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { newScanId } from '../../src/engine/scan.js';
import type { ServiceRecord } from '../../src/output/records.js';
import { type ScanLauncher, scanArgs } from '../../src/serve/launcher.js';
import { Monitors } from '../../src/monitor/monitors.js';
import { newToken, sha256 } from '../../src/serve/secrets.js';
import { buildServer } from '../../src/serve/server.js';
import type { Store } from '../../src/store/store.js';
import { openStore } from '../../src/store/open.js';
import { createLogger } from '../../src/util/log.js';
import { exposure, finding, serviceRecord } from './records.js';

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  tokens: { admin: string; viewer: string };
  /** The id of the finished scan it holds. */
  scanId: string;
  /** Every line the server logged. */
  logs: string[];
  /** Scan requests it validated (none ran). */
  started: string[];
  close(): Promise<void>;
}

const POLICY = { rate: '1000', concurrency: '64', timeout: '3000' };

export async function startApp(): Promise<TestApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-app-'));
  const store = await openStore(path.join(dir, 'app.db'));
  const logs: string[] = [];
  const log = createLogger('info', (l) => void logs.push(l));
  const started: string[] = [];
  const launcher: ScanLauncher = {
    start: async (r, id = newScanId()) => {
      scanArgs(r, POLICY); // an InputError (400) when the CLI would refuse it
      started.push(id);
      return id;
    },
    running: () => [],
    stop: async () => undefined,
  };
  const monitors = new Monitors(store, { start: launcher.start, check: (r) => scanArgs(r, POLICY) }, log);
  const scanId = 'scan-1';
  await store.beginScan(scanId, { targets: ['127.0.0.1'] });
  await store.recordHost(
    scanId,
    [
      serviceRecord('127.0.0.7', 104, {
        product: 'Orthanc',
        // a made-up called AE title was accepted: "any called AE"
        dicom: { calledAe: 'OPENDOOR-NOSUCH', anyCalledAe: true } as ServiceRecord['dicom'],
        exposure: exposure(3),
        findings: [finding('dicom-open-query')],
      }),
      serviceRecord('127.0.0.7', 8042, { protocol: 'http' }),
    ],
    null,
  );
  await store.finishScan(scanId, 'done', 1, 10);
  const tokens = { admin: newToken(), viewer: newToken() };
  for (const role of ['admin', 'viewer'] as const) {
    await store.accounts.putUser(role, role, 'scrypt$not-a-hash');
    await store.accounts.addToken(sha256(tokens[role]), role);
  }
  const app = await buildServer({ store, launcher, monitors, log });
  await app.ready();
  return {
    app,
    store,
    tokens,
    scanId,
    logs,
    started,
    close: async () => {
      await app.close();
      await monitors.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
