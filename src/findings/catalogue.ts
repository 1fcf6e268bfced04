/**
 * Every finding opendoor can report, in one place, with stable ids. Titles and remediation are
 * about configuration, never about patient data.
 */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** The severities, most severe first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

const RANK: ReadonlyMap<string, number> = new Map(SEVERITIES.map((s, i) => [s, i]));

/** Where a severity sorts (0 the most severe); one that is none of ours sorts last. */
export function severityRank(severity: string): number {
  return RANK.get(severity) ?? SEVERITIES.length;
}

/**
 * A serious finding (critical or high): a stranger can act on it now. A service with one is exposed
 * (judge.ts isExposed); an owner's letter asks to fix these.
 */
export function isSerious(f: { severity: string }): boolean {
  return f.severity === 'critical' || f.severity === 'high';
}

export interface FindingDefinition {
  id: string;
  severity: Severity;
  title: string;
  why: string;
  /** Generic remediation, then product-specific advice keyed by product name. */
  remediation: string;
  byProduct?: Record<string, string>;
  references: readonly string[];
}

const PS3_15 = 'DICOM PS3.15 (Security and System Management Profiles)';
const HIPAA = 'HIPAA §164.312 (technical safeguards)';
const GDPR = 'GDPR art. 32 (security of processing)';

const ORTHANC_AE =
  'Orthanc: set "DicomCheckCalledAet": true, list peers in "DicomModalities" with "DicomCheckModalityHost": true, and set "DicomAlwaysAllowEcho"/"DicomAlwaysAllowFind"/"DicomAlwaysAllowMove"/"DicomAlwaysAllowGet"/"DicomAlwaysAllowStore" to false.';
const DCMTK_AE =
  'dcmqrscp: replace ANY in the AETable peers column with a HostTable entry naming each allowed peer (AE title, host, port).';
const DCM4CHEE_AE =
  'dcm4chee-arc: list the peers in "Accepted Calling AE Titles" (dcmAcceptedCallingAETitle) of the archive network AE, and run the secured (Keycloak) distribution for the UI and RESTful services.';

export const CATALOGUE = {
  'dicom-open-query': {
    id: 'dicom-open-query',
    severity: 'critical',
    title: 'DICOM archive answers queries (C-FIND) from unknown peers',
    why: 'Anyone who can reach the port can list patients and studies without credentials.',
    remediation:
      'Allow C-FIND only from known AE titles on known hosts; put the archive behind a VPN or firewall; use DICOM TLS with client certificates (PS3.15 annex B).',
    byProduct: { Orthanc: ORTHANC_AE, DCMTK: DCMTK_AE, 'dcm4chee-arc': DCM4CHEE_AE },
    references: [PS3_15, HIPAA, GDPR],
  },
  'dicom-retrievable': {
    id: 'dicom-retrievable',
    severity: 'critical',
    title: 'Images can be downloaded (C-GET) by unknown peers',
    why: 'opendoor fetched one instance into memory (and discarded it): anyone can copy the images.',
    remediation:
      'Refuse C-GET and C-MOVE from unknown peers; restrict retrieval to configured AE titles on known hosts.',
    byProduct: {
      Orthanc:
        'Orthanc: set "DicomAlwaysAllowGet": false and "DicomAlwaysAllowMove": false, and list peers in "DicomModalities". ',
    },
    references: [PS3_15, HIPAA, GDPR],
  },
  'dicom-open-association': {
    id: 'dicom-open-association',
    severity: 'high',
    title: 'DICOM service accepts associations from an unknown calling AE title',
    why: 'The AE title is the only access control most DICOM services have; accepting unknown callers leaves the door open.',
    remediation:
      'Configure the list of peers allowed to associate (AE title and host) and reject every other calling AE title.',
    byProduct: { Orthanc: ORTHANC_AE, DCMTK: DCMTK_AE, 'dcm4chee-arc': DCM4CHEE_AE },
    references: [PS3_15, HIPAA],
  },
  'dicom-retrieve-offered': {
    id: 'dicom-retrieve-offered',
    severity: 'high',
    title: 'DICOM archive accepts retrieval (C-GET/C-MOVE) contexts from unknown peers',
    why: 'Retrieval lets a stranger download images, not only list them.',
    remediation: 'Restrict C-GET and C-MOVE to known peers; configure move destinations explicitly.',
    byProduct: { Orthanc: ORTHANC_AE, DCMTK: DCMTK_AE, 'dcm4chee-arc': DCM4CHEE_AE },
    references: [PS3_15, HIPAA, GDPR],
  },
  'dicom-any-called-ae': {
    id: 'dicom-any-called-ae',
    severity: 'medium',
    title: 'DICOM service accepts any called AE title',
    why: 'No AE title has to be known or guessed to connect.',
    remediation: 'Make the service check the called AE title.',
    byProduct: {
      Orthanc: 'Orthanc: set "DicomCheckCalledAet": true.',
      DCMTK: 'dcmqrscp/storescp: do not run with options that accept any called AE title.',
    },
    references: [PS3_15],
  },
  'dicom-guessable-ae': {
    id: 'dicom-guessable-ae',
    severity: 'medium',
    title: 'DICOM service uses a default or common called AE title',
    why: 'A default AE title is the first thing an attacker tries; it offers no protection.',
    remediation: 'Use a site-specific AE title and, above all, restrict which peers may associate.',
    references: [PS3_15],
  },
  'dicom-storage-accepted': {
    id: 'dicom-storage-accepted',
    severity: 'medium',
    title: 'DICOM service accepts storage (C-STORE) contexts from unknown peers',
    why: 'A stranger could add or overwrite studies (data integrity) or fill the disk (availability). opendoor only negotiated; it sent nothing.',
    remediation: 'Accept storage only from known modalities.',
    byProduct: { Orthanc: 'Orthanc: set "DicomAlwaysAllowStore": false and list modalities in "DicomModalities".' },
    references: [PS3_15, HIPAA],
  },
  'dicom-no-tls': {
    id: 'dicom-no-tls',
    severity: 'medium',
    title: 'DICOM service without TLS',
    why: 'Associations, queries and images cross the network in clear text.',
    remediation: 'Offer DICOM over TLS (PS3.15 annex B, port 2762) and close the plain port to untrusted networks.',
    byProduct: {
      Orthanc:
        'Orthanc: set "DicomTlsEnabled": true with "DicomTlsCertificate"/"DicomTlsPrivateKey" and "DicomTlsRemoteCertificateRequired": true.',
    },
    references: [PS3_15, HIPAA],
  },
  'dicom-honeypot-suspect': {
    id: 'dicom-honeypot-suspect',
    severity: 'info',
    title: 'DICOM service accepts a SOP class that does not exist',
    why: 'Real archives reject unknown abstract syntaxes; accepting everything is typical of honeypots and of misconfigured permissive servers.',
    remediation: 'If this is a production system, accept only the SOP classes it implements.',
    references: [],
  },
  'http-patient-list': {
    id: 'http-patient-list',
    severity: 'critical',
    title: 'Web page lists patients without a login',
    why: "Anyone who opens the page reads patients' names and identifiers: the exposure the press reports describe, no DICOM needed.",
    remediation: 'Put the page behind authentication (and TLS), or take it off networks strangers reach.',
    references: [],
  },
  'honeypot-suspected': {
    id: 'honeypot-suspected',
    severity: 'info',
    title: 'Suspected honeypot: its patients and studies are left out of the totals',
    why: 'It shows tells no real archive shows (an association without an implementation UID, a persona whose UID, version name and PDU length disagree, answers to a query for a study that cannot exist, canned sample data); counting its bait would inflate an exposure census by orders of magnitude.',
    remediation:
      'None for the owner if it is a research honeypot; if it is a production system, have its DICOM stack checked (the tells are listed in the evidence).',
    references: [],
  },
  'dicom-restricted': {
    id: 'dicom-restricted',
    severity: 'info',
    title: 'DICOM service refuses unknown peers',
    why: 'The service is reachable but rejected every association opendoor attempted.',
    remediation: 'Keep the peer list short and review it; consider DICOM TLS as well.',
    references: [PS3_15],
  },
  'tls-client-cert-required': {
    id: 'tls-client-cert-required',
    severity: 'info',
    title: 'TLS service requires a client certificate',
    why: 'Only peers holding a trusted certificate can talk to the service (good practice, PS3.15 annex B).',
    remediation: 'None needed; keep the trusted CA list limited.',
    references: [PS3_15],
  },
  'tls-self-signed': {
    id: 'tls-self-signed',
    severity: 'low',
    title: 'TLS certificate is self-signed',
    why: 'Peers cannot authenticate the server unless they pin this certificate.',
    remediation: "Use a certificate issued by the organisation's CA.",
    references: [PS3_15],
  },
  'tls-expired': {
    id: 'tls-expired',
    severity: 'medium',
    title: 'TLS certificate has expired',
    why: 'Peers that validate certificates will refuse to connect, pushing users to disable validation.',
    remediation: 'Renew the certificate and automate renewal.',
    references: [PS3_15],
  },
  'tls-legacy-version': {
    id: 'tls-legacy-version',
    severity: 'medium',
    title: 'TLS version older than 1.2 negotiated',
    why: 'TLS 1.0 and 1.1 are deprecated (RFC 8996) and weak.',
    remediation: 'Allow TLS 1.2 and 1.3 only (BCP 195 profile of PS3.15).',
    references: [PS3_15, 'RFC 8996'],
  },
  'http-open-api': {
    id: 'http-open-api',
    severity: 'critical',
    title: 'Imaging REST API readable without credentials',
    why: 'Anyone who reaches the port can browse and download studies.',
    remediation: 'Require authentication and do not expose the API to untrusted networks.',
    byProduct: {
      Orthanc:
        'Orthanc: set "AuthenticationEnabled": true with "RegisteredUsers", and "RemoteAccessAllowed": false unless needed.',
      'dcm4chee-arc':
        'dcm4chee-arc: deploy the secured distribution (Keycloak) so the UI and the DICOMweb/REST services require a token.',
    },
    references: [HIPAA, GDPR],
  },
  'http-default-credentials': {
    id: 'http-default-credentials',
    severity: 'critical',
    title: 'Imaging web API opens with a vendor default password',
    why: 'Default credentials are published in the vendor documentation: this is no protection at all.',
    remediation: 'Change every default password, remove sample users, and keep the API off untrusted networks.',
    byProduct: {
      Orthanc:
        'Orthanc: replace the "RegisteredUsers" entries (orthanc/orthanc, alice/alicePassword) with strong, per-person credentials.',
    },
    references: [HIPAA, GDPR],
  },
  'http-retrievable': {
    id: 'http-retrievable',
    severity: 'critical',
    title: 'Images can be downloaded over the web API by strangers',
    why: 'opendoor downloaded one instance into memory (and discarded it): anyone can copy the images.',
    remediation:
      'Require authentication for WADO-RS, WADO-URI (/wado) and file downloads; a front that blocks one of them leaves the others open.',
    byProduct: {
      Orthanc: 'Orthanc: set "AuthenticationEnabled": true; consider an authorization plugin for per-user access.',
    },
    references: [HIPAA, GDPR],
  },
  'http-plain-phi': {
    id: 'http-plain-phi',
    severity: 'high',
    title: 'Patient data served over plain HTTP',
    why: 'Identifying attributes cross the network unencrypted.',
    remediation: 'Serve the API over HTTPS only (TLS 1.2+), or behind a TLS-terminating proxy.',
    byProduct: {
      Orthanc: 'Orthanc: set "SslEnabled": true with "SslCertificate", or put it behind an HTTPS reverse proxy.',
    },
    references: [HIPAA, GDPR, 'HIPAA §164.312(e)(1) transmission security'],
  },
} as const satisfies Record<string, FindingDefinition>;

export type FindingId = keyof typeof CATALOGUE;
