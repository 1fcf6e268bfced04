/**
 * A tolerant HTML reader for pages that list patients: one linear pass over the text (indexOf and
 * a hand-written tag reader, no backtracking regular expression over the page) into a small element
 * tree, with the implicit closings the old generators rely on (`<TD>` without `</TD>`, `<li>`, `<dt>`,
 * `<p>`), raw text for scripts and styles, and a cap on the number of nodes. No DOM, no scripts run.
 */

export interface El {
  tag: string;
  attrs: Record<string, string>;
  kids: Array<El | string>;
  parent: El | null;
}

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
  'frame',
]);
const RAW = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'noscript']);
/** Inline elements: their text joins the text around them without a space. */
export const INLINE = new Set([
  'a',
  'b',
  'i',
  'em',
  'strong',
  'small',
  'font',
  'u',
  'span',
  'abbr',
  'sub',
  'sup',
  'code',
  'mark',
  'time',
  'nobr',
  'label',
  'bdi',
]);
/** A page of 1 MiB holds fewer; the cap bounds memory on a hostile one. */
const MAX_NODES = 300_000;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,6});/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
const isNameStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

interface Tag {
  name: string;
  attrs: Record<string, string>;
  end: number;
  close: boolean;
}

/**
 * One start or end tag read from `i` (at '<'): its name, attributes and where it ends; or, when it is
 * no tag, how far it was read (that much is text: each character is read once, whatever the page).
 */
function readTag(html: string, i: number): Tag | { text: number } {
  let j = i + 1;
  const close = html.charCodeAt(j) === 47;
  if (close) j++;
  if (!isNameStart(html.charCodeAt(j))) return { text: i + 1 };
  const start = j;
  while (j < html.length && !isSpace(html.charCodeAt(j)) && html[j] !== '>' && html[j] !== '/') j++;
  const name = html.slice(start, j).toLowerCase();
  const attrs: Record<string, string> = {};
  while (j < html.length) {
    while (j < html.length && (isSpace(html.charCodeAt(j)) || html[j] === '/')) j++;
    if (j >= html.length) return { text: j };
    if (html[j] === '>') return { name, attrs, end: j + 1, close };
    if (html[j] === '<') return { text: j };
    const a = j;
    while (j < html.length && !isSpace(html.charCodeAt(j)) && html[j] !== '=' && html[j] !== '>') j++;
    const key = html.slice(a, j).toLowerCase();
    while (j < html.length && isSpace(html.charCodeAt(j))) j++;
    let value = '';
    if (html[j] === '=') {
      j++;
      while (j < html.length && isSpace(html.charCodeAt(j))) j++;
      const q = html[j];
      if (q === '"' || q === "'") {
        const e = html.indexOf(q, j + 1);
        if (e < 0) return { text: j + 1 };
        value = html.slice(j + 1, e);
        j = e + 1;
      } else {
        const v = j;
        while (j < html.length && !isSpace(html.charCodeAt(j)) && html[j] !== '>') j++;
        value = html.slice(v, j);
      }
    }
    if (key !== '' && !(key in attrs)) attrs[key] = decodeEntities(value);
  }
  return { text: j };
}

/** Close the nearest open `tags` above the nearest `stop` (the implicit end tags of HTML). */
function implicitClose(cur: El, tags: ReadonlySet<string>, stop: ReadonlySet<string>): El {
  for (let e: El | null = cur; e !== null; e = e.parent) {
    if (tags.has(e.tag)) return e.parent ?? e;
    if (stop.has(e.tag)) break;
  }
  return cur;
}

const CELL = new Set(['td', 'th']);
const ROW = new Set(['tr', 'td', 'th']);
const SECTION = new Set(['thead', 'tbody', 'tfoot', 'tr', 'td', 'th']);
const TABLE = new Set(['table']);
const ROW_STOP = new Set(['tr', 'table']);
const LI = new Set(['li']);
const LIST = new Set(['ul', 'ol', 'table']);
const DTDD = new Set(['dt', 'dd']);
const DL = new Set(['dl', 'table']);
const P = new Set(['p']);
const P_STOP = new Set(['div', 'td', 'th', 'li', 'table', 'body']);
const OPTION = new Set(['option']);
const SELECT = new Set(['select']);

function openImplied(cur: El, tag: string): El {
  if (tag === 'td' || tag === 'th') return implicitClose(cur, CELL, ROW_STOP);
  if (tag === 'tr') return implicitClose(cur, ROW, TABLE);
  if (tag === 'thead' || tag === 'tbody' || tag === 'tfoot') return implicitClose(cur, SECTION, TABLE);
  if (tag === 'li') return implicitClose(cur, LI, LIST);
  if (tag === 'dt' || tag === 'dd') return implicitClose(cur, DTDD, DL);
  if (tag === 'option') return implicitClose(cur, OPTION, SELECT);
  if (tag === 'p' || tag === 'div' || tag === 'table' || tag === 'ul' || tag === 'dl')
    return implicitClose(cur, P, P_STOP);
  return cur;
}

export function parseHtml(html: string): El {
  const root: El = { tag: '#root', attrs: {}, kids: [], parent: null };
  const lower = html.toLowerCase();
  let cur = root;
  let nodes = 0;
  let i = 0;
  const n = html.length;
  while (i < n && nodes < MAX_NODES) {
    const lt = html.indexOf('<', i);
    const end = lt < 0 ? n : lt;
    if (end > i) {
      cur.kids.push(decodeEntities(html.slice(i, end)));
      nodes++;
    }
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const e = html.indexOf('-->', lt + 4);
      i = e < 0 ? n : e + 3;
      continue;
    }
    if (html[lt + 1] === '!' || html[lt + 1] === '?') {
      const e = html.indexOf('>', lt);
      i = e < 0 ? n : e + 1;
      continue;
    }
    const tag = readTag(html, lt);
    if ('text' in tag) {
      cur.kids.push(decodeEntities(html.slice(lt, tag.text)));
      nodes++;
      i = tag.text;
      continue;
    }
    i = tag.end;
    if (tag.close) {
      for (let e: El | null = cur; e !== null && e !== root; e = e.parent) {
        if (e.tag === tag.name) {
          cur = e.parent ?? root;
          break;
        }
        // an end tag never closes across a table it is not in
        if (e.tag === 'table' && tag.name !== 'table') break;
      }
      continue;
    }
    cur = openImplied(cur, tag.name);
    const el: El = { tag: tag.name, attrs: tag.attrs, kids: [], parent: cur };
    cur.kids.push(el);
    nodes++;
    if (RAW.has(tag.name)) {
      const e = lower.indexOf(`</${tag.name}`, i);
      const stop = e < 0 ? n : e;
      if (stop > i)
        el.kids.push(
          tag.name === 'title' || tag.name === 'textarea' ? decodeEntities(html.slice(i, stop)) : html.slice(i, stop),
        );
      const gt = e < 0 ? n : html.indexOf('>', e);
      i = gt < 0 ? n : gt + 1;
      continue;
    }
    if (!VOID.has(tag.name)) cur = el;
  }
  return root;
}

/** The element's text, white space folded (inline elements joined without a space). */
export function textOf(el: El): string {
  const only = el.kids.length === 1 ? el.kids[0] : undefined;
  if (typeof only === 'string')
    return /^\S[^\n\t\r]*\S$|^\S$/.test(only) && !only.includes('  ') ? only : only.replace(/\s+/g, ' ').trim();
  const parts: string[] = [];
  const walk = (e: El) => {
    for (const k of e.kids) {
      if (typeof k === 'string') parts.push(k);
      else if (k.tag !== 'script' && k.tag !== 'style' && k.tag !== 'select') {
        const block = !INLINE.has(k.tag);
        if (block) parts.push(' ');
        walk(k);
        if (block) parts.push(' ');
      }
    }
  };
  walk(el);
  return parts.join('').replace(/\s+/g, ' ').trim();
}

/** Every element below `el` (depth first, document order) for which `pick` is true. */
export function findAll(el: El, pick: (e: El) => boolean): El[] {
  const out: El[] = [];
  const stack: El[] = [el];
  while (stack.length > 0) {
    const e = stack.pop() as El;
    if (e !== el && pick(e)) out.push(e);
    for (let k = e.kids.length - 1; k >= 0; k--) {
      const kid = e.kids[k];
      if (kid !== undefined && typeof kid !== 'string') stack.push(kid);
    }
  }
  return out;
}

export const elementKids = (el: El): El[] => el.kids.filter((k): k is El => typeof k !== 'string');
