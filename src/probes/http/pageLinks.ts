/**
 * Where a person would click next on a page: its links (query-string-only ones too), frames, forms
 * sent by GET with no required field (as submitted untouched), the JSON endpoints its scripts name and
 * its same-origin scripts (read for the endpoints they name). Same origin only, GET only, and never
 * a request that reads like a change (GET is all we send, but some applications change state on GET).
 * The ones that speak of patients, studies, lists or paging come first.
 */
import { type El, findAll, textOf } from './pageTree.js';

export interface NextRequest {
  path: string;
  /** 'script': read only for the endpoints it names. */
  kind: 'page' | 'script';
  /** Speaks of patients, studies, lists or paging: asked before the rest. */
  hot: boolean;
}

const CHANGE =
  /delete|remove|logout|logoff|signout|drop|purge|edit|update|upload|send|move|action=|anonymi[sz]|modify|change|reset|shutdown|restart/i;
const HOT =
  /patien|pacien|pazien|stud(y|ies|ie|io)|exam|worklist|liste?|series|dicom|radiolog|befund|untersuchung|imag|next|page|seite|weiter|suivant|siguiente|»|›|>>/i;
const STATIC = /\.(css|png|jpe?g|gif|svg|ico|woff2?|ttf|eot|map|pdf|zip|mp4|dcm)(\?|$)/i;
const MIME = /^(application|text|image|audio|video|multipart|font)\//i;
const ENDPOINT_WORDS =
  /patien|pacien|stud|exam|worklist|series|list|search|query|find|record|dicom|json|api|rest|data/i;
/** The leading path of a string literal in a script (a template literal up to its first `${`). */
const PATH_LITERAL = /["'`](\.{0,2}\/?[A-Za-z0-9_\-.~%/]*[A-Za-z0-9_\-~%/](?:\?[A-Za-z0-9_\-.~%=&+]*)?)(?=["'`]|\$\{)/g;
const MAX_ENDPOINTS = 10;
const DICOMWEB_ROOT = /(dicom-?web|\/rs|\/qido(-rs)?)\/?$/i;

function resolve(raw: string, base: string, origin: string): string | null {
  try {
    const u = new URL(raw.trim(), base);
    if (u.origin !== origin || STATIC.test(u.pathname)) return null;
    const path = u.pathname + u.search;
    return CHANGE.test(path) ? null : path;
  } catch {
    return null;
  }
}

/** Paths a script names that may answer JSON: same origin, not a static file, not a change. */
export function scriptEndpoints(code: string, base: string, origin: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(PATH_LITERAL)) {
    const s = m[1] as string;
    if (!/[/?]|\.json$/.test(s) || MIME.test(s) || s.startsWith('//') || !ENDPOINT_WORDS.test(s)) continue;
    // a DICOMweb root a viewer's configuration names: its study list is `{root}/studies` (QIDO-RS)
    const p = resolve(DICOMWEB_ROOT.test(s) ? `${s.replace(/\/$/, '')}/studies` : s, base, origin);
    if (p !== null && !out.includes(p)) out.push(p);
    if (out.length >= MAX_ENDPOINTS) break;
  }
  return out;
}

/** A GET form as its submission with every field left as served; null when it needs input or is not GET. */
function formRequest(form: El, base: string, origin: string): string | null {
  if ((form.attrs['method'] ?? 'get').toLowerCase() !== 'get') return null;
  const fields = findAll(form, (e) => e.tag === 'input' || e.tag === 'select' || e.tag === 'textarea');
  const q = new URLSearchParams();
  for (const f of fields) {
    const type = (f.attrs['type'] ?? 'text').toLowerCase();
    if ('required' in f.attrs || type === 'password' || type === 'file') return null;
    const name = f.attrs['name'];
    if (name === undefined || name === '' || type === 'reset' || type === 'image') continue;
    if ((type === 'checkbox' || type === 'radio') && !('checked' in f.attrs)) continue;
    if (type === 'submit' || type === 'button') {
      if (f === fields.find((x) => ['submit'].includes((x.attrs['type'] ?? '').toLowerCase())))
        q.append(name, f.attrs['value'] ?? '');
      continue;
    }
    if (f.tag === 'select') {
      const options = findAll(f, (e) => e.tag === 'option');
      const chosen = options.find((o) => 'selected' in o.attrs) ?? options[0];
      q.append(name, chosen === undefined ? '' : (chosen.attrs['value'] ?? textOf(chosen)));
    } else q.append(name, f.tag === 'textarea' ? textOf(f) : (f.attrs['value'] ?? ''));
  }
  try {
    const u = new URL((form.attrs['action'] ?? '').trim() || base, base);
    u.search = q.toString();
    return resolve(u.href, base, origin);
  } catch {
    return null;
  }
}

/** What a person (or the page's scripts) would ask next from this page, hot ones first. */
export function nextRequests(root: El, base: string, origin: string): NextRequest[] {
  const out: NextRequest[] = [];
  const seen = new Set<string>();
  const add = (path: string | null, kind: NextRequest['kind'], hot: boolean) => {
    if (path === null || seen.has(path)) return;
    seen.add(path);
    out.push({ path, kind, hot });
  };
  for (const e of findAll(root, (x) => ['a', 'area', 'frame', 'iframe', 'form', 'script'].includes(x.tag))) {
    if (e.tag === 'a' || e.tag === 'area') {
      const href = e.attrs['href'];
      if (href === undefined || href.startsWith('#') || /^(javascript|mailto|tel|data):/i.test(href)) continue;
      add(resolve(href, base, origin), 'page', HOT.test(`${href} ${textOf(e)} ${e.attrs['title'] ?? ''}`));
    } else if (e.tag === 'frame' || e.tag === 'iframe') {
      if (e.attrs['src'] !== undefined) add(resolve(e.attrs['src'], base, origin), 'page', true);
    } else if (e.tag === 'form') {
      const says = findAll(e, (x) => x.tag === 'input').map((x) => x.attrs['value'] ?? '');
      add(formRequest(e, base, origin), 'page', HOT.test(`${e.attrs['action'] ?? ''} ${textOf(e)} ${says.join(' ')}`));
    } else if (e.attrs['src'] !== undefined) {
      const p = resolve(e.attrs['src'], base, origin);
      if (p !== null && /\.m?js(\?|$)/i.test(p)) add(p, 'script', false);
    } else {
      for (const p of scriptEndpoints(textOf(e), base, origin)) add(p, 'page', true);
    }
  }
  return [...out.filter((x) => x.hot), ...out.filter((x) => !x.hot)];
}
