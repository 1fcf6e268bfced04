/**
 * An RDAP server on loopback answering `ip/{address}` as the registries do (RFC 9083 §5.4), for
 * the networks a test gives it, and counting the queries it gets. The answers follow the shapes
 * the RFC's examples and the registries' documentation show:
 * - `arin`: the abuse POC nested under the registrant organisation's entity (ARIN's layout);
 * - `ripe`: the abuse-c role entity beside the organisation, the range also as cidr0 prefixes;
 * - `cidr0`: only cidr0_cidrs, no start/end address;
 * - `redacted`: the abuse e-mail replaced, said so in an RFC 9537 `redacted` member;
 * - `placeholder`: the abuse entity carries RIPE's dummy address instead of a real one.
 * Anything else answers 404 with an RDAP error body (RFC 9083 §6).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAddress } from '../../src/targets/address.js';

export type RdapShape = 'arin' | 'ripe' | 'cidr0' | 'redacted' | 'placeholder';

export interface RdapNet {
  /** First and last address of the network; for cidr0 answers also given as `cidr` (prefix/length). */
  first: string;
  last: string;
  cidr?: { prefix: string; length: number };
  handle: string;
  shape: RdapShape;
  abuse: string;
}

export interface RdapServer {
  url: string;
  /** Every path asked, in order. */
  paths: string[];
  stop(): Promise<void>;
}

const vcard = (fn: string, kind: string, email: string | null): unknown => [
  'vcard',
  [
    ['version', {}, 'text', '4.0'],
    ['fn', {}, 'text', fn],
    ['kind', {}, 'text', kind],
    ...(email !== null ? [['email', { type: 'work' }, 'text', email]] : []),
    ['tel', { type: ['work', 'voice'] }, 'uri', 'tel:+1-555-0100'],
  ],
];

function answer(n: RdapNet): Record<string, unknown> {
  const family = parseAddress(n.first)?.family ?? 4;
  const base: Record<string, unknown> = {
    objectClassName: 'ip network',
    rdapConformance: ['rdap_level_0', ...(n.shape === 'ripe' || n.shape === 'cidr0' ? ['cidr0'] : [])],
    handle: n.handle,
    ...(n.shape === 'cidr0' ? {} : { startAddress: n.first, endAddress: n.last }),
    ipVersion: family === 4 ? 'v4' : 'v6',
    name: `NET-${n.handle}`,
    type: 'ASSIGNED PA',
    status: ['active'],
    events: [{ eventAction: 'registration', eventDate: '2020-01-01T00:00:00Z' }],
    links: [{ value: `https://rdap.test/ip/${n.first}`, rel: 'self', href: `https://rdap.test/ip/${n.first}` }],
    notices: [{ title: 'Terms of Service', description: ['Test registry.'] }],
  };
  if (n.shape === 'ripe' || n.shape === 'cidr0') {
    const c = n.cidr ?? { prefix: n.first, length: family === 4 ? 32 : 128 };
    base['cidr0_cidrs'] = [{ [family === 4 ? 'v4prefix' : 'v6prefix']: c.prefix, length: c.length }];
  }
  const org = { objectClassName: 'entity', handle: `ORG-${n.handle}`, roles: ['registrant'] };
  const abuseEntity = (email: string) => ({
    objectClassName: 'entity',
    handle: `ABUSE-${n.handle}`,
    roles: ['abuse'],
    vcardArray: vcard('Abuse desk', 'group', email),
  });
  switch (n.shape) {
    case 'arin':
      // the registrant organisation, its POCs nested in it: admin, technical, abuse
      base['entities'] = [
        {
          ...org,
          vcardArray: vcard('Hospital network', 'org', null),
          entities: [
            {
              objectClassName: 'entity',
              handle: `TECH-${n.handle}`,
              roles: ['technical', 'administrative'],
              vcardArray: vcard('NOC', 'group', 'noc@hospital-noc.test'),
            },
            abuseEntity(n.abuse),
          ],
        },
      ];
      break;
    case 'ripe':
    case 'cidr0':
      base['entities'] = [
        { ...org, vcardArray: vcard('Hospital network', 'org', 'org-mail@hospital-org.test') },
        abuseEntity(n.abuse),
        { objectClassName: 'entity', handle: `ADMIN-${n.handle}`, roles: ['administrative', 'technical'] },
      ];
      break;
    case 'redacted':
      base['entities'] = [{ ...org, entities: [abuseEntity('abuse-contact@registry-policy.test')] }];
      base['redacted'] = [
        {
          name: { type: 'Abuse Email' },
          postPath: "$.entities[0].entities[?(@.roles[0]=='abuse')].vcardArray[1][?(@[0]=='email')][3]",
          pathLang: 'jsonpath',
          method: 'replacementValue',
          reason: { type: 'Server policy' },
        },
      ];
      break;
    case 'placeholder':
      base['entities'] = [org, abuseEntity('unread@ripe.net')];
      break;
  }
  return base;
}

/** Start it on 127.0.0.1 (a free port). */
export async function startRdap(nets: readonly RdapNet[]): Promise<RdapServer> {
  const paths: string[] = [];
  const srv = http.createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    paths.push(path);
    const m = /\/ip\/([^/]+)$/.exec(path);
    const a = m?.[1] !== undefined ? parseAddress(m[1]) : null;
    const net =
      a === null
        ? undefined
        : nets.find((n) => {
            const f = parseAddress(n.first);
            const l = parseAddress(n.last);
            return f !== null && l !== null && f.family === a.family && a.value >= f.value && a.value <= l.value;
          });
    if (net === undefined) {
      res.writeHead(404, { 'content-type': 'application/rdap+json' });
      res.end(JSON.stringify({ errorCode: 404, title: 'Not Found', description: ['no network'] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/rdap+json' });
    res.end(JSON.stringify(answer(net)));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/rdap/`,
    paths,
    stop: () => new Promise<void>((r) => srv.close(() => r())),
  };
}
