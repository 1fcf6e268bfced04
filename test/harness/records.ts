/**
 * Service records as the scanner writes them, for tests and benches that feed the store, diff or
 * dashboard without a scan: one full, typed record with plain defaults, any field overridden.
 */
import type { Exposure, ServiceRecord } from '../../src/output/records.js';

export function serviceRecord(host: string, port: number, over: Partial<ServiceRecord> = {}): ServiceRecord {
  return {
    type: 'service',
    host,
    port,
    transport: 'tcp',
    protocol: 'dicom',
    product: null,
    version: null,
    fingerprint: { basis: null, confidence: null, contradiction: null },
    dicom: null,
    http: null,
    tls: null,
    exposure: null,
    findings: [],
    error: null,
    elapsedMs: 1,
    ...over,
  };
}

/** A complete count of `patients` (2 studies, 3 instances each). */
export function exposure(patients: number, over: Partial<Exposure> = {}): Exposure {
  return {
    patients,
    studies: patients * 2,
    series: 0,
    instances: patients * 3,
    complete: true,
    phi: ['PatientName'],
    linkedImages: 0,
    capped: false,
    incompleteReason: null,
    queries: 1,
    splits: [],
    cannedStudies: 0,
    model: 'study-root',
    ...over,
  };
}

export function finding(id: string, severity = 'critical'): ServiceRecord['findings'][number] {
  return { id, severity, title: id, remediation: 'restrict it', evidence: 'seen' };
}
