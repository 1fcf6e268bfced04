/**
 * One host, one story: combine the evidence of every service on a host into one product name.
 * DICOM alone cannot tell Orthanc from DCMTK (Orthanc embeds DCMTK and answers with its UID), so
 * HTTP evidence (Orthanc REST) and the accepted called AE title are weighed in too.
 */
import type { ServiceObservation } from '../probes/types.js';
import { fingerprintToolkit } from './dicom.js';

export interface ServiceEvidence {
  observation: ServiceObservation;
  /** Product and version named by the HTTP layer (e.g. Orthanc /system), if any. */
  httpProduct: string | null;
  httpVersion: string | null;
}

export interface Identification {
  product: string | null;
  version: string | null;
  toolkit: string | null;
}

/** Products known to embed a toolkit: an HTTP identification of the product explains that toolkit's DICOM answer. */
const EMBEDS: Record<string, readonly string[]> = {
  Orthanc: ['DCMTK'],
  'OsiriX/Horos': ['DCMTK'],
  Dicoogle: ['dcm4che'],
  'dcm4chee-arc': ['dcm4che'],
};

export function identifyHost(services: readonly ServiceEvidence[]): Identification[] {
  const httpIds = services
    .filter((s) => s.httpProduct !== null)
    .map((s) => ({ product: s.httpProduct as string, version: s.httpVersion }));
  return services.map((s) => {
    if (s.httpProduct !== null) return { product: s.httpProduct, version: s.httpVersion, toolkit: null };
    const d = s.observation.dicom;
    if (d === null) return { product: null, version: null, toolkit: null };
    const fp = fingerprintToolkit(d.implementationClassUid, d.implementationVersionName);
    if (fp === null) {
      // no A-ASSOCIATE-AC, so no toolkit evidence: the host's one web identification is the best we have
      const only = httpIds.length === 1 ? httpIds[0] : undefined;
      if (only !== undefined) return { product: only.product, version: only.version, toolkit: null };
      if (d.recognisedCalledAe === 'ORTHANC') return { product: 'Orthanc', version: null, toolkit: null };
      return { product: null, version: null, toolkit: null };
    }
    const embedding = httpIds.find((h) => EMBEDS[h.product]?.includes(fp.toolkit) === true);
    if (embedding !== undefined) return { product: embedding.product, version: embedding.version, toolkit: fp.toolkit };
    // Orthanc's default AE title accepted on a DCMTK stack is Orthanc's signature on the DICOM side alone
    if (fp.toolkit === 'DCMTK' && d.calledAe === 'ORTHANC' && d.anyCalledAe === false)
      return { product: 'Orthanc', version: null, toolkit: fp.toolkit };
    return { product: fp.product ?? fp.toolkit, version: fp.version, toolkit: fp.toolkit };
  });
}
