/**
 * Notices that get doors closed (issue 22), against real parts on 127.0.143.x: an open Orthanc of
 * hospital A and an open dcmqrscp of clinic B (both by a contacts file), a third open Orthanc whose
 * abuse contact comes from a real RDAP server on loopback; real SMTP servers (Debian's aiosmtpd:
 * one that accepts, one that answers 451 once, one that refuses a recipient) receive the mail, and
 * Python's email package parses it. Then clinic B's server is stopped and the third one stops
 * answering queries: `campaign recheck` and `campaign show` tell closed, open and partly-closed.
 * The PHI marker is in every patient name: never in a mail, .eml, CSV or output.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from './harness/cli.js';
import { removeDir, tempDir } from './harness/procs.js';
import { type RdapServer, startRdap } from './harness/rdap.js';
import { startDcmqrscp, startOrthanc, type TestServer } from './harness/servers.js';
import { type SmtpSink, parseEml, startSmtp } from './harness/smtp.js';
import { PHI_MARKER, makeArchive } from './harness/studies.js';
import { OPEN_ORTHANC } from './harness/fleet.js';
import { launchChromium } from './harness/browser.js';
import { addAccounts, startServe } from './harness/serve.js';

const A = '127.0.143.2';
const B = '127.0.143.3';
const C = '127.0.143.4';
const SMTP_OK = '127.0.143.20';
const SMTP_FLAKY = '127.0.143.21';
const SMTP_REFUSE = '127.0.143.22';
const [SMTP_PORT, SERVE] = [2525, '127.0.143.30'];
const PASSWORD = 'a long enough password';
const A_MAIL = 'pacs@hospital-a.test';
const B_MAIL = 'it@clinic-b.test';
const C_MAIL = 'abuse@net-c.test';
const FROM = 'cert@opendoor.test';

interface NoticeOut {
  type: 'notice';
  ticket: string;
  contact: string;
  services: Array<{ host: string; port: number; findings: string[] }>;
  state: string;
  error?: string;
}
type SummaryOut = { type: 'notify-summary' } & Record<
  'notices' | 'services' | 'unattributed' | 'sent' | 'failed',
  number
>;

const lines = (stdout: string) =>
  stdout.split('\n').flatMap((l) => (l === '' ? [] : [JSON.parse(l) as NoticeOut | SummaryOut]));
const noticesOf = (stdout: string) => lines(stdout).filter((l): l is NoticeOut => l.type === 'notice');
const summaryOf = (stdout: string) => lines(stdout).find((l): l is SummaryOut => l.type === 'notify-summary');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('notify and campaigns', () => {
  const dir = tempDir('notify');
  const db = path.join(dir, 'scans.db');
  const emls = path.join(dir, 'eml');
  const servers: TestServer[] = [];
  let orthancC: TestServer;
  let qrB: TestServer;
  let rdap: RdapServer;
  const sinks: SmtpSink[] = [];
  let ok: SmtpSink;
  let flaky: SmtpSink;
  let refusing: SmtpSink;
  const outputs: string[] = [];
  let archive: ReturnType<typeof makeArchive>;
  const cli = async (args: string[]) => {
    const r = await runCli([...args, '--db', db]);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const notify = (campaign: string, ...extra: string[]) =>
    cli(['notify', '--campaign', campaign, '--json', '--mail-rate', '600', ...extra]);

  before(async () => {
    archive = makeArchive(tempDir('notify-studies'), {
      patients: 2,
      studiesPerPatient: 1,
      seriesPerStudy: 1,
      instancesPerSeries: 2,
    });
    servers.push(await startOrthanc({ host: A, config: OPEN_ORTHANC, files: archive.files }));
    qrB = await startDcmqrscp({ host: B, aet: 'ARCHIVE', peers: 'ANY', files: archive.files });
    orthancC = await startOrthanc({ host: C, config: OPEN_ORTHANC, files: archive.files });
    rdap = await startRdap([
      { first: '127.0.143.4', last: '127.0.143.7', handle: 'NET-C', shape: 'ripe', abuse: C_MAIL },
    ]);
    ok = await startSmtp(SMTP_OK, SMTP_PORT);
    flaky = await startSmtp(SMTP_FLAKY, SMTP_PORT, 'tempfail-once');
    refusing = await startSmtp(SMTP_REFUSE, SMTP_PORT, { refuse: [B_MAIL] });
    sinks.push(ok, flaky, refusing);
    const asn = path.join(dir, 'asn.csv');
    writeFileSync(asn, '127.0.143.0,127.0.143.3,64510,Hospitals\n127.0.143.4,127.0.143.7,64511,Net C\n');
    const contacts = path.join(dir, 'contacts.txt');
    writeFileSync(contacts, `${A} ${A_MAIL} Hospital A\n${B} ${B_MAIL} Clinic B\n`);
    const scan = `scan ${A}-${C} -p 4242,11112 --json --timeout 1500 --asn-data ${asn} --contacts ${contacts}`;
    const r = await cli([...scan.split(' '), '--rdap-url', rdap.url]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    for (const s of sinks) await s.stop();
    await rdap?.stop();
    for (const s of servers) await s.stop();
    await orthancC?.stop();
    await qrB?.stop();
    removeDir(dir);
  });

  test('a dry run lists one notice per contact and writes each as an .eml; nothing is sent', async () => {
    const r = await notify('dry', '-o', emls);
    assert.equal(r.code, 0, r.stderr);
    const notices = noticesOf(r.stdout);
    assert.deepEqual(notices.map((n) => n.contact).sort(), [C_MAIL, B_MAIL, A_MAIL].sort());
    for (const n of notices) {
      assert.equal(n.state, 'dry-run');
      assert.match(n.ticket, /^OD-\d{8}-\d{4}$/);
      assert.equal(n.services.length, 1);
      assert.ok(n.services[0]?.findings.includes('dicom-open-query'), JSON.stringify(n));
    }
    assert.deepEqual(summaryOf(r.stdout), {
      type: 'notify-summary',
      campaign: 'dry',
      notices: 3,
      services: 3,
      unattributed: 0,
      sent: 0,
      failed: 0,
    });
    const files = readdirSync(emls).sort();
    assert.deepEqual(files, notices.map((n) => `${n.ticket}.eml`).sort());
    for (const f of files) {
      const eml = readFileSync(path.join(emls, f), 'utf8');
      assert.match(eml, /^Auto-Submitted: auto-generated/m);
      assert.match(eml, new RegExp(`^Subject: \\[${f.replace('.eml', '')}\\]`, 'm'));
      assert.ok(!eml.includes(PHI_MARKER));
      const parsed = parseEml(path.join(emls, f));
      assert.equal(parsed.attachments.length, 1);
      assert.ok(!JSON.stringify(parsed).includes(PHI_MARKER));
    }
    for (const s of sinks) assert.equal(s.received().length, 0);
    assert.equal((await cli(['campaign', 'show', 'dry'])).code, 2, 'a dry run keeps nothing');
  });

  test('--send delivers exactly one mail per contact with only its services, its ticket and its CSV; a rerun sends none', async () => {
    const r = await notify('main', '--send', '--smtp', ok.url, '--from', FROM);
    assert.equal(r.code, 0, r.stderr);
    const notices = noticesOf(r.stdout);
    assert.equal(notices.length, 3);
    assert.ok(notices.every((n) => n.state === 'sent'));
    const got = ok.received();
    assert.equal(got.length, 3);
    for (const n of notices) {
      const mail = got.find((m) => m.to.join(',') === n.contact);
      assert.ok(mail !== undefined, n.contact);
      const host = n.services[0]?.host as string;
      assert.equal(mail.from, FROM);
      assert.ok((mail.headers.subject ?? '').includes(n.ticket));
      assert.match(mail.headers['message-id'] ?? '', /^<[^@]+@opendoor\.test>$/);
      assert.ok(!Number.isNaN(Date.parse(mail.headers.date ?? '')));
      assert.equal(mail.headers['auto-submitted'], 'auto-generated');
      const text = mail.text ?? '';
      assert.ok(text.includes(`${host} port ${n.services[0]?.port}`), text);
      assert.ok(text.includes(n.ticket) && text.includes('Campaign: main'));
      assert.match(text, /How to close it: /);
      assert.match(text, /opt out/);
      assert.match(text, /PatientName/); // attribute names, never values
      for (const other of [A, B, C].filter((h) => h !== host))
        assert.ok(!text.includes(other), `${other} in ${host}'s mail`);
      assert.ok((mail.html ?? '').includes(n.ticket));
      assert.equal(mail.attachments.length, 1);
      const csv = mail.attachments[0];
      assert.equal(csv?.filename, `${n.ticket}.csv`);
      assert.equal(csv?.contentType, 'text/csv');
      const rows = (csv?.content ?? '').trim().split(/\r?\n/);
      assert.match(rows[0] ?? '', /^timestamp,ip,protocol,port,hostname,tag,asn,geo,region,city,naics,sic/);
      assert.equal(rows.length, 2);
      assert.ok(rows[1]?.includes(`,${host},tcp,${n.services[0]?.port},`), rows[1]);
      assert.ok(!JSON.stringify(mail).includes(PHI_MARKER), 'decoded parts and raw bytes');
    }
    const again = await notify('main', '--send', '--smtp', ok.url, '--from', FROM);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(noticesOf(again.stdout).length, 0);
    assert.equal(summaryOf(again.stdout)?.sent, 0);
    assert.equal(ok.received().length, 3);
  });

  test('a 451 is retried and goes through; a refused recipient fails (exit 1) and a rerun sends only that one', async () => {
    const r = await notify('flaky', '--send', '--smtp', flaky.url, '--from', FROM);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(summaryOf(r.stdout)?.sent, 3);
    assert.ok(flaky.tempfailed(), 'the server answered 451 once');
    assert.equal(flaky.received().length, 3);

    const refused = await notify('refused', '--send', '--smtp', refusing.url, '--from', FROM);
    assert.equal(refused.code, 1, refused.stderr);
    const failed = noticesOf(refused.stdout).filter((n) => n.state === 'failed');
    assert.deepEqual(
      failed.map((n) => n.contact),
      [B_MAIL],
    );
    assert.match(failed[0]?.error ?? '', /550 5\.1\.1/);
    assert.equal(summaryOf(refused.stdout)?.failed, 1);
    assert.equal(refusing.received().length, 2);
    const before = ok.received().length;
    const rerun = await notify('refused', '--send', '--smtp', ok.url, '--from', FROM);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(
      noticesOf(rerun.stdout).map((n) => [n.contact, n.state]),
      [[B_MAIL, 'sent']],
    );
    assert.equal(ok.received().length, before + 1);
  });

  test('after the notice one door closes and one stops answering queries: recheck and show tell closed, open and partly-closed', async () => {
    await qrB.stop();
    await orthancC.stop();
    orthancC = await startOrthanc({
      host: C,
      config: {
        DicomCheckCalledAet: false,
        DicomAlwaysAllowEcho: true,
        DicomAlwaysAllowFind: false,
        DicomAlwaysAllowGet: false,
        DicomAlwaysAllowMove: false,
      },
    });
    const r = await cli(['campaign', 'recheck', 'main', '--timeout', '1500', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const show = await cli(['campaign', 'show', 'main', '--json']);
    assert.equal(show.code, 0, show.stderr);
    const v = JSON.parse(show.stdout) as {
      type: string;
      notices: number;
      services: number;
      closed: number;
      closedRate: number;
      medianDaysToClose: number | null;
      byAsn: Array<{ asn: number; services: number; closed: number }>;
      byCountry: unknown[];
      items: Array<{ ticket: string; contact: string; services: Array<{ host: string; state: string }> }>;
    };
    assert.equal(v.type, 'campaign');
    assert.equal(v.notices, 3);
    assert.equal(v.services, 3);
    assert.equal(v.closed, 1);
    assert.equal(v.closedRate, 1 / 3);
    assert.equal(v.medianDaysToClose, 0);
    const state = new Map(v.items.flatMap((n) => n.services.map((s) => [s.host, s.state])));
    assert.deepEqual(Object.fromEntries(state), { [A]: 'open', [B]: 'closed', [C]: 'partly-closed' });
    assert.deepEqual(
      v.byAsn.map((a) => [a.asn, a.services, a.closed]),
      [
        [64510, 2, 1],
        [64511, 1, 0],
      ],
    );
    const list = await cli(['campaign', 'list', '--json']);
    assert.deepEqual(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { name: string }).name),
      ['main', 'flaky', 'refused'],
    );
  });

  test("the dashboard's campaign page: the curve, per-AS table and each notice's ticket and state; viewers read, admins recheck", async () => {
    const tokens = await addAccounts(db, PASSWORD);
    const serve = await startServe(SERVE, ['--db', db, '--timeout', '1500']);
    const browser = await launchChromium();
    try {
      assert.equal(
        (await serve.api('/api/v1/campaigns/main/recheck', { method: 'POST', token: tokens.viewer })).status,
        403,
      );
      const api = (await (await serve.api('/api/v1/campaigns/main', { token: tokens.viewer })).json()) as {
        closed: number;
        services: number;
      };
      assert.deepEqual([api.closed, api.services], [1, 3]);
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('request', (req) => {
        if (!req.url().startsWith(serve.base)) problems.push(`request to ${req.url()}`);
      });
      await page.goto(`${serve.base}/campaigns/main`);
      await page.fill('input[name=username]', 'viewer');
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL('**/campaigns/main'), page.click('button[type=submit]')]);
      assert.equal(await page.textContent('[data-figure=closed]'), '1');
      assert.equal(await page.textContent('[data-figure=closed-share]'), '33.3%');
      assert.equal(await page.locator('svg.chart polyline').count(), 1);
      const rows = await page.$$eval('[data-table=notices] tbody tr', (trs) =>
        trs.map((tr) => [tr.getAttribute('data-service'), tr.querySelector('.state')?.textContent ?? '']),
      );
      assert.deepEqual(Object.fromEntries(rows), {
        [`${A}:4242`]: 'open',
        [`${B}:11112`]: 'closed',
        [`${C}:4242`]: 'partly-closed',
      });
      const tickets = await page.$$eval('[data-table=notices] tbody tr', (trs) =>
        trs.map((tr) => tr.getAttribute('data-ticket')),
      );
      assert.ok(tickets.every((t) => /^OD-\d{8}-\d{4}$/.test(t ?? '')));
      assert.match((await page.textContent('[data-table=by-asn]')) ?? '', /AS64510 Hospitals\s*2\s*1\s*50%/);
      assert.equal(await page.locator('form[action$="/recheck"]').count(), 0, 'viewers get no recheck button');
      const html = await page.content();
      assert.ok(!html.includes(PHI_MARKER));
      outputs.push(html);
      await page.goto(`${serve.base}/campaigns`);
      assert.match((await page.textContent('table.list')) ?? '', /main/);
      assert.deepEqual(problems, []);
      const checked = async () =>
        ((await (await serve.api('/api/v1/campaigns/main', { token: tokens.admin })).json()) as { lastChecked: string })
          .lastChecked;
      const was = await checked();
      const post = await serve.api('/api/v1/campaigns/main/recheck', { method: 'POST', token: tokens.admin });
      assert.deepEqual([post.status, await post.json()], [202, { campaign: 'main', started: true }]);
      let now = was;
      for (let i = 0; i < 120 && now === was; i++, await sleep(250)) now = await checked();
      assert.ok(now > was, 'a recheck an admin started ran in serve and dated the campaign');
    } finally {
      await browser.close();
      await serve.stop();
    }
  });

  test('a monitor whose scope is the campaign e-mails its alert: clinic B is back (new), delivered to the SMTP server', async () => {
    const serve = await startServe(SERVE, ['--db', db, '--timeout', '1500', '--smtp', ok.url, '--mail-from', FROM]);
    const admin = (await runCli(['user', 'token', 'admin', '--db', db])).stdout.trim();
    try {
      const body = {
        name: 'main-recheck',
        campaign: 'main',
        schedule: '0 3 * * *',
        timezone: 'UTC',
        email: ['noc@cert.test'],
      };
      const put = await serve.api('/api/v1/monitors', { method: 'POST', token: admin, body: JSON.stringify(body) });
      assert.equal(put.status, 201, await put.text());
      const monitor = async () =>
        (
          (await (await serve.api('/api/v1/monitors', { token: admin })).json()) as {
            items: Array<{ lastScan: string | null; running: string | null }>;
          }
        ).items[0];
      const runOnce = async () => {
        const before = (await monitor())?.lastScan;
        const run = await serve.api('/api/v1/monitors/main-recheck/run', { method: 'POST', token: admin });
        assert.equal(run.status, 202);
        for (let i = 0; i < 120; i++) {
          const m = await monitor();
          if (m?.running === null && m.lastScan !== before) return;
          await sleep(250);
        }
        assert.fail('the monitor run did not finish');
      };
      await runOnce();
      qrB = await startDcmqrscp({ host: B, aet: 'ARCHIVE', peers: 'ANY', files: archive.files });
      const before = ok.received().length;
      await runOnce();
      let mail: ReturnType<SmtpSink['received']>[number] | undefined;
      for (let i = 0; i < 80 && mail === undefined; i++) {
        mail = ok
          .received()
          .slice(before)
          .find((m) => m.to.includes('noc@cert.test'));
        if (mail === undefined) await sleep(250);
      }
      assert.ok(mail !== undefined, 'the alert mail arrived');
      assert.match(mail.headers.subject ?? '', /main-recheck: 1 new, 0 fixed/);
      assert.equal(mail.headers['auto-submitted'], 'auto-generated');
      assert.ok((mail.text ?? '').includes(`${B} port 11112`), mail.text ?? '');
      assert.match(mail.text ?? '', new RegExp(`${serve.base.replace(/[.]/g, '\\.')}/diff\\?a=`));
      assert.ok(!JSON.stringify(mail).includes(PHI_MARKER), 'decoded parts and raw bytes');
    } finally {
      await serve.stop();
    }
  });

  test('a recheck honours the opt-out list: that service is not probed and keeps its state', async () => {
    assert.equal((await cli(['optout', 'add', C, '--reason', 'asked by Net C'])).code, 0);
    const r = await cli(['campaign', 'recheck', 'main', '--json']);
    const states = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { host: string; state: string });
    assert.deepEqual(states.find((x) => x.host === C)?.state, 'opted-out');
    const show = JSON.parse((await cli(['campaign', 'show', 'main', '--json'])).stdout) as {
      items: Array<{ services: Array<{ host: string; state: string }> }>;
    };
    assert.equal(show.items.flatMap((n) => n.services).find((x) => x.host === C)?.state, 'partly-closed');
    for (const o of outputs) assert.ok(!o.includes(PHI_MARKER), 'the PHI marker is in no output');
  });
});
