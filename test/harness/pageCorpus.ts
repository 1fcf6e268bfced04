/**
 * A corpus of web fronts that list patients, each written by hand from what the product's own source
 * generates (cited per fixture: repository, path, commit where it was read) or, where the source was
 * not reachable, from its documentation (said so). Nothing is copied from a live page; every patient
 * is synthetic and carries PHI_MARKER in its name, ID and accession, so the no-PHI check covers them.
 * A fixture is a request handler: (URL, origin) → page, or null for 404.
 */
import { PHI_MARKER } from './studies.js';

export interface Page {
  type: string;
  body: string;
  status?: number;
}

export interface Fixture {
  name: string;
  source: string;
  serve(url: URL, origin: string): Page | null;
  /** [patients, studies, phi] the probe must report, or null: rightly not a patient list. */
  expect: { patients: number; studies: number; phi: string[] } | null;
}

export interface Study {
  uid: string;
  date: string;
  accession: string;
  modality: string;
  description: string;
}

export interface Person {
  family: string;
  given: string;
  id: string;
  birth: string;
  sex: 'M' | 'F';
  studies: Study[];
}

const GIVEN = ['ANNA', 'HANS', 'MARIE', 'PAUL', 'LENA', 'OMAR', 'INES', 'YUSUF', 'CLARA', 'IVAN', 'SARA', 'TOM'];
const MODS = ['CT', 'MR', 'CR', 'US', 'MG', 'DX'];
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `n` synthetic patients with `studies(i)` studies each; `seed` keeps fixtures apart. */
export function people(n: number, studies: (i: number) => number, seed: number): Person[] {
  return Array.from({ length: n }, (_, i) => ({
    family: `${PHI_MARKER}${LETTERS[(i + seed) % 26]}${LETTERS[(i * 7 + seed) % 26]}`,
    given: GIVEN[(i + seed) % GIVEN.length] as string,
    id: `${PHI_MARKER}${seed}${100 + i}`,
    birth: `${1938 + ((i * 11 + seed) % 60)}0${1 + (i % 9)}1${i % 10}`,
    sex: i % 2 === 0 ? 'F' : 'M',
    studies: Array.from({ length: studies(i) }, (_, k) => ({
      uid: `1.2.826.0.1.3680043.99.${seed}.${i}.${k}`,
      date: `2026${String(1 + ((i + k) % 12)).padStart(2, '0')}${String(10 + k).padStart(2, '0')}`,
      accession: `${PHI_MARKER}A${seed}${i}${k}`,
      modality: MODS[(i + k + seed) % MODS.length] as string,
      description: ['Thorax', 'Knee left', 'Head', 'Abdomen'][(i + k) % 4] as string,
    })),
  }));
}

export const html = (body: string, title = ''): Page => ({
  type: 'text/html; charset=utf-8',
  body: `<html><head><title>${title}</title></head><body>${body}</body></html>`,
});
export const jsonPage = (v: unknown): Page => ({ type: 'application/json', body: JSON.stringify(v) });
export const iso = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
export const dotted = (d: string) => `${d.slice(6, 8)}.${d.slice(4, 6)}.${d.slice(0, 4)}`;
const pn = (p: Person) => `${p.family}^${p.given}`;
const total = (ps: Person[]) => ps.reduce((s, p) => s + p.studies.length, 0);

/**
 * PixelMed's web server (com.pixelmed.web.RequestTypeServer: `?requestType=PATIENTLIST`, then
 * STUDYLIST per patient; PatientListRequestHandler.java and StudyListRequestHandler.java, read at
 * github venkmurthy/PixelMed-Fork 414d992). Its links are absolute (rootURL + `?requestType=…`); the
 * front page is the one sentence and link of issue 24 (PathRequestHandler is not in that fork).
 */
function pixelmed(): Fixture {
  const ps = people(4, () => 2, 1);
  return {
    name: 'PixelMed RequestTypeServer',
    source:
      'venkmurthy/PixelMed-Fork@414d992 com/pixelmed/web/{RequestTypeServer,PatientListRequestHandler,StudyListRequestHandler}.java',
    expect: { patients: 4, studies: 8, phi: ['PatientName', 'PatientID', 'AccessionNumber', 'StudyDescription'] },
    serve(url, origin) {
      const t = url.searchParams.get('requestType');
      if (url.pathname !== '/') return null;
      if (t === null)
        return html(`<p>Here is <a href="${origin}/?requestType=PATIENTLIST">the list of patients</a>.</p>`);
      if (t === 'PATIENTLIST')
        return html(
          `<table>\r\n<tr><th>Patient's ID</th><th>Patient's Name</th></tr>\r\n${ps
            .map(
              (p, i) =>
                `<tr><td><a href="${origin}/?requestType=STUDYLIST&primaryKey=${i}">${p.id}</a></td><td>${pn(p)}</td></tr>`,
            )
            .join('')}</table>`,
        );
      const p = ps[Number(url.searchParams.get('primaryKey'))];
      if (t !== 'STUDYLIST' || p === undefined) return null;
      return html(
        `<table>\r\n<tr><th>Study ID</th><th>Accession #</th><th>Study Date</th><th>Study Time</th><th>Study Description</th></tr>\r\n${p.studies
          .map(
            (s, k) =>
              `<tr><td class="centered"><a href="${origin}/?requestType=SERIESLIST&primaryKey=${k}&studyUID=${s.uid}">${k + 1}</a></td><td class="centered">${s.accession}</td><td class="centered">${s.date}</span></td><td class="centered">101010</td><td>${s.description}</td></tr>`,
          )
          .join('')}</table>`,
      );
    },
  };
}

/**
 * Conquest's web interface (dgate CGI, Lua templates webserver/cgi-bin/newweb/listpatients.lua and
 * liststudies.lua, read at github marcelvanherk/Conquest-DICOM-Server 14a3879): `<TD>` cells never
 * closed, the header row in `<TD>`, unquoted links `dgate?…&mode=liststudies&query=patientid+=+'…'`,
 * a menu of actions in a select (script, never a link). The start page's form asks for the CGI
 * parameters those templates read (mode, patientidmatch, patientnamematch); start.lua was not read.
 */
function conquest(): Fixture {
  const ps = people(3, (i) => [2, 2, 1][i] ?? 1, 2);
  const menu = (i: number) =>
    `<td>\n<p id='aap${i}'>\n<select name=selectaction style="opacity:0.1; width:40" onchange="servicecommand(this.value)">\n<option value=nop>-</option>')\n<option value=deleter>Delete</option>')\n</select>\n</p>\n`;
  return {
    name: 'Conquest dgate web',
    source: 'marcelvanherk/Conquest-DICOM-Server@14a3879 webserver/cgi-bin/newweb/{listpatients,liststudies}.lua',
    expect: {
      patients: 3,
      studies: 5,
      phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDescription'],
    },
    serve(url) {
      if (url.pathname === '/')
        return html(
          `<H1>Welcome to Conquest DICOM server - version 1.5.0</H1><form action="dgate" method="get"><input type=hidden name=mode value=listpatients>Patient ID: <input name=patientidmatch> Name: <input name=patientnamematch><input type=submit value="List local patients"></form>`,
          'Conquest DICOM server - version 1.5.0',
        );
      if (url.pathname !== '/dgate') return null;
      const mode = url.searchParams.get('mode');
      const head = "<table class='altrowstable' id='alternatecolor' RULES=ALL BORDER=1>";
      if (mode === 'listpatients')
        return html(
          `<H1>Welcome to Conquest DICOM server - version 1.5.0</H1>${head}<Caption>List of all patients (${ps.length}) on local server</caption><TR><TD>Patient ID<TD>Name<TD>Sex<TD>Birth Date<TD>Menu</TR>${ps
            .map(
              (p, i) =>
                `<TR><TD><A HREF=dgate?&mode=liststudies&key=&query=patientid+=+'${p.id}' title='Click to see studies'>${p.id}</A><TD>${pn(p)}<TD>${p.sex}<TD>${p.birth}${menu(i)}</TR>\n`,
            )
            .join('')}</table>`,
        );
      const m = /patientid = '([^']+)'/.exec(url.searchParams.get('query') ?? '');
      const p = ps.find((x) => x.id === m?.[1]);
      if (mode !== 'liststudies' || p === undefined) return null;
      return html(
        `${head}<Caption>List of selected studies (${p.studies.length}) on local server</caption><TR><TD>Patient ID<TD>Name<TD>Study Date<TD>Study description<TD>Study modality<TD>Menu</TR>${p.studies
          .map(
            (s, i) =>
              `<TR><TD><A HREF=dgate?&mode=listseries&key=&query=DICOMStudies.patientid+=+'${p.id}'+and+DICOMSeries.studyinsta+=+'${s.uid}' title='Click to see series'>${p.id}</A><TD>${pn(p)}<TD>${s.date}<TD>${s.description}<TD>${s.modality}${menu(i)}</TR>\n`,
          )
          .join('')}</table>`,
      );
    },
  };
}

/**
 * dcm4chee 2.x web UI (dcm4chee-web3, the Wicket "Folder" tab): its source was not among the stored
 * repositories; written from the dcm4chee 2.x web3 documentation's description of the folder list
 * (a study row carries the patient's name, ID, birth date and sex, then the study's date, accession
 * number, modalities and description; abbreviations as the UI shows them).
 */
function dcm4chee2(): Fixture {
  const ps = people(5, (i) => 1 + (i % 2), 3);
  const rows = ps.flatMap((p) =>
    p.studies.map(
      (s) =>
        `<tr class="study"><td><span>${p.family}, ${p.given}</span></td><td>${p.id}</td><td>${iso(p.birth)}</td><td>${p.sex}</td><td>${iso(s.date)}</td><td>${s.accession}</td><td>${s.modality}</td><td>${s.description}</td><td>2</td></tr>`,
    ),
  );
  return {
    name: 'dcm4chee 2.x web3 folder',
    source: 'dcm4chee 2.x web3 documentation (Folder tab); source not reachable here',
    expect: {
      patients: 5,
      studies: 7,
      phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'AccessionNumber', 'StudyDescription'],
    },
    serve(url) {
      if (url.pathname !== '/') return null;
      return html(
        `<div class="tabs"><a href="/">Folder</a></div><table class="folder"><thead><tr><th>Name</th><th>Patient ID</th><th>Birthdate</th><th>Sex</th><th>Study Date</th><th>Acc. No.</th><th>Mod.</th><th>Study Description</th><th>#Series</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
        'dcm4chee-web3',
      );
    },
  };
}

/**
 * Dicoogle's web application: an empty page and a script bundle whose client asks `/searchDIM`
 * (the DIM answer: patients with id, name, gender, birthdate and their studies). Written from the
 * Dicoogle client documentation (dicoogle-client-js, search with `dim: true`); bioinformatics-ua/dicoogle
 * lists the servlets (server/web/servlets/search/SearchServlet.java) but the DIM writer was not read.
 */
function dicoogle(): Fixture {
  const ps = people(3, () => 2, 4);
  return {
    name: 'Dicoogle DIM search',
    source:
      'bioinformatics-ua/dicoogle servlets/search/SearchServlet.java (listed); DIM layout from dicoogle-client-js docs',
    expect: {
      patients: 3,
      studies: 6,
      phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDescription'],
    },
    serve(url) {
      if (url.pathname === '/') return html('<div id="container"></div><script src="/bundle.js"></script>', 'Dicoogle');
      if (url.pathname === '/bundle.js')
        return {
          type: 'application/javascript',
          body: 'var E={SEARCH:"/search",SEARCH_DIM:"/searchDIM?query=",DUMP:"/dump"};function s(q){return fetch(E.SEARCH_DIM+encodeURIComponent(q)+"&keyword=false")}',
        };
      if (url.pathname !== '/searchDIM') return null;
      return jsonPage({
        results: ps.map((p) => ({
          id: p.id,
          name: pn(p),
          gender: p.sex,
          birthdate: p.birth,
          nStudies: p.studies.length,
          studies: p.studies.map((s) => ({
            studyInstanceUID: s.uid,
            studyDescription: s.description,
            studyDate: s.date,
            institutionName: 'Synthetic',
            modalities: s.modality,
            series: [],
          })),
        })),
        elapsedTime: 12,
      });
    },
  };
}

/**
 * Orthanc Explorer behind a proxy that passes /app/ and the REST lists but not /system: explorer.js
 * asks `../patients?expand` and shows MainDicomTags (OrthancExplorer/explorer.js of the Orthanc
 * sources, as documented in the Orthanc Book's REST API pages; not read here).
 */
function orthancExplorer(): Fixture {
  const ps = people(4, () => 1, 5);
  return {
    name: 'Orthanc Explorer behind a proxy',
    source: 'Orthanc Book (REST API: /patients?expand); OrthancExplorer/explorer.js not read',
    expect: { patients: 4, studies: 0, phi: ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex'] },
    serve(url) {
      if (url.pathname === '/')
        return html('<p>Medical imaging archive: <a href="/app/explorer.html">Orthanc Explorer</a></p>');
      if (url.pathname === '/app/explorer.html')
        return html(
          '<div data-role="page" id="lookup"><ul id="all-patients"></ul></div><script src="explorer.js"></script>',
          'Orthanc Explorer',
        );
      if (url.pathname === '/app/explorer.js')
        return {
          type: 'application/javascript',
          body: "$.ajax({url: '../patients?expand', dataType: 'json', success: function(p){}});",
        };
      if (url.pathname !== '/patients') return null;
      return jsonPage(
        ps.map((p, i) => ({
          ID: `0a${i}c1e2f-7d3b9a10-5e6f7a8b-9c0d1e2f-3a4b5c6d`,
          IsStable: true,
          LastUpdate: '20260105T101010',
          MainDicomTags: { PatientBirthDate: p.birth, PatientID: p.id, PatientName: pn(p), PatientSex: p.sex },
          Studies: [`1b${i}`],
          Type: 'Patient',
        })),
      );
    },
  };
}

export { pixelmed, conquest, dcm4chee2, dicoogle, orthancExplorer, total };
