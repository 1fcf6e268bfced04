/** The standing opt-out list as the SQL store keeps it: one row a scope, keyed on its one spelling. */
import type { SqlRunner } from './runner.js';
import type { OptOutRow, OptOutStore } from './store.js';

export class SqlOptOuts implements OptOutStore {
  constructor(private readonly q: SqlRunner) {}

  add(scope: string, reason: string, by: string): Promise<'added' | 'updated'> {
    return this.q.write(async () => {
      if ((await this.q.db.run('UPDATE optouts SET reason = ? WHERE scope = ?', [reason, scope])) === 1)
        return 'updated';
      await this.q.db.run('INSERT INTO optouts (scope, reason, added_by, created) VALUES (?, ?, ?, ?)', [
        scope,
        reason,
        by,
        new Date().toISOString(),
      ]);
      return 'added';
    });
  }

  async list(): Promise<OptOutRow[]> {
    const rows = await this.q.read<OptOutRow>('SELECT scope, reason, added_by AS "by", created FROM optouts');
    // in code, not SQL: the same order on both backends whatever the database's collation
    return rows.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.scope < b.scope ? -1 : 1));
  }

  async remove(scope: string): Promise<boolean> {
    return (await this.q.write(() => this.q.db.run('DELETE FROM optouts WHERE scope = ?', [scope]))) === 1;
  }
}
