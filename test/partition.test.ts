/** Split keys for counting behind a cap: children from the values seen, and what escapes them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WHOLE, matchingKeys, seconds, split, within, type StudyKeys } from '../src/probes/dicom/partition.js';

const s = (name: string, pid = '1', date = '20260315', time = '101010'): StudyKeys => ({
  name,
  pid,
  date,
  time,
  accession: '',
});

test('name prefixes come from the values seen, in their own case; unusable characters and empty names escape', () => {
  const seen = [s('MARTIN^ANNA'), s('Müller^Hans'), s('MOREAU'), s('^JEAN'), s(''), s('M'), s('a*b')];
  const children = split('PatientName', WHOLE, seen);
  assert.ok(children !== null);
  assert.deepEqual(
    children.map((c) => matchingKeys(c)['PatientName']),
    ['M*', '^*', 'a*'],
  );
  const m = children[0];
  assert.ok(m !== undefined);
  const next = split(
    'PatientName',
    m,
    seen.filter((x) => within(x, m)),
  );
  assert.deepEqual(
    next?.map((c) => matchingKeys(c)['PatientName']),
    ['MA*', 'MO*', 'M'],
  );
  // the empty name and the non-ASCII second letter are in no child: the counter must reach them another way
  const all = [...(children ?? []), ...(next ?? [])];
  assert.equal(
    all.some((c) => within(s(''), c)),
    false,
  );
});

test('dates and times split at the median of distinct values seen; one value cannot be split', () => {
  const seen = ['20260101', '20260102', '20260105', '20260109'].map((d) => s('X', '1', d));
  const byDate = split('StudyDate', WHOLE, seen);
  assert.deepEqual(
    byDate?.map((c) => matchingKeys(c)['StudyDate']),
    ['-20260102', '20260103-'],
  );
  assert.equal(split('StudyDate', WHOLE, [s('X'), s('Y')]), null);
  const times = ['0700', '101010.5', '120000', '235959'].map((t) => s('X', '1', '20260101', t));
  assert.deepEqual(
    split('StudyTime', WHOLE, times)?.map((c) => matchingKeys(c)['StudyTime']),
    ['000000-101010', '101011-235959'],
  );
  assert.equal(seconds('0700'), 7 * 3600);
  assert.equal(seconds('25'), null);
  assert.equal(seconds(''), null);
});

test('an exact value that is also a prefix of others becomes its own child', () => {
  const seen = [s('', '12'), s('', '123'), s('', '124'), s('', '12')];
  const one = split('PatientID', WHOLE, seen);
  const twelve = one?.[0];
  assert.ok(twelve !== undefined);
  const deeper = split('PatientID', { ...twelve, prefixes: { PatientID: { value: '12', exact: false } } }, seen);
  assert.deepEqual(
    deeper?.map((c) => matchingKeys(c)['PatientID']),
    ['123*', '124*', '12'],
  );
});
