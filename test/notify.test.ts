/**
 * The pure parts of notices and campaigns, from saved records: grouping by abuse contact (honeypots,
 * low findings and what a campaign already told left out; no contact: unattributed), the notice's
 * words, the recheck judgement, and the campaign's figures (closed share, median days, by AS).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alertMail } from '../src/monitor/alertMail.js';
import { campaignView, recheckState } from '../src/notify/campaign.js';
import { groupNotices, noticeText } from '../src/notify/notices.js';
import type { CampaignServiceRow, NoticeRow } from '../src/store/store.js';
import { dicomRecord, exposure, finding, networkRecord, serviceRecord } from './harness/records.js';

const open = (host: string, abuse: string[], over = {}) =>
  serviceRecord(host, 104, {
    product: 'Orthanc',
    version: '1.10.1',
    dicom: dicomRecord(),
    exposure: exposure(3),
    network: networkRecord({ abuse, abuseSource: abuse.length > 0 ? 'contacts' : null }),
    findings: [finding('dicom-open-query'), finding('dicom-open-association', 'high'), finding('dicom-echo', 'low')],
    ...over,
  });

describe('notices', () => {
  test('one notice per contact, never per host; honeypots, low findings and told findings left out', () => {
    const honeypot = open('192.0.2.9', ['a@x.test'], {
      honeypot: { suspect: true, reasons: ['canned-data'] },
    });
    const g = groupNotices(
      [
        open('192.0.2.1', ['A@x.test']),
        open('192.0.2.2', ['a@x.test']),
        open('198.51.100.1', ['b@y.test']),
        open('203.0.113.1', []),
        honeypot,
        serviceRecord('192.0.2.3', 104, {
          network: networkRecord({ abuse: ['a@x.test'] }),
          findings: [finding('x', 'low')],
        }),
      ],
      new Set(['198.51.100.1 104 dicom-open-query', '198.51.100.1 104 dicom-open-association']),
    );
    assert.deepEqual(
      g.notices.map((n) => [n.contact, n.services.map((s) => s.record.host)]),
      [['a@x.test', ['192.0.2.1', '192.0.2.2']]],
    );
    assert.deepEqual(
      g.notices[0]?.services[0]?.findings.map((f) => f.id),
      ['dicom-open-query', 'dicom-open-association'],
    );
    assert.deepEqual(
      g.unattributed.map((s) => s.host),
      ['203.0.113.1'],
    );
  });

  test('the words: address and port, what a stranger can do, how much, attribute names, fixes, reply and opt-out', () => {
    const d = groupNotices([open('192.0.2.1', ['a@x.test'])], new Set()).notices[0];
    assert.ok(d !== undefined);
    const t = noticeText(d, { ticket: 'OD-20261206-0001', campaign: 'c1', from: 'cert@z.test', scanFinished: null });
    assert.match(t.subject, /^\[OD-20261206-0001\] /);
    for (const want of [
      '192.0.2.1 port 104/tcp',
      'Software: Orthanc 1.10.1',
      'list patients and studies',
      'send images into the archive',
      '3 patients, 6 studies, 9 images',
      'PatientName',
      'How to close it: restrict it',
      'opt out',
      'Campaign: c1',
    ])
      assert.ok(t.text.includes(want), want);
  });
});

describe('campaigns', () => {
  const before = open('192.0.2.1', ['a@x.test']);
  test('recheck: closed, open, partly-closed, changed', () => {
    assert.equal(recheckState(before, undefined), 'closed');
    assert.equal(recheckState(before, { ...before, findings: [finding('dicom-echo', 'low')] }), 'closed');
    assert.equal(recheckState(before, before), 'open');
    assert.equal(
      recheckState(before, { ...before, findings: [finding('dicom-open-association', 'high')] }),
      'partly-closed',
    );
    assert.equal(recheckState(before, { ...before, protocol: 'http' }), 'changed');
    assert.equal(recheckState(before, { ...before, product: 'dcm4chee-arc' }), 'changed');
  });

  test('figures over sent notices: closed share, median days, by AS and country, the curve', () => {
    const notice = (ticket: string, state: NoticeRow['state'], sent: string | null): NoticeRow => ({
      ticket,
      campaign: 'c',
      contact: `${ticket}@x.test`,
      scanId: 's',
      created: '2026-01-01T00:00:00Z',
      state,
      error: null,
      sent,
    });
    const svc = (host: string, ticket: string, asn: number, closed: string | null): CampaignServiceRow => ({
      campaign: 'c',
      host,
      port: 104,
      ticket,
      asn,
      asName: `N${asn}`,
      cc: 'DE',
      record: '{}',
      state: closed !== null ? 'closed' : 'open',
      checked: '2026-01-20T00:00:00Z',
      closed,
    });
    const v = campaignView(
      { name: 'c', scanId: 's', created: '2026-01-01T00:00:00Z' },
      [
        notice('t1', 'sent', '2026-01-01T00:00:00Z'),
        notice('t2', 'sent', '2026-01-01T00:00:00Z'),
        notice('t3', 'failed', null),
      ],
      [
        svc('192.0.2.1', 't1', 1, '2026-01-03T00:00:00Z'),
        svc('192.0.2.2', 't1', 1, '2026-01-11T00:00:00Z'),
        svc('192.0.2.3', 't2', 2, null),
        svc('192.0.2.4', 't2', 2, null),
        svc('192.0.2.5', 't3', 3, null),
      ],
    );
    assert.deepEqual([v.notices, v.services, v.closed, v.closedRate, v.medianDaysToClose], [2, 4, 2, 0.5, 6]);
    assert.deepEqual(
      v.byAsn.map((a) => [a.asn, a.services, a.closed]),
      [
        [1, 2, 2],
        [2, 2, 0],
      ],
    );
    assert.deepEqual(v.byCountry, [{ cc: 'DE', services: 4, closed: 2, closedRate: 0.5 }]);
    assert.deepEqual(v.curve, [
      [0, 0],
      [2, 0.25],
      [10, 0.5],
    ]);
    assert.equal(v.items.length, 3);
  });

  test("a monitor's alert mail links the dashboard's diff", () => {
    const m = alertMail(
      {
        type: 'alert',
        monitor: 'm',
        scanId: 'b',
        previousScanId: 'a',
        new: [{ host: '192.0.2.1', port: 104, product: null, findings: ['dicom-open-query'] }],
        fixed: [],
        changed: [],
      },
      'http://127.0.0.1:8750/',
    );
    assert.equal(m.subject, '[opendoor] m: 1 new, 0 fixed, 0 changed');
    assert.ok(m.text.includes('http://127.0.0.1:8750/diff?a=a&b=b'));
    assert.ok(m.text.includes('192.0.2.1 port 104: dicom-open-query'));
  });
});
