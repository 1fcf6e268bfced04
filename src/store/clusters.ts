/**
 * Clusters as the SQL store keeps them: while a scan runs, its print key (shared by every worker of
 * the scan) and each host's prints; once its clusters are judged, the clusters alone — the key and
 * the prints are erased in the same transaction, so nothing kept can be tested against guessed
 * patient values or linked to another scan. A print is a keyed digest, never a value.
 */
import { CLUSTER_BASES, type Cluster, type ClusterBasis, type HostPrints } from '../fingerprint/cluster.js';
import type { SqlDriver } from './driver.js';
import type { SqlRunner } from './runner.js';
import type { ClusterStore } from './store.js';

const isBasis = (s: string): s is ClusterBasis => (CLUSTER_BASES as readonly string[]).includes(s);

/** A host's prints, written with its records (in their transaction); written again, they replace what was there. */
export async function writePrints(db: SqlDriver, scanId: string, host: string, prints: HostPrints): Promise<void> {
  await db.run('DELETE FROM host_prints WHERE scan_id = ? AND host = ?', [scanId, host]);
  for (const b of CLUSTER_BASES) {
    const p = prints[b];
    if (p !== undefined)
      await db.run('INSERT INTO host_prints (scan_id, host, basis, print) VALUES (?, ?, ?, ?)', [scanId, host, b, p]);
  }
}

export class SqlClusters implements ClusterStore {
  constructor(private readonly q: SqlRunner) {}

  async printKey(scanId: string, make: () => string): Promise<string> {
    await this.q.write(() =>
      this.q.db.run('INSERT INTO scan_keys (scan_id, print_key) VALUES (?, ?) ON CONFLICT (scan_id) DO NOTHING', [
        scanId,
        make(),
      ]),
    );
    const rows = await this.q.read<{ key: string }>('SELECT print_key AS key FROM scan_keys WHERE scan_id = ?', [
      scanId,
    ]);
    const key = rows[0]?.key;
    if (key === undefined) throw new Error('no print key');
    return key;
  }

  async prints(scanId: string): Promise<Array<{ host: string; prints: HostPrints }>> {
    const rows = await this.q.read<{ host: string; basis: string; print: string }>(
      'SELECT host, basis, print FROM host_prints WHERE scan_id = ? ORDER BY host, basis',
      [scanId],
    );
    const by = new Map<string, HostPrints>();
    for (const r of rows) {
      if (!isBasis(r.basis)) continue;
      const p = by.get(r.host) ?? {};
      p[r.basis] = r.print;
      by.set(r.host, p);
    }
    return [...by].map(([host, prints]) => ({ host, prints }));
  }

  async judged(scanId: string, clusters: readonly Cluster[]): Promise<void> {
    await this.q.write(async () => {
      await this.q.db.run('DELETE FROM clusters WHERE scan_id = ?', [scanId]);
      for (const c of clusters)
        await this.q.db.run('INSERT INTO clusters (scan_id, id, size, basis, fleet, hosts) VALUES (?, ?, ?, ?, ?, ?)', [
          scanId,
          c.id,
          c.size,
          c.basis.join(','),
          c.fleet ? 1 : 0,
          JSON.stringify(c.hosts),
        ]);
      await this.q.db.run('DELETE FROM host_prints WHERE scan_id = ?', [scanId]);
      await this.q.db.run('DELETE FROM scan_keys WHERE scan_id = ?', [scanId]);
    });
  }

  async list(scanId: string): Promise<Cluster[]> {
    const rows = await this.q.read<{ id: string; size: number; basis: string; fleet: number; hosts: string }>(
      'SELECT id, size, basis, fleet, hosts FROM clusters WHERE scan_id = ?',
      [scanId],
    );
    return rows
      .map((r) => ({
        id: r.id,
        size: Number(r.size),
        basis: r.basis.split(',').filter(isBasis),
        fleet: Number(r.fleet) === 1,
        hosts: JSON.parse(r.hosts) as string[],
      }))
      .sort((a, b) => b.size - a.size || Number(a.id.slice(1)) - Number(b.id.slice(1)));
  }
}
