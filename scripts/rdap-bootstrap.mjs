// Refresh src/attribution/rdap-bootstrap.json from IANA's RDAP bootstrap registries (RFC 9224):
//   node scripts/rdap-bootstrap.mjs && npm run build
// Keeps the registries' layout ({version, publication, services: [[entries], [base URLs]]}), https URLs only.
import { writeFileSync } from 'node:fs';

const out = {
  description:
    'IANA RDAP bootstrap registries (RFC 9224: https://data.iana.org/rdap/ipv4.json, ipv6.json, asn.json), https base URLs only; regenerate with scripts/rdap-bootstrap.mjs',
};
for (const kind of ['ipv4', 'ipv6', 'asn']) {
  const res = await fetch(`https://data.iana.org/rdap/${kind}.json`, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`${kind}.json: HTTP ${res.status}`);
  const file = await res.json();
  out[kind] = {
    version: file.version,
    publication: file.publication,
    services: file.services.map(([entries, urls]) => [entries, urls.filter((u) => u.startsWith('https://'))]),
  };
}
writeFileSync(new URL('../src/attribution/rdap-bootstrap.json', import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
