/** A streamed scan's input as the SQL store keeps it: lines as read, items as expanded, read back a page at a time. */
import type { InputJournal, ResumeState, WorkItem } from '../types/work.js';
import { PAGE, type SqlRunner } from './runner.js';
import type { StoredLine } from './store.js';

type InputRow = { idx: number; host: string; ports: string; open: number };
const inputItem = (row: InputRow): WorkItem => ({
  idx: BigInt(row.idx),
  host: row.host,
  ports: JSON.parse(row.ports) as number[],
  open: row.open === 1,
});

export class SqlInputs {
  /** Next arrival index of each streamed scan written through this connection. */
  private readonly nextInput = new Map<string, number>();

  constructor(private readonly q: SqlRunner) {}

  /** Store one streamed work item; null when the same host and ports came before (probed once). */
  private async addInput(scanId: string, host: string, ports: number[], open: boolean): Promise<bigint | null> {
    let next = this.nextInput.get(scanId);
    if (next === undefined)
      next =
        (
          await this.q.db.all<{ n: number }>('SELECT COALESCE(MAX(idx), -1) + 1 AS n FROM inputs WHERE scan_id = ?', [
            scanId,
          ])
        )[0]?.n ?? 0;
    const changed = await this.q.db.run(
      'INSERT INTO inputs (scan_id, idx, host, ports, open) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [scanId, next, host, JSON.stringify(ports), open ? 1 : 0],
    );
    if (changed !== 1) return null;
    this.nextInput.set(scanId, next + 1);
    return BigInt(next);
  }

  async journal(scanId: string): Promise<InputJournal> {
    let next =
      (
        await this.q.read<{ n: number }>('SELECT COALESCE(MAX(n), -1) + 1 AS n FROM input_lines WHERE scan_id = ?', [
          scanId,
        ])
      )[0]?.n ?? 0;
    return {
      addInput: (host, ports, open) => this.q.journalWrite(() => this.addInput(scanId, host, ports, open)),
      addLine: (text) =>
        this.q.journalWrite(async () => {
          const n = next++;
          await this.q.db.run('INSERT INTO input_lines (scan_id, n, text) VALUES (?, ?, ?)', [scanId, n, text]);
          return n;
        }),
      lineDone: async (n) => {
        await this.q.journalWrite(() =>
          this.q.db.run('UPDATE input_lines SET done = 1 WHERE scan_id = ? AND n = ?', [scanId, n]),
        );
      },
    };
  }

  async lines(scanId: string): Promise<StoredLine[]> {
    const rows = await this.q.read<{ n: number; text: string | null; done: number }>(
      'SELECT n, text, done FROM input_lines WHERE scan_id = ? ORDER BY n',
      [scanId],
    );
    return rows.map((r) => ({ n: r.n, text: r.text, done: r.done === 1 }));
  }

  async count(scanId: string): Promise<number> {
    return (
      (await this.q.read<{ n: number }>('SELECT COUNT(*) AS n FROM inputs WHERE scan_id = ?', [scanId]))[0]?.n ?? 0
    );
  }

  async *items(scanId: string, from: ResumeState): AsyncGenerator<WorkItem> {
    for (const idx of from.pending) {
      const row = (
        await this.q.read<InputRow>('SELECT idx, host, ports, open FROM inputs WHERE scan_id = ? AND idx = ?', [
          scanId,
          Number(idx),
        ])
      )[0];
      if (row !== undefined) yield inputItem(row);
    }
    for (let at = from.step; ; ) {
      const rows = await this.q.read<InputRow>(
        'SELECT idx, host, ports, open FROM inputs WHERE scan_id = ? AND idx >= ? ORDER BY idx LIMIT ?',
        [scanId, Number(at), PAGE],
      );
      for (const row of rows) yield { ...inputItem(row), next: BigInt(row.idx) + 1n };
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE) return;
      at = BigInt(last.idx) + 1n;
    }
  }
}
