/** What changed between two scans: new exposures, fixed ones, and changes on services seen in both. */
import { planArgsOf } from '../engine/storedArgs.js';
import { type ServiceRecord, isExposedRecord } from '../output/records.js';
import type { Store } from '../store/store.js';
import { TargetSet } from '../targets/space.js';
import { parseTarget } from '../targets/spec.js';
import { collect } from '../util/async.js';

export interface ServiceChange {
  host: string;
  port: number;
  changes: string[];
}

export interface ScanDiff {
  type: 'diff';
  scanA: string;
  scanB: string;
  new: Array<{ host: string; port: number; product: string | null; findings: string[] }>;
  fixed: Array<{ host: string; port: number; product: string | null; findings: string[]; now: 'gone' | 'not exposed' }>;
  changed: ServiceChange[];
}

const MEASURED_FINDINGS = new Set(['http-plain-phi', 'dicom-retrievable', 'http-retrievable']);

const key = (s: ServiceRecord) => `${s.host}\u0000${s.port}`;
const brief = (s: ServiceRecord) => ({
  host: s.host,
  port: s.port,
  product: s.product,
  findings: s.findings.map((f) => f.id),
});

/** What changed on one service between two records of it (a scan and a later one). */
export function serviceChanges(a: ServiceRecord, b: ServiceRecord): string[] {
  const out: string[] = [];
  const ea = a.exposure;
  const eb = b.exposure;
  // counts are compared only where both scans measured them (a --depth detect scan has none)
  if (ea !== null && eb !== null) {
    for (const k of ['patients', 'studies', 'series', 'instances'] as const) {
      if (ea[k] !== eb[k]) out.push(`${k} ${ea[k]} → ${eb[k]} (${eb[k] > ea[k] ? '+' : ''}${eb[k] - ea[k]})`);
    }
    const addedPhi = eb.phi.filter((p) => !ea.phi.includes(p));
    const removedPhi = ea.phi.filter((p) => !eb.phi.includes(p));
    if (addedPhi.length > 0) out.push(`now returns ${addedPhi.join(', ')}`);
    if (removedPhi.length > 0) out.push(`no longer returns ${removedPhi.join(', ')}`);
  } else if (ea === null && eb !== null && eb.studies > 0) {
    out.push(`now counted: ${eb.patients} patients, ${eb.studies} studies`);
  }
  if ((a.dicom?.calledAe ?? null) !== (b.dicom?.calledAe ?? null))
    out.push(`accepted called AE ${a.dicom?.calledAe ?? 'none'} → ${b.dicom?.calledAe ?? 'none'}`);
  if (a.dicom?.anyCallingAe !== b.dicom?.anyCallingAe)
    out.push(
      `accepts unknown calling AE: ${String(a.dicom?.anyCallingAe ?? null)} → ${String(b.dicom?.anyCallingAe ?? null)}`,
    );
  if (a.transport !== b.transport) out.push(b.transport === 'tls' ? 'TLS added' : 'TLS removed');
  if ((a.http?.auth ?? null) !== (b.http?.auth ?? null))
    out.push(`HTTP auth ${a.http?.auth ?? '-'} → ${b.http?.auth ?? '-'}`);
  if (a.product !== b.product || a.version !== b.version)
    out.push(
      `product ${[a.product, a.version].join(' ').trim() || '-'} → ${[b.product, b.version].join(' ').trim() || '-'}`,
    );
  // findings that only a count or a download can establish are not compared across depths
  const measured = ea !== null && eb !== null;
  const comparable = (id: string) => measured || !MEASURED_FINDINGS.has(id);
  const fa = new Set(a.findings.map((f) => f.id).filter(comparable));
  const fb = new Set(b.findings.map((f) => f.id).filter(comparable));
  for (const f of fb) if (!fa.has(f)) out.push(`new finding ${f}`);
  for (const f of fa) if (!fb.has(f)) out.push(`resolved finding ${f}`);
  return out;
}

/** `inScopeB` tells whether scan B looked at a host at all: a host outside its scope is not "fixed". */
export function diffScans(
  scanA: string,
  a: Iterable<ServiceRecord>,
  scanB: string,
  b: Iterable<ServiceRecord>,
  inScopeB: (host: string) => boolean = () => true,
): ScanDiff {
  const before = new Map([...a].map((s) => [key(s), s]));
  const after = new Map([...b].map((s) => [key(s), s]));
  const d: ScanDiff = { type: 'diff', scanA, scanB, new: [], fixed: [], changed: [] };
  for (const [k, s] of after) {
    const old = before.get(k);
    if (isExposedRecord(s) && (old === undefined || !isExposedRecord(old))) d.new.push(brief(s));
    else if (old !== undefined) {
      const changes = serviceChanges(old, s);
      if (changes.length > 0) d.changed.push({ host: s.host, port: s.port, changes });
    }
  }
  for (const [k, s] of before) {
    if (!isExposedRecord(s)) continue;
    const now = after.get(k);
    if (now === undefined && inScopeB(s.host)) d.fixed.push({ ...brief(s), now: 'gone' });
    else if (now !== undefined && !isExposedRecord(now)) d.fixed.push({ ...brief(s), now: 'not exposed' });
  }
  return d;
}

/** Whether a scan's targets (minus its exclusions) cover a host; unknown scopes (merged scans) cover everything. */
function scopeOf(args: string): (host: string) => boolean {
  const a = planArgsOf(args);
  if (a === null || a.stream === true) return () => true;
  const targets = new TargetSet(a.targets.map((t) => parseTarget(t.spec)));
  const excludes = new TargetSet(a.excludes.map(parseTarget));
  return (host) => (targets.hasNames || targets.has(host)) && !excludes.has(host);
}

/** Two stored scans compared (`diff`, the dashboard, monitors); the id of a scan that is not there instead. */
export async function diffStored(store: Store, a: string, b: string): Promise<ScanDiff | string> {
  const [ra, rb] = await Promise.all([store.scan(a), store.scan(b)]);
  if (ra === null) return a;
  if (rb === null) return b;
  const [sa, sb] = [await collect(store.services(a)), await collect(store.services(b))];
  return diffScans(a, sa, b, sb, scopeOf(rb.args));
}

export function diffText(d: ScanDiff): string {
  const lines = [`opendoor diff ${d.scanA} → ${d.scanB}`, ''];
  lines.push(
    `NEW exposures (${d.new.length})`,
    ...d.new.map((s) => `  + ${s.host}:${s.port} ${s.product ?? ''} ${s.findings.join(', ')}`.trimEnd()),
    '',
  );
  lines.push(
    `FIXED (${d.fixed.length})`,
    ...d.fixed.map((s) => `  - ${s.host}:${s.port} ${s.product ?? ''} (${s.now}; was ${s.findings.join(', ')})`),
    '',
  );
  lines.push(
    `CHANGED (${d.changed.length})`,
    ...d.changed.flatMap((c) => [`  ~ ${c.host}:${c.port}`, ...c.changes.map((x) => `      ${x}`)]),
  );
  return `${lines.join('\n')}\n`;
}
