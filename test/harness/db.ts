/** Reading a results database back in tests and benchmarks: a comparable digest, the scan row, progress. */
import Database from 'better-sqlite3';
import type { ServiceRecord } from '../../src/output/records.js';

/** One line per service: what must be identical between an interrupted-and-resumed and a straight run. */
export function digest(db: string): string[] {
  const d = new Database(db, { readonly: true });
  try {
    const rows = d.prepare('SELECT record FROM services').all() as Array<{ record: string }>;
    return rows
      .map((r) => JSON.parse(r.record) as ServiceRecord)
      .map(
        (s) =>
          `${s.host}:${s.port} ${s.protocol}/${s.transport} ${s.product ?? '-'} ${s.dicom?.calledAe ?? '-'} ${s.findings
            .map((f) => f.id)
            .sort()
            .join(',')}`,
      )
      .sort();
  } finally {
    d.close();
  }
}

export function scanRow(db: string): { id: string; status: string } {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT id, status FROM scans').get() as { id: string; status: string };
  } finally {
    d.close();
  }
}

export async function doneCount(db: string): Promise<number> {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (d.prepare('SELECT hosts_done AS n FROM progress').get() as { n: number } | undefined)?.n ?? 0;
    } finally {
      d.close();
    }
  } catch {
    return 0;
  }
}
