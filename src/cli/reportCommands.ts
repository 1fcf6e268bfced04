/** `opendoor report`, `opendoor diff` and `opendoor letters`: read scans back from the store and render them. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { diffStored, diffText } from '../report/diff.js';
import { REPORT_FORMATS, reportFormat } from '../report/formats.js';
import { letterHtml, letterMarkdown, letters } from '../report/letters.js';
import { type Contact, parseContacts } from '../attribution/contacts.js';
import { buildModel, type ReportModel } from '../report/model.js';
import type { Store } from '../store/store.js';
import { openStore } from '../store/open.js';
import { makeDirs } from '../util/fs.js';
import { UsageError, readText, type Io } from './io.js';

async function model(store: Store, scanId: string | undefined): Promise<ReportModel> {
  const id = scanId ?? (await store.latestScanId());
  if (id === null) throw new UsageError(`no scans in ${store.where}`);
  const m = await buildModel(store, id);
  if (m === null) throw new UsageError(`no scan ${id} in ${store.where}`);
  return m;
}

/** A reader's store, closed whatever happens. */
async function reading<T>(db: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db, { readOnly: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function write(file: string | undefined, text: string, io: Io): void {
  if (file === undefined) {
    io.stdout(text);
    return;
  }
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export async function reportCommand(
  scanId: string | undefined,
  o: { db?: string; format: string; output?: string; includeHoneypots?: boolean },
  io: Io,
): Promise<number> {
  const format = reportFormat(o.format);
  if (format === undefined)
    throw new UsageError(`--format must be one of ${REPORT_FORMATS.map((f) => f.name).join(', ')}, got "${o.format}"`);
  const includeHoneypots = o.includeHoneypots === true;
  if (includeHoneypots && !format.honeypotOption)
    throw new UsageError(
      `--include-honeypots applies to ${REPORT_FORMATS.filter((f) => f.honeypotOption)
        .map((f) => f.name)
        .join(', ')} only`,
    );
  const m = await reading(o.db, (store) => model(store, scanId));
  write(o.output, format.render(m, { includeHoneypots }), io);
  return 0;
}

export async function diffCommand(a: string, b: string, o: { db?: string; json?: boolean }, io: Io): Promise<number> {
  const d = await reading(o.db, async (store) => {
    const d = await diffStored(store, a, b);
    if (typeof d === 'string') throw new UsageError(`no scan ${d} in ${store.where}`);
    return d;
  });
  io.stdout(o.json === true ? `${JSON.stringify(d)}\n` : diffText(d));
  return 0;
}

export async function lettersCommand(
  scanId: string | undefined,
  o: { db?: string; owners?: string; format: string; output: string },
  io: Io,
): Promise<number> {
  if (o.format !== 'md' && o.format !== 'html') throw new UsageError(`--format must be md or html, got "${o.format}"`);
  let owners: Contact[] = [];
  if (o.owners !== undefined) {
    owners = parseContacts(o.owners, readText(o.owners, 'owners file', io.stdin));
  }
  const m = await reading(o.db, (store) => model(store, scanId));
  try {
    makeDirs(o.output);
  } catch (e) {
    throw new UsageError(`cannot write letters to ${o.output}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const all = letters(m, owners);
  for (const l of all) {
    const file = path.join(o.output, `${l.slug}.${o.format}`);
    writeFileSync(file, o.format === 'md' ? letterMarkdown(l, m.scan.id) : letterHtml(l, m.scan.id));
    io.stdout(`${file}\n`);
  }
  io.stderr(`opendoor: ${all.length} letters in ${o.output}\n`);
  return 0;
}
