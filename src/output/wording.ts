/**
 * The words every human output shares (the CLI's summary, Markdown, HTML, letters, the dashboard):
 * one fact, one wording. Machine outputs (JSON Lines, CSV, JSON) keep the record's own values.
 */
import type { ServiceRecord } from './records.js';

/** "1 target", "2 targets", "1,024 services". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** A scan's targets: after exclusions (and shards), so none means every one was left out. */
export function targetsText(n: number): string {
  return n === 0 ? '0 targets after exclusions' : count(n, 'target');
}

/** The called AE title a DICOM service accepted: "any called AE" when a made-up one is, else "AE X"; null when every one was refused. */
export function calledAeText(d: Pick<NonNullable<ServiceRecord['dicom']>, 'calledAe' | 'anyCalledAe'>): string | null {
  if (d.calledAe === null) return null;
  return d.anyCalledAe === true ? 'any called AE' : `AE ${d.calledAe}`;
}

/** What a stranger gets through the door, in a few words: the AE accepted, HTTP auth, a client certificate. */
export function accessText(s: ServiceRecord): string {
  if (s.dicom !== null) return calledAeText(s.dicom) ?? 'refused';
  if (s.http !== null) return `HTTP auth ${s.http.auth ?? '?'}`;
  return s.tls?.clientCertRequired === true ? 'client certificate required' : '-';
}

type Service = Pick<ServiceRecord, 'protocol' | 'transport'>;

/** A service's application protocol as IANA names it (dicom 104, dicom-tls 2762, http 80, https 443). */
export type IanaService = 'dicom' | 'dicom-tls' | 'http' | 'https';

const IANA: Partial<Record<ServiceRecord['protocol'], readonly [plain: IanaService, tls: IanaService]>> = {
  dicom: ['dicom', 'dicom-tls'],
  http: ['http', 'https'],
};

/**
 * A service's protocol and transport, the one place they are worded:
 * 'short' (the CLI's table, the reports, letters, the dashboard): "dicom", "dicom/tls", "http/tls";
 * 'prose' (a notice to an operator): "DICOM, the protocol of medical imaging over TLS";
 * 'iana' (the CERT feeds): "dicom", "dicom-tls", "http", "https", or null for another protocol.
 */
export function serviceLabel(s: Service, style?: 'short' | 'prose'): string;
export function serviceLabel(s: Service, style: 'iana'): IanaService | null;
export function serviceLabel(s: Service, style: 'short' | 'prose' | 'iana' = 'short'): string | null {
  const tls = s.transport === 'tls';
  if (style === 'iana') return IANA[s.protocol]?.[tls ? 1 : 0] ?? null;
  if (style === 'prose')
    return `${s.protocol === 'dicom' ? 'DICOM, the protocol of medical imaging' : s.protocol}${tls ? ' over TLS' : ''}`;
  return `${s.protocol}${tls ? '/tls' : ''}`;
}

/** A figure that was never measured (retrieval below `--depth retrieve`): never shown as 0, which reads as safe. */
export const NOT_TESTED = 'not tested';
