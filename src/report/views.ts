/**
 * The HTML opendoor writes (the report, owner letters, the HTML part of a mail), from Eta views in views/ as the
 * dashboard's pages are: every value escaped by `<%= %>`, nothing written raw. The escape writes
 * numeric character references (&#60;), as the report always has.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

/** `&`, `<`, `>`, `"` and `'` as numeric character references; null and undefined as nothing. */
function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const VIEWS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'views');

// whitespace as written in the views (no trimming): the report's markup is compared in tests
const eta = new Eta({ views: VIEWS, cache: true, autoEscape: true, escapeFunction: escapeHtml, autoTrim: false });

/** One view (views/NAME.eta) with its data as `it`. */
export function renderView(name: 'report' | 'letter' | 'mail', data: object): string {
  return eta.render(`./${name}`, data);
}
