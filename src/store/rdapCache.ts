/**
 * RDAP answers as the SQL store keeps them: a network's range as fixed-width lowercase hex (8
 * digits for IPv4, 32 for IPv6), so text comparison is address order on both backends (byte order:
 * PostgreSQL's columns are COLLATE "C").
 */
import type { SqlRunner } from './runner.js';
import type { RdapCacheStore, RdapNetworkRow } from './store.js';

const hex = (family: 4 | 6, v: bigint): string => v.toString(16).padStart(family === 4 ? 8 : 32, '0');

export class SqlRdapCache implements RdapCacheStore {
  constructor(private readonly q: SqlRunner) {}

  async find(family: 4 | 6, address: bigint, notBefore: number): Promise<RdapNetworkRow | null> {
    const a = hex(family, address);
    // among the kept networks that cover it, the one starting last is the innermost
    const row = (
      await this.q.read<{ first: string; last: string; abuse: string; fetched: number | string }>(
        `SELECT first, last, abuse, fetched FROM rdap_networks
         WHERE family = ? AND first <= ? AND last >= ? AND fetched >= ? ORDER BY first DESC, last ASC LIMIT 1`,
        [family, a, a, notBefore],
      )
    )[0];
    if (row === undefined) return null;
    return {
      family,
      first: BigInt(`0x${row.first}`),
      last: BigInt(`0x${row.last}`),
      abuse: JSON.parse(row.abuse) as string[],
      fetched: Number(row.fetched),
    };
  }

  async put(r: RdapNetworkRow): Promise<void> {
    await this.q.write(() =>
      this.q.db.run(
        `INSERT INTO rdap_networks (family, first, last, abuse, fetched) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (family, first, last) DO UPDATE SET abuse = excluded.abuse, fetched = excluded.fetched`,
        [r.family, hex(r.family, r.first), hex(r.family, r.last), JSON.stringify(r.abuse), r.fetched],
      ),
    );
  }
}
