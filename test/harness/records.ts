/**
 * Service records as the scanner writes them, for tests and benches that feed the store, diff or
 * dashboard without a scan: one full, typed record with plain defaults, any field overridden.
 */
import type { DicomRecord, Exposure, NetworkRecord, ServiceRecord } from '../../src/output/records.js';

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

/** The DICOM part of an open Orthanc's record (DCMTK's UID, its AE title accepted, any caller let in). */
export function dicomRecord(over: Partial<DicomRecord> = {}): DicomRecord {
  return {
    implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
    implementationVersionName: 'OFFIS_DCMTK_367',
    toolkit: 'DCMTK',
    calledAe: 'ORTHANC',
    calledAeSource: 'dictionary',
    recognisedCalledAe: null,
    anyCalledAe: false,
    anyCallingAe: true,
    rejection: null,
    rejectedAe: null,
    rejectionProfile: null,
    echo: true,
    find: true,
    findRefusal: null,
    retrieve: null,
    storageAccepted: true,
    getAccepted: true,
    moveAccepted: true,
    findModels: ['study-root'],
    honeypotSuspect: false,
    maxPduLength: 16384,
    associationAttempts: 1,
    ...over,
  };
}

/** A record's network: nothing known unless given. */
export function networkRecord(over: Partial<NetworkRecord> = {}): NetworkRecord {
  return { asn: null, asName: null, prefix: null, cc: null, abuse: [], abuseSource: null, ...over };
}
