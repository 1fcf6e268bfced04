/**
 * One host, one story: combine the evidence of every service on a host into one product name, and
 * say what it rests on. DICOM alone cannot tell Orthanc from DCMTK (Orthanc embeds DCMTK and
 * answers with its UID), so HTTP evidence (Orthanc REST) and the accepted called AE title are
 * weighed in too. An identity the association contradicts (another toolkit's PDU length or version
 * name) is not believed: no product, and the contradiction said.
 */
import type { ServiceObservation } from '../probes/types.js';
import { fingerprintToolkit } from './dicom.js';
import { toolkitFromRejections } from './rejection.js';

export interface ServiceEvidence {
  observation: ServiceObservation;
  /** Product and version named by the HTTP layer (e.g. Orthanc /system), if any. */
  httpProduct: string | null;
  httpVersion: string | null;
}

/** What an identification rests on (contract: `fingerprint`). */
export interface FingerprintBasis {
  basis: 'association' | 'http' | 'ae-title' | 'rejection' | null;
  confidence: 'high' | 'medium' | 'low' | null;
  /** Why the association's identity was not believed, when it was not. */
  contradiction: string | null;
}

export interface Identification {
  product: string | null;
  version: string | null;
  toolkit: string | null;
  fingerprint: FingerprintBasis;
}

/** Products known to embed a toolkit: an HTTP identification of the product explains that toolkit's DICOM answer. */
const EMBEDS: Record<string, readonly string[]> = {
  Orthanc: ['DCMTK'],
  'OsiriX/Horos': ['DCMTK'],
  Dicoogle: ['dcm4che'],
  'dcm4chee-arc': ['dcm4che'],
};

const NONE: FingerprintBasis = { basis: null, confidence: null, contradiction: null };
const by = (
  basis: FingerprintBasis['basis'],
  confidence: FingerprintBasis['confidence'],
  contradiction: string | null = null,
): FingerprintBasis => ({
  basis,
  confidence,
  contradiction,
});

export function identifyHost(services: readonly ServiceEvidence[]): Identification[] {
  const httpIds = services
    .filter((s) => s.httpProduct !== null)
    .map((s) => ({ product: s.httpProduct as string, version: s.httpVersion }));
  return services.map((s): Identification => {
    if (s.httpProduct !== null)
      return { product: s.httpProduct, version: s.httpVersion, toolkit: null, fingerprint: by('http', 'high') };
    const d = s.observation.dicom;
    if (d === null) return { product: null, version: null, toolkit: null, fingerprint: NONE };
    const fp = fingerprintToolkit(d.implementationClassUid, d.implementationVersionName, d.maxPduLength);
    if (fp === null) {
      // no A-ASSOCIATE-AC, so no toolkit evidence: the host's one web identification is the best we have
      const only = httpIds.length === 1 ? httpIds[0] : undefined;
      if (only !== undefined)
        return { product: only.product, version: only.version, toolkit: null, fingerprint: by('http', 'medium') };
      const refusedBy = toolkitFromRejections(d.rejectionProfile);
      if (d.recognisedCalledAe === 'ORTHANC')
        return { product: 'Orthanc', version: null, toolkit: refusedBy, fingerprint: by('ae-title', 'low') };
      // a closed door: how it refuses can still name the toolkit (never a product)
      if (refusedBy !== null)
        return { product: null, version: null, toolkit: refusedBy, fingerprint: by('rejection', 'medium') };
      return { product: null, version: null, toolkit: null, fingerprint: NONE };
    }
    if (fp.contradiction !== null)
      return { product: null, version: null, toolkit: null, fingerprint: by('association', null, fp.contradiction) };
    const embedding = httpIds.find((h) => EMBEDS[h.product]?.includes(fp.toolkit) === true);
    if (embedding !== undefined) {
      return {
        product: embedding.product,
        version: embedding.version,
        toolkit: fp.toolkit,
        fingerprint: by('http', 'high'),
      };
    }
    // Orthanc's default AE title accepted on a DCMTK stack is Orthanc's signature on the DICOM side alone
    if (fp.toolkit === 'DCMTK' && d.calledAe === 'ORTHANC' && d.anyCalledAe === false) {
      return { product: 'Orthanc', version: null, toolkit: fp.toolkit, fingerprint: by('ae-title', 'medium') };
    }
    const confidence = fp.basis === 'uid+name' ? 'high' : 'medium';
    return {
      product: fp.product ?? fp.toolkit,
      version: fp.version,
      toolkit: fp.toolkit,
      fingerprint: by('association', confidence),
    };
  });
}
