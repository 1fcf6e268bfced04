/**
 * Pure checks: observations in, findings out. No I/O, so every check is tested from saved
 * observations without a network.
 */
import type { Honeypot } from '../fingerprint/honeypot.js';
import type { RetrieveVia, ServiceObservation } from '../probes/types.js';
import {
  CATALOGUE,
  type FindingDefinition,
  type FindingId,
  isSerious,
  type Severity,
  severityRank,
} from './catalogue.js';
import { DEFAULT_CALLED_AE_TITLES } from '../probes/dicom/aeTitles.js';

export interface Finding {
  id: FindingId;
  severity: Severity;
  title: string;
  remediation: string;
  /** Protocol facts that support the finding (never patient values). */
  evidence: string;
}

function finding(id: FindingId, product: string | null, evidence: string): Finding {
  const def: FindingDefinition = CATALOGUE[id];
  const specific = product !== null ? def.byProduct?.[product] : undefined;
  return {
    id,
    severity: def.severity,
    title: def.title,
    remediation: specific !== undefined ? `${specific} ${def.remediation}` : def.remediation,
    evidence,
  };
}

function dicomFindings(s: ServiceObservation, product: string | null): Finding[] {
  const d = s.dicom;
  if (d === null) return [];
  const out: Finding[] = [];
  const who = d.calledAe !== null ? `called AE "${d.calledAe}", calling AE unknown to the server` : '';
  if (d.calledAe === null) {
    if (d.rejection !== null)
      out.push(
        finding(
          'dicom-restricted',
          product,
          `${d.attempts.length} association attempts rejected (last: ${d.rejection.meaning})`,
        ),
      );
    return out;
  }
  if (d.find === true) {
    const e = s.exposure;
    const counted =
      e !== null
        ? `; ${e.patients} patients, ${e.studies} studies, ${e.instances} instances${e.complete ? '' : ' (at least)'}; identifying attributes returned: ${e.phi.join(', ') || 'none'}`
        : '';
    out.push(finding('dicom-open-query', product, `C-FIND answered (${who})${counted}`));
  }
  if (d.retrieve === true)
    out.push(finding('dicom-retrievable', product, 'one instance was fetched with C-GET into memory and discarded'));
  if (d.getAccepted === true || d.moveAccepted === true) {
    const which = [d.getAccepted === true ? 'C-GET' : null, d.moveAccepted === true ? 'C-MOVE' : null]
      .filter((x) => x !== null)
      .join(', ');
    out.push(finding('dicom-retrieve-offered', product, `${which} context accepted (${who})`));
  }
  if (d.anyCallingAe === true) out.push(finding('dicom-open-association', product, `association accepted with ${who}`));
  if (d.anyCalledAe === true)
    out.push(finding('dicom-any-called-ae', product, `accepted the made-up called AE "${d.calledAe}"`));
  else if (DEFAULT_CALLED_AE_TITLES.includes(d.calledAe))
    out.push(finding('dicom-guessable-ae', product, `accepted the common called AE "${d.calledAe}"`));
  if (d.storageAccepted === true)
    out.push(finding('dicom-storage-accepted', product, 'storage SOP class contexts accepted (nothing was sent)'));
  if (d.acceptsNonexistentSopClass === true)
    out.push(
      finding('dicom-honeypot-suspect', product, "accepted an abstract syntax under opendoor's private UID root"),
    );
  return out;
}

function tlsFindings(s: ServiceObservation, product: string | null, now: Date): Finding[] {
  const t = s.tls;
  if (t === null) return [];
  const out: Finding[] = [];
  if (t.clientCertRequired)
    out.push(finding('tls-client-cert-required', product, 'handshake refused without a client certificate'));
  if (t.selfSigned === true)
    out.push(finding('tls-self-signed', product, `subject = issuer (${t.subject ?? 'unknown'})`));
  if (t.notAfter !== null && new Date(t.notAfter) < now)
    out.push(finding('tls-expired', product, `notAfter ${t.notAfter}`));
  if (t.version !== null && /^(TLSv1|TLSv1\.1|SSLv3)$/.test(t.version))
    out.push(finding('tls-legacy-version', product, `negotiated ${t.version}`));
  return out;
}

function httpFindings(s: ServiceObservation, product: string | null): Finding[] {
  const h = s.http;
  if (h === null) return [];
  const out: Finding[] = [];
  const e = s.exposure;
  const counted =
    e !== null
      ? `; ${e.patients} patients, ${e.studies} studies, ${e.instances} instances; identifying attributes returned: ${e.phi.join(', ') || 'none'}`
      : '';
  if (h.api === 'patient-list' && h.auth === 'none')
    out.push(
      finding(
        'http-patient-list',
        product,
        `a page lists patients (columns: ${e?.phi.join(', ') || 'identifying'})${counted}`,
      ),
    );
  else if (h.api !== null && h.auth === 'none')
    out.push(finding('http-open-api', product, `${h.api} API answered without credentials${counted}`));
  if (h.auth === 'default-credentials')
    out.push(
      finding(
        'http-default-credentials',
        product,
        `a documented vendor default user and password opened the ${h.api ?? 'web'} API${counted}`,
      ),
    );
  if (h.retrieve === true)
    out.push(
      finding(
        'http-retrievable',
        product,
        `one instance was downloaded${h.retrieveVia !== null ? ` by ${VIA[h.retrieveVia]}` : ''} into memory and discarded`,
      ),
    );
  if (s.transport === 'tcp' && e !== null && e.phi.length > 0)
    out.push(finding('http-plain-phi', product, `identifying attributes (${e.phi.join(', ')}) served over plain HTTP`));
  return out;
}

const VIA: Record<RetrieveVia, string> = {
  'orthanc-rest': "Orthanc's REST API",
  'wado-rs': 'WADO-RS',
  'wado-uri': 'WADO-URI',
};

/**
 * All findings for one service, most severe first. On a suspected honeypot the only finding is
 * that judgement: what it "exposes" is bait, and none of it is counted (output/records.ts).
 */
export function judgeService(
  s: ServiceObservation,
  product: string | null,
  now = new Date(),
  honeypot: Honeypot | null = null,
): Finding[] {
  if (honeypot?.suspect === true) return [honeypotFinding(product, honeypot, s.exposure)];
  const out = [...dicomFindings(s, product), ...tlsFindings(s, product, now)];
  if (s.protocol === 'dicom' && s.transport === 'tcp' && s.dicom?.calledAe !== null) {
    out.push(finding('dicom-no-tls', product, 'DICOM upper layer answered on plain TCP'));
  }
  out.push(...httpFindings(s, product));
  return out.sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
}

/** A suspected honeypot's one finding: its tells, and that what it claims to hold is in no total. */
export function honeypotFinding(
  product: string | null,
  honeypot: Honeypot,
  exposure: { patients: number; studies: number } | null,
): Finding {
  const left =
    exposure !== null
      ? `; its ${exposure.patients} patients and ${exposure.studies} studies are left out of every total`
      : '';
  return finding('honeypot-suspected', product, `tells: ${honeypot.reasons.join(', ')}${left}`);
}

/** A service is exposed when a stranger can do more than knock. */
export function isExposed(findings: ReadonlyArray<{ severity: string }>): boolean {
  return findings.some(isSerious);
}
