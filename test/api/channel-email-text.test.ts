/**
 * The email gateway's pure rules: what of a mail's text is new (quoted history cut as mail clients
 * write it), the ids a threading header names, and which mail is a loop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loopRule } from '../../src/channels/email/loops.ts';
import { messageIds, parseMail } from '../../src/channels/email/parse.ts';
import { newText, quoteText } from '../../src/channels/email/quote.ts';

test('the new text of a reply: Gmail, Apple Mail and Thunderbird attributions, Outlook blocks, bare quotes; a mail that is all quote is kept whole', () => {
  assert.equal(newText('Thanks!\n\nOn Tue, 3 Mar 2026 at 10:00, Acme <s@acme.test> wrote:\n> Hello\n> there\n'), 'Thanks!');
  assert.equal(newText('Thanks!\r\n\r\nOn Tue, 3 Mar 2026 at 10:00, Acme Support\r\n<s@acme.test> wrote:\r\n> Hello\r\n'), 'Thanks!');
  assert.equal(newText('Fine.\n\n-----Original Message-----\nFrom: Acme\nSent: today\n\nHello'), 'Fine.');
  assert.equal(newText('Fine.\n\n________________________________\nFrom: Acme <s@acme.test>\nSent: today'), 'Fine.');
  assert.equal(newText('Yes\n> did you?\n> really?\n'), 'Yes');
  assert.equal(newText('> inline quote\nmy answer\n> another\nmore answer'), '> inline quote\nmy answer\n> another\nmore answer', 'interleaved answers are kept');
  assert.equal(newText('On my way, I wrote this down:\nitem'), 'On my way, I wrote this down:\nitem', 'a line that only starts with On is text');
  assert.equal(newText('> all\n> quote'), '> all\n> quote');
});

test('quoting under a reply: newest first, each under its attribution, nested quotes deepened', () => {
  const text = quoteText([
    { date: new Date(Date.UTC(2026, 0, 15, 9, 5)), author: 'Ann <a@c.test>', body: 'Second\n> old' },
    { date: new Date(Date.UTC(2026, 0, 15, 9, 0)), author: 'Acme <s@acme.test>', body: 'First' },
  ]);
  assert.equal(text, 'On Thu, 15 Jan 2026 09:05:00 GMT, Ann <a@c.test> wrote:\n> Second\n>> old\n\nOn Thu, 15 Jan 2026 09:00:00 GMT, Acme <s@acme.test> wrote:\n> First');
});

test('threading ids: brackets taken off, several per header, junk and non-ASCII left out', () => {
  assert.deepEqual(messageIds('<a@b>'), ['a@b']);
  assert.deepEqual(messageIds(['<a@b> <c@d>', '<e@f>']), ['a@b', 'c@d', 'e@f']);
  assert.deepEqual(messageIds('bare@id'), ['bare@id']);
  assert.deepEqual(messageIds(`<${'x'.repeat(300)}@long> <ü@x> <ok@x>`), ['ok@x']);
  assert.deepEqual(messageIds(undefined), []);
});

test('loops: each rule, and the mail of a person passing them all', async () => {
  const mail = (headers: string[], type = 'text/plain') => parseMail(Buffer.from([`From: a@c.test`, 'To: s@acme.test', ...headers, `Content-Type: ${type}`, '', 'hi', ''].join('\r\n')));
  const person = await mail([]);
  assert.equal(loopRule('a@c.test', person, false), null);
  assert.match(loopRule('', person, false) ?? '', /empty MAIL FROM/);
  assert.match(loopRule('a@c.test', person, true) ?? '', /own addresses/);
  assert.match(loopRule('a@c.test', await mail(['Auto-Submitted: auto-generated']), false) ?? '', /Auto-Submitted auto-generated/);
  assert.equal(loopRule('a@c.test', await mail(['Auto-Submitted: No']), false), null);
  assert.match(loopRule('a@c.test', await mail(['Precedence: junk']), false) ?? '', /Precedence junk/);
  assert.equal(loopRule('a@c.test', await mail(['Precedence: first-class']), false), null);
  assert.match(loopRule('a@c.test', await mail(['X-Autorespond: vacation']), false) ?? '', /x-autorespond/);
  assert.match(loopRule('a@c.test', await mail([], 'multipart/report; report-type=disposition-notification; boundary=x'), false) ?? '', /multipart\/report/);
});
