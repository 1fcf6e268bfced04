/**
 * The outside contract (../shared/contract.md) as assertions: every required field of a `service`
 * and `summary` record, with its type and closed set of values. Extra fields are allowed.
 */
import assert from 'node:assert/strict';

const isNullableString = (v: unknown) => v === null || typeof v === 'string';
const isNullableBool = (v: unknown) => v === null || typeof v === 'boolean';

export function assertServiceRecord(r: Record<string, unknown>): void {
  const where = `${String(r['host'])}:${String(r['port'])}`;
  assert.equal(r['type'], 'service', where);
  assert.equal(typeof r['host'], 'string', where);
  assert.ok(Number.isInteger(r['port']), where);
  assert.ok(['tcp', 'tls'].includes(r['transport'] as string), where);
  assert.ok(['dicom', 'http', 'unknown', 'silent'].includes(r['protocol'] as string), where);
  assert.ok(isNullableString(r['product']) && isNullableString(r['version']), where);
  const d = r['dicom'] as Record<string, unknown> | null;
  assert.equal(d !== null, r['protocol'] === 'dicom', `${where}: dicom object present exactly when protocol is dicom`);
  if (d !== null) {
    for (const k of ['implementationClassUid', 'implementationVersionName', 'calledAe'])
      assert.ok(isNullableString(d[k]), `${where} dicom.${k}`);
    for (const k of ['anyCalledAe', 'anyCallingAe', 'echo', 'find', 'retrieve', 'storageAccepted'])
      assert.ok(k in d && isNullableBool(d[k]), `${where} dicom.${k}`);
    const rj = d['rejection'] as Record<string, unknown> | null;
    assert.ok(
      rj === null ||
        (typeof rj['result'] === 'number' && typeof rj['source'] === 'number' && typeof rj['reason'] === 'number'),
      `${where} dicom.rejection`,
    );
  }
  const h = r['http'] as Record<string, unknown> | null;
  assert.ok(
    h === null ||
      (['none', 'required', 'default-credentials', null].includes(h['auth'] as string | null) &&
        'status' in h &&
        'server' in h &&
        'api' in h),
    `${where} http`,
  );
  const t = r['tls'] as Record<string, unknown> | null;
  assert.equal(t !== null, r['transport'] === 'tls', `${where}: tls object present exactly on tls`);
  if (t !== null)
    for (const k of ['version', 'subject', 'issuer', 'selfSigned', 'notAfter', 'clientCertRequired'])
      assert.ok(k in t, `${where} tls.${k}`);
  const e = r['exposure'] as Record<string, unknown> | null;
  if (e !== null) {
    for (const k of ['patients', 'studies', 'series', 'instances'])
      assert.ok(Number.isInteger(e[k]) && (e[k] as number) >= 0, `${where} exposure.${k}`);
    assert.equal(typeof e['complete'], 'boolean', where);
    assert.ok(
      Array.isArray(e['phi']) &&
        (e['phi'] as unknown[]).every((p) => typeof p === 'string' && /^[A-Z][A-Za-z]+$/.test(p)),
      `${where} exposure.phi holds attribute keywords`,
    );
  }
  // attribution (issue 21): who announces the address and whom to tell; nulls where nothing covers it
  const net = r['network'] as Record<string, unknown> | undefined;
  assert.ok(net !== undefined && net !== null, `${where}: network`);
  assert.ok(net['asn'] === null || Number.isInteger(net['asn']), `${where} network.asn`);
  for (const k of ['asName', 'prefix', 'cc']) assert.ok(isNullableString(net[k]), `${where} network.${k}`);
  assert.ok(
    Array.isArray(net['abuse']) && (net['abuse'] as unknown[]).every((m) => typeof m === 'string' && m.includes('@')),
    `${where} network.abuse`,
  );
  assert.ok([null, 'contacts', 'rdap'].includes(net['abuseSource'] as string | null), `${where} network.abuseSource`);
  assert.equal(
    (net['abuse'] as unknown[]).length > 0,
    net['abuseSource'] !== null,
    `${where}: a source exactly when a contact`,
  );
  assert.ok(Array.isArray(r['findings']), where);
  for (const f of r['findings'] as Array<Record<string, unknown>>) {
    assert.match(String(f['id']), /^[a-z0-9-]+$/, where);
    assert.ok(['critical', 'high', 'medium', 'low', 'info'].includes(f['severity'] as string), where);
    assert.ok(typeof f['title'] === 'string' && typeof f['remediation'] === 'string', where);
  }
}

export function assertSummaryRecord(r: Record<string, unknown>): void {
  assert.equal(r['type'], 'summary');
  assert.equal(typeof r['scanId'], 'string');
  for (const k of [
    'targets',
    'optedOut',
    'services',
    'exposedServices',
    'patients',
    'studies',
    'instances',
    'elapsedMs',
  ])
    assert.ok(Number.isInteger(r[k]), `summary.${k}`);
}
