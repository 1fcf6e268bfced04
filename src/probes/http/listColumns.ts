/**
 * Is this set of records a list of patients or studies, and which column holds what? Read from the
 * values first — DICOM person names (FAMILY^GIVEN) and "Family, Given", DICOM and ISO dates (birth
 * dates spread over decades, study dates close together), sexes, UIDs, modality codes, identifiers of
 * one repeated shape — and from the headers in any wording (possessives, abbreviations, several
 * languages), which add confidence and tell birth from study dates. Several such columns make a
 * list even with no header; a header whose column's values contradict it is not believed.
 */
import type { Cell, RecordSet } from './pageRecords.js';

/** A row of a list: attribute → value (in memory only), and the study UID its links name. */
export interface ListRow {
  values: Record<string, string>;
  studyUid: string | null;
}

export interface ListVerdict {
  /** Attribute names of the columns recognised (PHI and others, such as Modality). */
  columns: string[];
  rows: ListRow[];
}

/** Header vocabulary on normalised text (lower case, no accents, no possessive, no punctuation). */
const HEADERS: ReadonlyArray<[RegExp, string, 1 | 2]> = [
  [
    /^(name|nom|nombre|nome|naam|navn|namn|full name|surname|last name|family name|nachname|apellidos?|cognome)$/,
    'PatientName',
    1,
  ],
  [
    /^((patient|patients|pat|pt|patienten|paciente|paziente)( full)? ?(name|nom|nombre|nome)|(nom|nombre|nome)( (du|del|of|de))? (patient|paciente|paziente)|patientenname|patient|paciente|patiente?|nom prenom|cognome nome|nome paziente|name vorname|nachname vorname)$/,
    'PatientName',
    2,
  ],
  [/^(id|nr|no|num|number|nummer|numero|ident|identifier|identifiant|identificador)$/, 'PatientID', 1],
  [
    /^((patient|patients|pat|pt|patienten|paciente|paziente)( ?(id|ident|identifier|nr|no|num|number|nummer|numero|code|codice|#))|(id|n|no|numero|codice|code) (du |del |de )?(patient|paciente|paziente|dossier)|pid|mrn|ipp|nhc|medical record( number| no)?|record number|kis nr|pat nr|patid|patientid|fall ?nr|fallnummer|dossier)$/,
    'PatientID',
    2,
  ],
  [
    /^((patient )?(birth ?date|date of birth|birthday|birth|born|dob|d o b)|geb|geb datum|geb dat|gebdat|gebdatum|geburtsdatum|geburtstag|date de naissance|date naiss|ne le|ne e le|ddn|fecha (de )?nacimiento|f nac|fec nac|fecha nac|data (di )?nascita|data nasc|geboortedatum|fodelsedatum)$/,
    'PatientBirthDate',
    2,
  ],
  [/^((patient )?(sex|gender)|sexe|geschlecht|geschl|sexo|sesso|geslacht|kon|m f|m w|f m|w m)$/, 'PatientSex', 2],
  [
    /^(accession|acc|accession (number|no|nr|num|#)|acc (no|nr|num|number)|accno|accessionnumber|auftrags? ?(nummer|nr)|auftrag|anforderungs? ?(nummer|nr)|n d examen|no d examen|numero d examen|no examen|numero (de )?acceso|numero di accesso|order (number|no|nr|id)|requested procedure id)$/,
    'AccessionNumber',
    2,
  ],
  [/^(date|datum|fecha|data|dat|date time)$/, 'StudyDate', 1],
  [
    /^((study|exam|examination|studien|scan|acquisition) ?(date|datum)( time)?|untersuchungsdatum|studiendatum|aufnahmedatum|date (de l )?examen|date d etude|date de l etude|fecha (del )?estudio|data (dello )?studio|onderzoeksdatum)$/,
    'StudyDate',
    2,
  ],
  [/^((study )?(instance )?uid|studyinstanceuid|study iuid|study uid)$/, 'StudyInstanceUID', 2],
  [
    /^((referring|ref) ?(physician|phys|doctor|dr|md)?|referring physician name|zuweiser|uberweiser|einsender|medecin( prescripteur| traitant)?|prescripteur|medico (remitente|richiedente|solicitante)|referrer)$/,
    'ReferringPhysicianName',
    2,
  ],
  [
    /^((study|exam) ?(description|desc)|description|beschreibung|untersuchung|examen|procedure|descripcion|descrizione|study description|study name|studienbeschreibung)$/,
    'StudyDescription',
    2,
  ],
  [
    /^((study )?modalit(y|ies)( in study)?|mod|modalitat|modalite|modalidad|modalita|modalities in study)$/,
    'Modality',
    2,
  ],
];

/** Header text → words: lower case, accents dropped, camelCase and possessives undone, punctuation gone. */
export function normaliseHeader(h: string): string {
  return h
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’`´]/g, "'")
    .replace(/'s\b/g, '')
    .replace(/\(e\)/g, '')
    .replace(/[^a-z0-9#]+/g, ' ')
    .trim();
}

export function headerAttribute(h: string): { attr: string; strength: 1 | 2 } | null {
  const n = normaliseHeader(h);
  if (n === '' || n.length > 40) return null;
  for (const [re, attr, strength] of HEADERS) if (re.test(n)) return { attr, strength };
  return null;
}

const PN = /^\p{L}[^^=<>]{0,63}\^[^^=<>]{0,64}(\^[^^=<>]{0,64}){0,3}$/u;
const NAME_COMMA = /^\p{Lu}[\p{L}'’ -]{0,40}, ?\p{L}[\p{L}'’. -]{0,40}$/u;
const PERSONISH = /^[\p{L}'’.^, -]{2,80}$/u;
const SEX =
  /^(m|f|o|w|d|male|female|other|unknown|mannlich|männlich|weiblich|divers|masculin|feminin|féminin|homme|femme|maschio|femmina|hombre|mujer|masculino|femenino)$/i;
const UID = /^(1\.\d+(\.\d+){3,}|2\.25\.\d{6,}(\.\d+)*)$/;
const MODALITIES = new Set(
  'CT MR CR DX US MG NM PT XA RF OT SR SC DR IO PX RG ES XC OP OCT SM ECG EPS HD IVUS KO PR SEG RTSTRUCT RTPLAN RTDOSE RTIMAGE BMD DOC AU GM LS TG VL BI DG HC MS ST'.split(
    ' ',
  ),
);
const ID = /^[A-Za-z0-9][A-Za-z0-9_\-/.]{1,23}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A date's year, when the text is a date in a form archives write (DICOM, ISO, European, US). */
export function dateYear(v: string): number | null {
  const m =
    /^((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/.exec(v) ??
    /^((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[ T][\d:.]+Z?)?$/.exec(v);
  if (m !== null) return Number(m[1]);
  const e = /^(\d\d?)[./](\d\d?)[./]((?:19|20)\d\d)$/.exec(v);
  return e !== null && Number(e[1]) <= 31 && Number(e[2]) <= 31 ? Number(e[3]) : null;
}

type Kind = 'pn' | 'comma' | 'date' | 'sex' | 'uid' | 'modality' | 'id';

interface Column {
  header: { attr: string; strength: 1 | 2 } | null;
  values: string[];
  kinds: Set<Kind>;
  years: number[];
}

const share = (vs: string[], test: (v: string) => boolean, at = 0.8) =>
  vs.length > 0 && vs.filter(test).length >= Math.ceil(vs.length * at);

function kindsOf(vs: string[]): { kinds: Set<Kind>; years: number[] } {
  const kinds = new Set<Kind>();
  const years = vs.map(dateYear).filter((y): y is number => y !== null);
  if (vs.length === 0) return { kinds, years };
  const distinct = new Set(vs).size;
  if (share(vs, (v) => PN.test(v), 0.6)) kinds.add('pn');
  else if (share(vs, (v) => NAME_COMMA.test(v), 0.6)) kinds.add('comma');
  if (years.length >= Math.ceil(vs.length * 0.8)) kinds.add('date');
  if (share(vs, (v) => SEX.test(v), 0.9) && vs.some((v) => /^(m|f|w)/i.test(v))) kinds.add('sex');
  if (share(vs, (v) => UID.test(v) && !v.startsWith('1.2.840.10008.')) && distinct >= vs.length * 0.8) kinds.add('uid');
  if (share(vs, (v) => v.split(/[\\/, ]+/).every((m) => MODALITIES.has(m.toUpperCase())), 0.9)) kinds.add('modality');
  if (
    !kinds.has('date') &&
    !kinds.has('uid') &&
    share(
      vs,
      (v) => ID.test(v) && /\d/.test(v) && !/^\d+[.,]\d{1,2}$/.test(v) && !/^\d{1,3}$/.test(v) && !IPV4.test(v),
    ) &&
    distinct >= vs.length * 0.8
  ) {
    const shapes = new Map<string, number>();
    for (const v of vs) {
      const s = v.replace(/[A-Za-z]+/g, 'A').replace(/\d+/g, '9');
      shapes.set(s, (shapes.get(s) ?? 0) + 1);
    }
    if (Math.max(...shapes.values()) >= vs.length * 0.6) kinds.add('id');
  }
  return { kinds, years };
}

/** Do a column's values fit what its header says? (A header over other things is not believed.) */
function fits(attr: string, c: Column): boolean {
  const vs = c.values;
  if (vs.length === 0) return true;
  switch (attr) {
    case 'PatientName':
      return c.kinds.has('pn') || c.kinds.has('comma') || share(vs, (v) => PERSONISH.test(v), 0.6);
    case 'PatientBirthDate':
    case 'StudyDate':
      return c.kinds.has('date') || share(vs, (v) => dateYear(v.split(/[ T]/)[0] ?? '') !== null, 0.6);
    case 'PatientSex':
      return c.kinds.has('sex');
    case 'PatientID':
    case 'AccessionNumber':
      return share(vs, (v) => v.length <= 64 && v.split(' ').length <= 3, 0.8) && !c.kinds.has('date');
    case 'StudyInstanceUID':
      return c.kinds.has('uid');
    case 'Modality':
      return c.kinds.has('modality');
    default:
      return true;
  }
}

const median = (ys: number[]) => [...ys].sort((a, b) => a - b)[Math.floor(ys.length / 2)] ?? 0;
const IDENTIFYING = ['PatientName', 'PatientID', 'PatientBirthDate', 'AccessionNumber'];

/** The columns' attributes: headers where their values fit, else what the values are. */
function attributes(cols: Column[]): Array<string | null> {
  const attrs: Array<string | null> = cols.map((c) =>
    c.header !== null && fits(c.header.attr, c) ? c.header.attr : null,
  );
  // one column an attribute: the more specific header wins ("Patient ID" over a bare "ID")
  for (let i = 0; i < cols.length; i++)
    for (let j = 0; j < cols.length; j++)
      if (
        i !== j &&
        attrs[i] !== null &&
        attrs[i] === attrs[j] &&
        (cols[i]?.header?.strength ?? 0) < (cols[j]?.header?.strength ?? 0)
      )
        attrs[i] = null;
  const has = (a: string) => attrs.includes(a);
  const free = cols.map((c, i) => (attrs[i] === null && c.header === null ? i : -1)).filter((i) => i >= 0);
  for (const i of free) {
    const k = (cols[i] as Column).kinds;
    if ((k.has('pn') || k.has('comma')) && !has('PatientName')) attrs[i] = 'PatientName';
    else if (k.has('sex') && !has('PatientSex')) attrs[i] = 'PatientSex';
    else if (k.has('uid') && !has('StudyInstanceUID')) attrs[i] = 'StudyInstanceUID';
    else if (k.has('modality') && !has('Modality')) attrs[i] = 'Modality';
  }
  // dates: the older of two is the birth date; one alone, by its spread (births span decades)
  const dates = free.filter((i) => attrs[i] === null && cols[i]?.kinds.has('date'));
  const byAge = [...dates].sort((a, b) => median(cols[a]?.years ?? []) - median(cols[b]?.years ?? []));
  for (const i of byAge) {
    const ys = cols[i]?.years ?? [];
    const spread = Math.max(...ys) - Math.min(...ys);
    const birth =
      !has('PatientBirthDate') &&
      (byAge.length > 1 ? i === byAge[0] : spread >= 15 || median(ys) < new Date().getFullYear() - 30);
    if (birth) attrs[i] = 'PatientBirthDate';
    else if (!has('StudyDate')) attrs[i] = 'StudyDate';
  }
  for (const i of free)
    if (attrs[i] === null && cols[i]?.kinds.has('id')) {
      if (!has('PatientID')) attrs[i] = 'PatientID';
      else if (!has('AccessionNumber')) attrs[i] = 'AccessionNumber';
    }
  return attrs;
}

const STUDY_LINK = /stud[^0-9]{0,30}?((?:1\.\d+(?:\.\d+){3,}|2\.25\.\d{6,}(?:\.\d+)*))/i;

function linkStudy(cells: Cell[]): string | null {
  for (const c of cells)
    for (const h of c.hrefs) {
      const m = STUDY_LINK.exec(decodeURIComponent(h.replace(/\+/g, ' ')).slice(0, 2048));
      if (m !== null) return m[1] as string;
    }
  return null;
}

/** The list this record set is, or null when it is a table of something else. */
export function classify(set: RecordSet): ListVerdict | null {
  let rows = set.rows;
  let headers = set.headers;
  if (headers === null && set.firstRow !== 'data' && rows.length > 0) {
    const first = (rows[0] as Cell[]).map((c) => c.text);
    const named = first.filter((t) => headerAttribute(t) !== null).length;
    if (set.firstRow === 'th' || named >= 2 || (named >= 1 && first.every((t) => !/\d/.test(t)))) {
      headers = first;
      rows = rows.slice(1);
    }
  }
  if (rows.length === 0) return null;
  const width = Math.max(...rows.map((r) => r.length));
  const cols: Column[] = [];
  for (let i = 0; i < width; i++) {
    const values = rows
      .slice(0, 500)
      .map((r) => r[i]?.text.trim() ?? '')
      .filter((v) => v !== '');
    const h = headers?.[i] ?? rows.find((r) => r[i]?.hint)?.[i]?.hint ?? null;
    cols.push({ header: h === null ? null : headerAttribute(h), values, ...kindsOf(values) });
  }
  const attrs = attributes(cols);
  const studyUids = rows.map(linkStudy);
  const is = (a: string) => attrs.includes(a);
  const byValue = (k: Kind) => cols.some((c, i) => attrs[i] !== null && c.kinds.has(k));
  const identifying = IDENTIFYING.filter(is).length;
  const named = byValue('pn') || byValue('comma');
  const strongHeader = (a: string) => cols.some((c, i) => attrs[i] === a && c.header?.strength === 2);
  const strongId = IDENTIFYING.some(strongHeader);
  const patients =
    (identifying >= 2 && (named || strongId)) ||
    (is('PatientName') &&
      (is('PatientSex') || is('PatientBirthDate') || is('StudyDate')) &&
      (named || byValue('date') || byValue('sex')));
  // a study is named by its UID (a cell or its links) or an accession number under its header
  const linked = studyUids.filter((u) => u !== null).length >= Math.ceil(rows.length * 0.8);
  const studyKey = is('StudyInstanceUID') || strongHeader('AccessionNumber') || linked;
  const studies =
    studyKey &&
    (is('StudyDate') || is('Modality') || is('StudyDescription')) &&
    (byValue('date') || byValue('uid') || byValue('modality') || linked);
  if (!patients && !studies) return null;
  return {
    columns: attrs.filter((a): a is string => a !== null),
    rows: rows.map((r, n) => {
      const values: Record<string, string> = {};
      attrs.forEach((a, i) => {
        const v = r[i]?.text.trim() ?? '';
        if (a !== null && v !== '') values[a] = v;
      });
      return { values, studyUid: studyUids[n] ?? null };
    }),
  };
}
