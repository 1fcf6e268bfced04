/**
 * Toolkits told from how they refuse (a closed door): the rejection profile of closedDoor.ts
 * matched against patterns observed on real servers. A pattern is a row only where it is unique
 * among the stacks seen; anything else identifies nothing (a wrong name is worse than none).
 *
 * Observed (test fleet, 2026-12): dcmqrscp, storescp (DCMTK 3.6.7) and Orthanc 1.10 (DCMTK inside)
 * answer protocol version 2 with RJ 1/2/2 (ACSE, protocol-version-not-supported) and an unknown
 * application context with RJ x/1/2 (dcmqrscp transient, the others permanent); Odil 0.12 and
 * dcmjs-dimse 0.3 accept both.
 */
import type { RejectionProfile } from '../probes/dicom/closedDoor.js';

interface Pattern {
  toolkit: string;
  protocolVersion: RegExp;
  applicationContext: RegExp;
  /** What the pattern was learnt from. */
  source: string;
}

const PATTERNS: readonly Pattern[] = [
  {
    toolkit: 'DCMTK',
    protocolVersion: /^RJ 1\/2\/2$/,
    applicationContext: /^RJ [12]\/1\/2$/,
    source: 'dcmqrscp, storescp (DCMTK 3.6.7), Orthanc 1.10',
  },
];

export function toolkitFromRejections(p: RejectionProfile | null): string | null {
  if (p === null) return null;
  const hits = PATTERNS.filter(
    (x) => x.protocolVersion.test(p.protocolVersion) && x.applicationContext.test(p.applicationContext),
  );
  return hits.length === 1 ? (hits[0] as Pattern).toolkit : null;
}
