/** `opendoor scans`: the scans in the database (id, started, status, hosts done, targets, services, exposed, counts). */
import { scanRecord } from '../output/records.js';
import { columns } from '../output/table.js';
import { openStore } from '../store/open.js';
import type { Io } from './io.js';

export async function scansCommand(o: { db?: string; json?: boolean }, io: Io): Promise<number> {
  const store = await openStore(o.db, { readOnly: true });
  try {
    const rows = await store.listScans();
    if (o.json === true) {
      for (const r of rows) io.stdout(`${JSON.stringify(scanRecord(r))}\n`);
      return 0;
    }
    const header = ['SCAN', 'STARTED', 'STATUS', 'HOSTS DONE', 'TARGETS', 'SERVICES', 'EXPOSED', 'PATIENTS', 'STUDIES'];
    const cells = rows.map((r) => [
      r.id,
      r.started.replace(/\.\d+Z$/, 'Z'),
      r.status,
      String(r.hostsDone),
      String(r.targets),
      String(r.services),
      String(r.exposed),
      String(r.patients),
      String(r.studies),
    ]);
    io.stdout(columns([header, ...cells]));
    return 0;
  } finally {
    await store.close();
  }
}
