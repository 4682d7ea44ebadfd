/**
 * The email listener's bad input, over real SMTP: mail for an unknown address is refused at RCPT
 * (550), a mail over the size limit with 552, a mail that cannot land with 554 (or 451 when the
 * sender should try again); loops (bounces, auto-replies, bulk, mail from our own addresses) are
 * accepted and dropped. Nothing is stored for any of them, and each is logged.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { contentOf, MAX_ATTACHMENTS } from '../../src/channels/email/content.ts';
import { parseMail } from '../../src/channels/email/parse.ts';
import { SmtpReply } from '../../src/channels/email/replies.ts';
import { MAX_MEDIA_BYTES } from '../../src/conversations/sdk/media/store.ts';
import { captureLog, emailGateway, mailClient, type SmtpError } from './channel-email-helpers.ts';

const STORED = ['conversations', 'conversation_participants', 'conversation_messages', 'sdk_media', 'email_messages', 'interactions', 'tasks'];
const SUPPORT = 'help@acme.test';

for (const backend of backends()) {
  describe(`email gateway: refused and dropped mail (${backend.name})`, () => {
    let t: TestServer;
    let customer: ReturnType<typeof mailClient>;
    let rx: Receiver;
    const capture = captureLog();
    before(async () => {
      const gateway = emailGateway(null, {}, capture.log);
      t = await startServer(backend, { channels: [gateway.factory] });
      customer = mailClient(gateway.port);
      rx = await startReceiver();
      await t.client.conversations.v1.addressConfigurations.create({ type: 'email', address: SUPPORT, 'autoCreation.enabled': true });
    });
    after(async () => {
      customer.close();
      await t.close();
      await rx.close();
    });
    beforeEach(() => (capture.lines.length = 0));

    async function counts(): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (const table of STORED) out[table] = Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0);
      return out;
    }

    /** Sends and expects a refusal: its code, the command it answered; then that nothing was stored. */
    async function refused(send: () => Promise<unknown>, code: number, command: string): Promise<SmtpError> {
      const before = await counts();
      let error: SmtpError | undefined;
      await send().catch((e: SmtpError) => (error = e));
      assert.ok(error, 'the mail was refused');
      assert.equal(error.responseCode, code, error.message);
      assert.equal(error.command, command);
      assert.deepEqual(await counts(), before, 'nothing stored');
      return error;
    }

    async function dropped(send: () => Promise<{ response: string }>, rule: RegExp): Promise<void> {
      const before = await counts();
      const answer = await send();
      assert.match(answer.response, /^250 /, 'accepted: refusing it would bounce a bounce');
      assert.deepEqual(await counts(), before, 'nothing stored');
      const line = capture.lines.find((l) => l.msg === 'email dropped');
      assert.ok(line, 'logged');
      assert.match(line.rule, rule);
    }

    test('mail for an address nobody configured is refused at RCPT TO with 550, and logged nowhere as landed', async () => {
      const e = await refused(() => customer.send({ from: 'ann@customer.test', to: 'nobody@acme.test', subject: 'Hi', text: 'x' }), 550, 'RCPT TO');
      assert.match(e.response ?? '', /^550 5\.1\.1 /);
      assert.equal(capture.lines.filter((l) => l.msg === 'email received').length, 0);
      assert.ok(capture.lines.some((l) => l.msg === 'email refused' && l.code === 550 && l.to[0] === 'nobody@acme.test'), 'logged');
      // Among several recipients, only ours is taken: the mail lands once.
      const before = (await counts()).conversation_messages;
      const ok = await customer.send({ from: 'ann@customer.test', to: ['nobody@acme.test', SUPPORT], subject: 'Hi', text: 'hello' });
      assert.deepEqual(ok.rejected, ['nobody@acme.test']);
      assert.equal((await counts()).conversation_messages, before + 1);
    });

    test('a mail over the size limit is refused with 552 after DATA; the listener goes on taking mail', async () => {
      const big = 'x'.repeat(300 * 1024);
      const e = await refused(() => customer.send({ from: 'ann@customer.test', to: SUPPORT, subject: 'Big', text: big }), 552, 'DATA');
      assert.match(e.response ?? '', /^552 /);
      const ok = await customer.send({ from: 'ann@customer.test', to: SUPPORT, subject: 'Small', text: 'small' });
      assert.match(ok.response, /^250 /);
    });

    test('loops are accepted and dropped by rule: a bounce (empty MAIL FROM), an auto-reply, a delivery report, bulk mail, mail from our own address', async () => {
      await dropped(() => customer.send({ envelope: { from: '', to: [SUPPORT] }, from: 'mailer-daemon@customer.test', to: SUPPORT, subject: 'Undelivered', text: 'bounce' }), /empty MAIL FROM/);
      capture.lines.length = 0;
      await dropped(() => customer.send({ from: 'ann@customer.test', to: SUPPORT, subject: 'Out of office', text: 'I am away', headers: { 'Auto-Submitted': 'auto-replied' } }), /Auto-Submitted auto-replied/);
      capture.lines.length = 0;
      await dropped(
        () =>
          customer.send({
            from: 'postmaster@customer.test',
            to: SUPPORT,
            subject: 'Delivery report',
            raw: [
              'From: postmaster@customer.test',
              `To: ${SUPPORT}`,
              'Subject: report',
              'MIME-Version: 1.0',
              'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
              '',
              '--b',
              'Content-Type: text/plain',
              '',
              'Your message could not be delivered.',
              '--b--',
              '',
            ].join('\r\n'),
          }),
        /multipart\/report/,
      );
      capture.lines.length = 0;
      await dropped(() => customer.send({ from: 'news@customer.test', to: SUPPORT, subject: 'News', text: 'news', headers: { Precedence: 'bulk' } }), /Precedence bulk/);
      capture.lines.length = 0;
      await dropped(() => customer.send({ from: SUPPORT, to: SUPPORT, subject: 'Re: Re: Re:', text: 'echo' }), /own addresses/);
      // Auto-Submitted: no is a person's mail.
      const ok = await customer.send({ from: 'ann@customer.test', to: SUPPORT, subject: 'Real', text: 'a person', headers: { 'Auto-Submitted': 'no' } });
      assert.match(ok.response, /^250 /);
      assert.ok(capture.lines.some((l) => l.msg === 'email received'));
    });

    test('malformed MIME never crashes the listener: broken boundaries, bad base64 and a header soup land as text, or are refused with 554', async () => {
      const raw = [
        'From: "Ann" <ann@customer.test>',
        `To: ${SUPPORT}`,
        'Subject: =?utf-8?B?broken-encoded-word',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="never-closed"',
        'this line has no colon',
        '',
        '--never-closed',
        'Content-Type: text/plain; charset=no-such-charset',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Hello =ZZ broken =',
        '--never-closed',
        'Content-Type: application/octet-stream; name="a.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        '!!!! not base64 @@@@',
        '',
      ].join('\r\n');
      const before = await counts();
      const answer = await customer.send({ envelope: { from: 'ann@customer.test', to: [SUPPORT] }, raw });
      assert.match(answer.response, /^250 /);
      const after = await counts();
      assert.equal(after.conversation_messages, before.conversation_messages + 1, 'landed once');
      const row = await t.server.db.get<{ body: string; media: string }>('SELECT body, media FROM conversation_messages ORDER BY seq DESC LIMIT 1');
      assert.match(row?.body ?? '', /Hello/);
      // Nothing but garbage after the headers, and no text, subject or attachment: 554, nothing stored.
      await refused(() => customer.send({ envelope: { from: 'ann@customer.test', to: [SUPPORT] }, raw: `From: ann@customer.test\r\nTo: ${SUPPORT}\r\n\r\n` }), 554, 'DATA');
      // And the listener still answers.
      assert.match((await customer.send({ from: 'ann@customer.test', to: SUPPORT, subject: 'After', text: 'still here' })).response, /^250 /);
    });

    test('an address without auto-creation takes answers only (554 otherwise); a pre-event webhook that refuses refuses the mail (554); a Studio address without its one workspace defers (451)', async () => {
      const cv = t.client.conversations.v1;
      await cv.addressConfigurations.create({ type: 'email', address: 'replies-only@acme.test', 'autoCreation.enabled': false });
      const e = await refused(() => customer.send({ from: 'zed@customer.test', to: 'replies-only@acme.test', subject: 'Hi', text: 'new' }), 554, 'DATA');
      assert.match(e.response ?? '', /answers to open conversations only/);
      assert.ok(capture.lines.some((l) => l.msg === 'email refused' && l.code === 554));

      rx.answer = () => ({ status: 403 });
      await cv.configuration.webhooks().update({ preWebhookUrl: `${rx.url}/pre`, filters: ['onConversationAdd', 'onMessageAdd'] });
      await refused(() => customer.send({ from: 'yan@customer.test', to: SUPPORT, subject: 'Hi', text: 'refused' }), 554, 'DATA');
      assert.equal(rx.requests.at(-1)?.params.Source, 'EMAIL');
      await cv.configuration.webhooks().update({ preWebhookUrl: '', filters: [] });

      const other = await t.newAccount();
      await other.client.conversations.v1.addressConfigurations.create({
        type: 'email',
        address: 'studio@acme.test',
        'autoCreation.enabled': true,
        'autoCreation.type': 'studio',
        'autoCreation.studioFlowSid': 'FW' + 'a'.repeat(32),
      });
      const deferred = await refused(() => customer.send({ from: 'xi@customer.test', to: 'studio@acme.test', subject: 'Hi', text: 'later' }), 451, 'DATA');
      assert.match(deferred.response ?? '', /^451 4\.3\.0 /);
    });
  });
}

test('what a mail may carry: one part over the media limit, or more attachments than a message takes, refuses it (552)', async () => {
  const mime = (parts: { name: string; bytes: number }[]) =>
    Buffer.from(
      [
        'From: ann@customer.test',
        `To: ${SUPPORT}`,
        'Subject: files',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'see attached',
        ...parts.flatMap((p) => ['--b', `Content-Type: application/octet-stream; name="${p.name}"`, 'Content-Disposition: attachment', '', 'x'.repeat(p.bytes)]),
        '--b--',
        '',
      ].join('\r\n'),
    );
  const refusal = (fn: () => unknown) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof SmtpReply);
      assert.equal(e.responseCode, 552);
      return true;
    });
  const big = await parseMail(mime([{ name: 'big.bin', bytes: MAX_MEDIA_BYTES + 1 }]));
  refusal(() => contentOf(big));
  const many = await parseMail(mime(Array.from({ length: MAX_ATTACHMENTS + 1 }, (_, i) => ({ name: `f${i}.bin`, bytes: 10 }))));
  refusal(() => contentOf(many));
  const fine = await parseMail(mime(Array.from({ length: MAX_ATTACHMENTS }, (_, i) => ({ name: `f${i}.bin`, bytes: 10 }))));
  assert.equal(contentOf(fine).parts.length, MAX_ATTACHMENTS);
});
