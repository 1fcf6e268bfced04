/**
 * A monitor's alert: what is new, fixed or changed against the monitor's previous scan, less what
 * people acknowledged or accepted as a risk. The webhook's body (the contract's JSON) and the
 * alert mail's matter.
 */
import type { ScanDiff } from '../report/diff.js';
import type { NoteRow } from '../store/store.js';

export interface Alert {
  type: 'alert';
  monitor: string;
  scanId: string;
  previousScanId: string;
  new: ScanDiff['new'];
  fixed: ScanDiff['fixed'];
  changed: ScanDiff['changed'];
}

/** The diff less what is acknowledged or accepted: an item goes when every finding it names is. */
export function unacknowledged(d: ScanDiff, notes: readonly NoteRow[]): Pick<Alert, 'new' | 'fixed' | 'changed'> {
  const quiet = new Set(notes.filter((n) => n.state !== 'open').map((n) => `${n.host} ${n.port} ${n.finding}`));
  const isQuiet = (host: string, port: number, f: string) => quiet.has(`${host} ${port} ${f}`);
  return {
    new: d.new.filter((s) => s.findings.length === 0 || !s.findings.every((f) => isQuiet(s.host, s.port, f))),
    fixed: d.fixed,
    changed: d.changed
      .map((c) => ({
        ...c,
        changes: c.changes.filter((x) => {
          const m = /^(?:new|resolved) finding (\S+)$/.exec(x);
          return m?.[1] === undefined || !isQuiet(c.host, c.port, m[1]);
        }),
      }))
      .filter((c) => c.changes.length > 0),
  };
}
