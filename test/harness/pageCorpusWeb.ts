/**
 * The corpus, continued: viewers whose lists are built in the browser (OHIF, Kheops, MedDream, the
 * Horos/OsiriX web portal), hospital intranet layouts none of our other tests use, and pages of tables
 * of other things that must not be taken for patient lists. Sources as cited per fixture; where the
 * product's source was not reachable here, its documentation (said so).
 */
import { dotted, type Fixture, html, iso, jsonPage, people, type Person } from './pageCorpus.js';

const pn = (p: Person) => `${p.family}^${p.given}`;
const comma = (p: Person) => `${p.family}, ${p.given[0]}${p.given.slice(1).toLowerCase()}`;

/**
 * OHIF's study list: an empty page whose app-config.js names a DICOMweb data source
 * (`dataSources[].configuration.qidoRoot`, as platform/app/public/config/default.js of OHIF/Viewers
 * does; from the OHIF configuration documentation) at a root none of our DICOMweb paths guess; the list
 * is QIDO-RS `{qidoRoot}/studies` in DICOM JSON.
 */
export function ohif(): Fixture {
  const ps = people(3, (i) => 1 + (i % 2) + (i === 2 ? 1 : 0), 6);
  const v = (vr: string, x: unknown) => ({ vr, Value: [x] });
  return {
    name: 'OHIF study list (QIDO-RS at a configured root)',
    source: 'OHIF/Viewers platform/app/public/config/default.js layout, from the OHIF configuration docs',
    expect: {
      patients: 3,
      studies: 5,
      phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'AccessionNumber', 'StudyDescription'],
    },
    serve(url) {
      if (url.pathname === '/')
        return html(
          '<meta name="description" content="Open Health Imaging Foundation DICOM Viewer"><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div><script src="/app-config.js"></script><script src="/app.bundle.js"></script>',
          'OHIF Viewer',
        );
      if (url.pathname === '/app-config.js')
        return {
          type: 'application/javascript',
          body: "window.config = {\n  routerBasename: '/',\n  dataSources: [{\n    sourceName: 'dicomweb',\n    configuration: { friendlyName: 'Hospital PACS', wadoUriRoot: '/pacs/wado', qidoRoot: '/pacs/dicom-web', wadoRoot: '/pacs/dicom-web', qidoSupportsIncludeField: false },\n  }],\n};\n",
        };
      if (url.pathname !== '/pacs/dicom-web/studies') return null;
      return {
        ...jsonPage(
          ps.flatMap((p) =>
            p.studies.map((s) => ({
              '00080020': v('DA', s.date),
              '00080050': v('SH', s.accession),
              '00080061': v('CS', s.modality),
              '00081030': v('LO', s.description),
              '00100010': v('PN', { Alphabetic: pn(p) }),
              '00100020': v('LO', p.id),
              '00100030': v('DA', p.birth),
              '00100040': v('CS', p.sex),
              '0020000D': v('UI', s.uid),
            })),
          ),
        ),
        type: 'application/dicom+json',
      };
    },
  };
}

/** Kheops: its study list API asks for a token (401 without one): rightly no list. From the Kheops docs. */
export function kheops(): Fixture {
  return {
    name: 'Kheops (token required)',
    source: 'Kheops documentation (album and user tokens on /api/studies)',
    expect: null,
    serve(url) {
      if (url.pathname === '/')
        return html(
          '<meta name="description" content="KHEOPS: share medical imaging"><div id="app"></div><script>fetch("/api/studies?includefield=00081030")</script>',
          'KHEOPS',
        );
      if (url.pathname === '/api/studies')
        return { type: 'application/json', body: '{"error":"unauthorized"}', status: 401 };
      return null;
    },
  };
}

/**
 * The Horos/OsiriX web portal's study list (its source is not among the stored repositories; from the
 * Horos web portal documentation): one list item per study, each field a span named by its class.
 */
export function horos(): Fixture {
  const ps = people(4, () => 1, 7);
  return {
    name: 'Horos web portal study list',
    source: 'Horos/OsiriX Web Portal documentation (study list); source not reachable here',
    expect: { patients: 4, studies: 4, phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'StudyDescription'] },
    serve(url) {
      if (url.pathname !== '/') return null;
      return html(
        `<h1>Horos Web Portal</h1><ul class="StudyList">${ps
          .map(
            (p) =>
              `<li class="study"><a href="/study?xid=${p.studies[0]?.uid}"><span class="patientName">${pn(p)}</span></a> <span class="patientID">${p.id}</span> <span class="dateOfBirth">${p.birth}</span> <span class="studyDate">${p.studies[0]?.date}</span> <span class="modality">${p.studies[0]?.modality}</span> <span class="studyName">${p.studies[0]?.description}</span></li>`,
          )
          .join('')}</ul>`,
        'Horos Web Portal',
      );
    },
  };
}

/**
 * MedDream's search: the application state a page carries inline for its script (written from the
 * MedDream documentation of its search list: patient, ID, birth date, study date, modality,
 * accession number; its source is closed).
 */
export function meddream(): Fixture {
  const ps = people(3, () => 2, 8);
  const state = {
    search: {
      total: 6,
      results: ps.flatMap((p) =>
        p.studies.map((s) => ({
          patientName: pn(p),
          patientId: p.id,
          birthDate: iso(p.birth),
          studyDate: iso(s.date),
          modality: s.modality,
          accessionNumber: s.accession,
          studyUid: s.uid,
        })),
      ),
    },
  };
  return {
    name: 'MedDream inline state',
    source: 'MedDream documentation (search list); closed source',
    expect: { patients: 3, studies: 6, phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'AccessionNumber'] },
    serve(url) {
      if (url.pathname !== '/') return null;
      return html(
        `<div id="md-app"></div><script>window.__MEDDREAM_STATE__ = ${JSON.stringify(state)};</script>`,
        'MedDream DICOM Viewer',
      );
    },
  };
}

/** A radiology worklist fetched by the page's script from a relative JSON endpoint, keys abbreviated. */
export function scriptJson(): Fixture {
  const ps = people(6, (i) => 1 + (i % 2), 9);
  return {
    name: 'intranet: list behind a script JSON call',
    source: 'generic intranet style',
    expect: { patients: 6, studies: 9, phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'AccessionNumber'] },
    serve(url) {
      if (url.pathname === '/')
        return html(
          "<h1>Radiologie – Arbeitsliste</h1><div id='wl'></div><script>fetch('api/worklist?limit=200').then(r => r.json()).then(show);</script>",
        );
      if (url.pathname !== '/api/worklist') return null;
      return jsonPage({
        rows: ps.flatMap((p) =>
          p.studies.map((s) => ({
            pat_nm: pn(p),
            pat_no: p.id,
            geb_dt: p.birth,
            acc: s.accession,
            mod: s.modality,
            ex_dt: s.date,
          })),
        ),
      });
    },
  };
}

/** Inline application state as a script object literal (bare keys, single quotes), one-letter keys. */
export function inlineState(): Fixture {
  const ps = people(5, () => 0, 10);
  const lit = ps.map((p) => `{n: '${pn(p)}', i: '${p.id}', b: '${iso(p.birth)}', s: '${p.sex}'}`).join(',\n  ');
  return {
    name: 'intranet: inline application state',
    source: 'generic intranet style',
    expect: { patients: 5, studies: 0, phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex'] },
    serve(url) {
      if (url.pathname !== '/') return null;
      return html(
        `<div id="ward"></div><script>\nvar state = {ward: 'Radiology', patients: [\n  ${lit}\n]};\nrender(state);\n</script>`,
      );
    },
  };
}

/** Cards, each a definition list, German labels, "Family, Given" names and dotted dates. */
export function cards(): Fixture {
  const ps = people(4, () => 0, 11);
  return {
    name: 'intranet: cards of definition lists',
    source: 'generic intranet style',
    expect: { patients: 4, studies: 0, phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'StudyDescription'] },
    serve(url) {
      if (url.pathname !== '/') return null;
      return html(
        `<h2>Stationsübersicht</h2>${ps
          .map(
            (p, i) =>
              `<div class="card"><h3>Bett ${i + 1}</h3><dl><dt>Patient</dt><dd>${comma(p)}</dd><dt>Pat.-Nr.</dt><dd>${p.id}</dd><dt>Geb.-Datum</dt><dd>${dotted(p.birth)}</dd><dt>Untersuchung</dt><dd>Röntgen Thorax</dd></dl></div>`,
          )
          .join('')}`,
      );
    },
  };
}

/** Abbreviated headers over three pages, a pager linking every page. */
export function paged(): Fixture {
  const ps = people(9, () => 1, 12);
  const page = (n: number) =>
    html(
      `<table><tr><th>Pat. Name</th><th>Pat. ID</th><th>DOB</th><th>Acc. No.</th><th>Exam Date</th><th>Mod.</th></tr>${ps
        .slice((n - 1) * 3, n * 3)
        .map(
          (p) =>
            `<tr><td>${pn(p)}</td><td>${p.id}</td><td>${p.birth}</td><td>${p.studies[0]?.accession}</td><td>${p.studies[0]?.date}</td><td>${p.studies[0]?.modality}</td></tr>`,
        )
        .join(
          '',
        )}</table><div class="pager"><a href="/list?page=1">1</a> <a href="/list?page=2">2</a> <a href="/list?page=3">3</a></div>`,
    );
  return {
    name: 'intranet: abbreviated headers, three pages',
    source: 'generic intranet style',
    expect: { patients: 9, studies: 9, phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'AccessionNumber'] },
    serve(url) {
      if (url.pathname === '/') return html('<p>PACS front: <a href="/list?page=1">worklist</a></p>');
      const n = Number(url.searchParams.get('page'));
      return url.pathname === '/list' && n >= 1 && n <= 3 ? page(n) : null;
    },
  };
}

/** A German intranet table: "Name, Vorname", Pat.-Nr., Geb.-Datum, Geschl., dotted dates. */
export function german(): Fixture {
  const ps = people(5, () => 1, 13);
  return {
    name: 'intranet: German table',
    source: 'generic intranet style',
    expect: {
      patients: 5,
      studies: 5,
      phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDescription'],
    },
    serve(url) {
      if (url.pathname !== '/') return null;
      return html(
        `<h1>Radiologie</h1><table border=1><tr><td><b>Name, Vorname</b></td><td><b>Pat.-Nr.</b></td><td><b>Geb.-Datum</b></td><td><b>Geschl.</b></td><td><b>Untersuchung</b></td><td><b>Datum</b></td></tr>${ps
          .map(
            (p) =>
              `<tr><td>${comma(p)}</td><td>${p.id}</td><td>${dotted(p.birth)}</td><td>${p.sex === 'F' ? 'W' : 'M'}</td><td>${p.studies[0]?.description}</td><td>${dotted(p.studies[0]?.date ?? '')}</td></tr>`,
          )
          .join('')}</table>`,
      );
    },
  };
}

/** A front page's query-string-only link to a table with no header at all. */
export function queryLink(): Fixture {
  const ps = people(6, () => 1, 14);
  return {
    name: 'intranet: query-string link, headerless table',
    source: 'generic intranet style',
    expect: { patients: 6, studies: 6, phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex'] },
    serve(url) {
      if (url.pathname !== '/') return null;
      if (url.searchParams.get('view') === null)
        return html('<p>Willkommen im Bildarchiv. <a href="?view=patienten">Patientenliste</a></p>');
      return html(
        `<table>${ps
          .map(
            (p) =>
              `<tr><td>${pn(p)}</td><td>${p.id}</td><td>${p.birth}</td><td>${p.sex}</td><td>${p.studies[0]?.date}</td><td><a href="?view=studie&uid=${p.studies[0]?.uid}">${p.studies[0]?.modality}</a></td></tr>`,
          )
          .join('')}</table>`,
      );
    },
  };
}

/** A div grid with a header row of its own, no classes that name the fields. */
export function divGrid(): Fixture {
  const ps = people(4, () => 0, 15);
  return {
    name: 'intranet: div grid',
    source: 'generic intranet style',
    expect: { patients: 4, studies: 0, phi: ['PatientName', 'PatientID', 'PatientBirthDate'] },
    serve(url) {
      if (url.pathname !== '/') return null;
      return html(
        `<h1>Patients</h1><div class="grid"><div class="row head"><div>Patient</div><div>ID</div><div>Born</div></div>${ps
          .map((p) => `<div class="row"><div>${comma(p)}</div><div>${p.id}</div><div>${iso(p.birth)}</div></div>`)
          .join('')}</div>`,
      );
    },
  };
}

/** Tables of other things on a page that speaks of DICOM: prices, server stats, conformance, AE titles. */
export function others(): Fixture {
  const t = (head: string[], rows: string[][]) =>
    `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`;
  return {
    name: 'tables of other things',
    source: 'generic',
    expect: null,
    serve(url) {
      if (url.pathname !== '/') return null;
      return html(
        `<h1>DICOM node status</h1>${t(
          ['Item', 'SKU', 'EAN', 'Price', 'Valid from'],
          [1, 2, 3, 4].map((i) => [
            `Contrast agent ${i}0 ml`,
            `CA-${1000 + i}`,
            `40012345${6000 + i}`,
            `${12 + i}.50`,
            `2026-0${i}-01`,
          ]),
        )}${t(
          ['Metric', 'Value', 'Last update'],
          [
            ['CPU load', '0.42', '2026-01-05T10:00:00Z'],
            ['Disk free', '512 GB', '2026-01-05T10:00:00Z'],
            ['Uptime', '12 d', '2026-01-05T10:00:00Z'],
          ],
        )}${t(
          ['SOP Class', 'UID', 'SCU', 'SCP'],
          [
            ['CT Image Storage', '1.2.840.10008.5.1.4.1.1.2', 'Yes', 'Yes'],
            ['MR Image Storage', '1.2.840.10008.5.1.4.1.1.4', 'Yes', 'Yes'],
            ['Study Root Q/R Find', '1.2.840.10008.5.1.4.1.2.2.1', 'No', 'Yes'],
          ],
        )}${t(
          ['Name', 'AE Title', 'Host', 'Port', 'Modality', 'Description'],
          [
            ['Main archive', 'ARCHIVE', '10.0.0.5', '11112', 'OT', 'Long term'],
            ['Scanner east', 'CT_EAST', '10.0.0.21', '4104', 'CT', 'Emergency'],
            ['Scanner west', 'MR_WEST', '10.0.0.22', '4105', 'MR', 'Outpatients'],
          ],
        )}`,
      );
    },
  };
}
