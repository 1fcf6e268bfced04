/**
 * The HTML opendoor writes (the report, owner letters, a mail's HTML part) comes from Eta views
 * (src/report/views): a server's hostile strings in any field (markup, quotes, `&`) come out as text.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compose } from '../src/notify/mail.js';
import { toHtml } from '../src/report/html.js';
import { letterHtml, letters } from '../src/report/letters.js';
import { buildModel, type ReportModel } from '../src/report/model.js';
import { openStore } from '../src/store/open.js';
import { removeDir, tempDir } from './harness/procs.js';
import { dicomRecord, exposure, serviceRecord } from './harness/records.js';

const HOSTILE = `<script>alert("x")</script> & 'q'`;
const ESCAPED = '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;q&#39;';

describe('HTML from views', () => {
  const dir = tempDir('html-report');
  let m: ReportModel;

  before(async () => {
    const store = await openStore(path.join(dir, 'r.db'));
    try {
      await store.beginScan('hostile-1', { targets: ['127.0.0.0/24'], depth: 'count' });
      const hostile = serviceRecord('127.0.0.7', 4242, {
        product: HOSTILE,
        version: HOSTILE,
        transport: 'tls',
        dicom: dicomRecord({ calledAe: HOSTILE, anyCalledAe: false }),
        exposure: exposure(3, { phi: [HOSTILE] }),
        findings: [
          { id: 'dicom-open-query', severity: 'critical', title: HOSTILE, remediation: HOSTILE, evidence: HOSTILE },
        ],
      });
      await store.recordHost('hostile-1', [hostile], null);
      await store.recordHost('hostile-1', [serviceRecord('127.0.0.8', 104)], null);
      await store.finishScan('hostile-1', 'done', 2, 5);
      const built = await buildModel(store, 'hostile-1');
      assert.ok(built !== null);
      m = built;
    } finally {
      await store.close();
    }
  });
  after(() => removeDir(dir));

  test('the report: every field a server sent is text, the markup around it intact', () => {
    const html = toHtml(m);
    assert.ok(!html.includes('<script'), 'no script element');
    assert.ok(!html.includes(`"x"`) && !html.includes(`'q'`), 'quotes escaped');
    // product and version, the accepted AE, the attribute names; the finding's evidence and fix
    assert.ok(html.includes(`<td>${ESCAPED} ${ESCAPED}</td><td>AE ${ESCAPED}</td>`), 'product, version, access');
    assert.ok(html.includes(`<td>${ESCAPED}</td><td><span class="sev critical">critical</span> dicom-open-query</td>`));
    assert.ok(html.includes(`<li>127.0.0.7:4242 (${ESCAPED}) — ${ESCAPED}</li>`), 'the evidence');
    assert.ok(html.includes(`<p><strong>Fix:</strong> ${ESCAPED}</p>`), 'the fix');
    assert.ok(html.includes('<td>dicom/tls</td>'));
    assert.equal(html.match(/<tr><td>/g)?.length, 2, 'one row a service');
    assert.match(html, /<\/body><\/html>\n$/);
  });

  test("an owner's letter and a mail's HTML part escape the same way", async () => {
    const [letter] = letters(m, []);
    assert.ok(letter !== undefined);
    const html = letterHtml(letter, 'hostile-1');
    assert.ok(!html.includes('<script') && html.includes(ESCAPED));
    assert.match(html, /^<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Operator of 127\.0\.0\.7/);
    const eml = (
      await compose({ from: 'a@example.org', to: ['b@example.org'], subject: 's', text: `one\n\n${HOSTILE}` })
    )
      .toString('latin1')
      .replace(/=\r\n/g, '');
    const part = eml.slice(eml.indexOf('Content-Type: text/html'));
    assert.ok(part.length > 0 && !part.includes('<script'), 'no script in the HTML part');
    assert.ok(part.includes('<p style=3D"margin:0">&#60;script&#62;alert(&#34;x&#34;)'), part);
  });
});
