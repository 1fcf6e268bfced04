/**
 * Synthetic studies for tests, written by dcmtk's dump2dcm: no real patient data, and a marker
 * string planted in every patient-identifying text field so a test can prove opendoor never
 * writes any of it anywhere.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './procs.js';

/** Found in no opendoor source or output unless patient data leaked. */
export const PHI_MARKER = 'QZXPHIMARKER';

export interface ArchiveShape {
  patients: number;
  studiesPerPatient: number;
  seriesPerStudy: number;
  instancesPerSeries: number;
}

export interface Archive {
  files: string[];
  patients: number;
  studies: number;
  series: number;
  instances: number;
}

const ROOT = '2.25.271828182845904523536';

/** The UIDs of one synthetic instance (patient p, study st, series se, instance i; all from 0). */
export function instanceUids(
  p: number,
  st: number,
  se: number,
  i: number,
): { study: string; series: string; sop: string } {
  const study = `${ROOT}.${p}.${st}`;
  const series = `${study}.${se}`;
  return { study, series, sop: `${series}.${i}` };
}

/** The dump2dcm text of one synthetic instance. */
export function dumpText(p: number, st: number, se: number, i: number): string {
  const { study, series } = instanceUids(p, st, se, i);
  const year = 2000 + ((p * 7 + st) % 24);
  return [
    '(0008,0005) CS [ISO_IR 100]',
    '(0008,0016) UI =SecondaryCaptureImageStorage',
    `(0008,0018) UI [${series}.${i}]`,
    `(0008,0020) DA [${year}0${1 + (st % 9)}1${p % 10}]`,
    '(0008,0030) TM [101010]',
    `(0008,0050) SH [${PHI_MARKER}A${p}${st}]`,
    '(0008,0060) CS [OT]',
    `(0008,0080) LO [${PHI_MARKER} Hospital]`,
    `(0008,0090) PN [${PHI_MARKER}^Referrer]`,
    `(0010,0010) PN [${PHI_MARKER}^Patient${p}]`,
    `(0010,0020) LO [${PHI_MARKER}${p}]`,
    `(0010,0030) DA [19${50 + (p % 40)}0101]`,
    `(0010,0040) CS [${p % 2 === 0 ? 'F' : 'M'}]`,
    `(0010,1000) LO [${PHI_MARKER}OTHER${p}]`,
    `(0010,1040) LO [${PHI_MARKER} Street 1]`,
    `(0020,000d) UI [${study}]`,
    `(0020,000e) UI [${series}]`,
    `(0020,0010) SH [S${st}]`,
    `(0020,0011) IS [${se + 1}]`,
    `(0020,0013) IS [${i + 1}]`,
    '(0028,0002) US 1',
    '(0028,0004) CS [MONOCHROME2]',
    '(0028,0010) US 4',
    '(0028,0011) US 4',
    '(0028,0100) US 8',
    '(0028,0101) US 8',
    '(0028,0102) US 7',
    '(0028,0103) US 0',
    '(7fe0,0010) OB 00\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f',
    '',
  ].join('\n');
}

/** Write the archive's files into dir (one dump2dcm call per instance). */
export function makeArchive(dir: string, shape: ArchiveShape): Archive {
  const files: string[] = [];
  for (let p = 0; p < shape.patients; p++) {
    for (let st = 0; st < shape.studiesPerPatient; st++) {
      for (let se = 0; se < shape.seriesPerStudy; se++) {
        for (let i = 0; i < shape.instancesPerSeries; i++) {
          const base = path.join(dir, `p${p}-st${st}-se${se}-i${i}`);
          writeFileSync(`${base}.txt`, dumpText(p, st, se, i));
          run('dump2dcm', ['-q', '--write-xfer-little', `${base}.txt`, `${base}.dcm`]);
          files.push(`${base}.dcm`);
        }
      }
    }
  }
  const studies = shape.patients * shape.studiesPerPatient;
  const series = studies * shape.seriesPerStudy;
  return { files, patients: shape.patients, studies, series, instances: series * shape.instancesPerSeries };
}

/** One study of one instance, for archives shaped like a real day (names, times, accession numbers). */
export interface StudySpec {
  patientName: string;
  patientId: string;
  date: string;
  time: string;
  accession: string;
}

/** Write one single-instance study per spec (Latin-1 names, ISO_IR 100); returns the files. */
export function makeStudyFiles(dir: string, specs: readonly StudySpec[]): string[] {
  return specs.map((s, n) => {
    const uid = `${ROOT}.9.${n}`;
    const text = dumpText(0, 0, 0, 0)
      .split('\n')
      .map((line) => {
        if (line.startsWith('(0008,0018)')) return `(0008,0018) UI [${uid}.1.1]`;
        if (line.startsWith('(0020,000d)')) return `(0020,000d) UI [${uid}]`;
        if (line.startsWith('(0020,000e)')) return `(0020,000e) UI [${uid}.1]`;
        if (line.startsWith('(0008,0020)')) return `(0008,0020) DA [${s.date}]`;
        if (line.startsWith('(0008,0030)')) return `(0008,0030) TM [${s.time}]`;
        if (line.startsWith('(0008,0050)')) return `(0008,0050) SH [${s.accession}]`;
        if (line.startsWith('(0010,0010)'))
          return s.patientName === '' ? '(0010,0010) PN (no value available)' : `(0010,0010) PN [${s.patientName}]`;
        if (line.startsWith('(0010,0020)')) return `(0010,0020) LO [${s.patientId}]`;
        return line;
      })
      .join('\n');
    const base = path.join(dir, `study-${n}`);
    writeFileSync(`${base}.txt`, text, 'latin1');
    run('dump2dcm', ['-q', '--write-xfer-little', `${base}.txt`, `${base}.dcm`]);
    return `${base}.dcm`;
  });
}

const FAMILY_M = [
  'MARTIN',
  'MÜLLER',
  'MOREAU',
  'MEYER',
  'MORENO',
  'MILLER',
  'MARTINEZ',
  'MORIN',
  'MERCIER',
  'MAIER',
  'MAYER',
  'MOLINA',
  'MARCHAND',
  'MASSON',
  'MÜNCH',
  'MANCINI',
];
const FAMILY_OTHER = [
  'DUPONT',
  'GARCÍA',
  'SCHMIDT',
  'ROSSI',
  'BERNARD',
  'LÓPEZ',
  'WEBER',
  'RUSSO',
  'PETIT',
  'FISCHER',
  'ÖZTÜRK',
  'ÉMERY',
  "O'BRIEN",
  'VAN DAMME',
  'DE LA CRUZ',
];
const GIVEN = [
  'ANNA',
  'JEAN',
  'MARIE',
  'HANS',
  'LUCÍA',
  'GIULIA',
  'PIERRE',
  'JOSÉ',
  'ELENA',
  'KLAUS',
  'SOPHIE',
  'MARCO',
];

/**
 * A busy archive: `perDate` studies on each of `dates`, times spread over the working day, family
 * names skewed towards M as real ones are, some with accents, without a given name, with the
 * given name only (`^JEAN`), empty, or digits; about one patient in five has two studies.
 * Deterministic from its arguments; synthetic, no real person.
 */
export function busyDay(dates: readonly string[], perDate: number): { specs: StudySpec[]; patients: number } {
  const specs: StudySpec[] = [];
  const patientIds = new Set<string>();
  let n = 0;
  for (const date of dates) {
    for (let i = 0; i < perDate; i++, n++) {
      const repeat = n % 5 === 4 && n > 10; // a returning patient: same name and ID as an earlier study
      const p = repeat ? n - 7 : n;
      const kind = p % 40;
      const family =
        p % 10 < 6
          ? (FAMILY_M[(p * 7) % FAMILY_M.length] as string)
          : (FAMILY_OTHER[(p * 3) % FAMILY_OTHER.length] as string);
      const given = GIVEN[(p * 5) % GIVEN.length] as string;
      const name =
        kind === 13
          ? ''
          : kind === 17
            ? `^${given}`
            : kind === 23
              ? family
              : kind === 29
                ? `${1000 + p}`
                : `${family}^${given}`;
      const patientId = `${(7 * p + 100003) % 1000000}`.padStart(7, '0');
      patientIds.add(patientId);
      const secs = 7 * 3600 + ((i * 97 + n * 13) % (12 * 3600));
      const time = [Math.floor(secs / 3600), Math.floor((secs % 3600) / 60), secs % 60]
        .map((v) => String(v).padStart(2, '0'))
        .join('');
      specs.push({
        patientName: name,
        patientId,
        date,
        time,
        accession: `ACC${date.slice(2)}${String(i).padStart(4, '0')}`,
      });
    }
  }
  return { specs, patients: patientIds.size };
}
