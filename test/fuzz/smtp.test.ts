/**
 * The SMTP fuzz: the email gateway's listener, on loopback, given malformed MIME, oversized mail,
 * mail for unknown recipients, loops (bounces, auto-replies, reports, bulk) and garbage commands
 * over raw sockets. Seeded: FUZZ_SEED replays a run; SMTP_FUZZ_SECONDS bounds each backend's run.
 *
 * Asserted, per backend: every reply within 5 s and with the code its case calls for (a broken
 * mail lands or is refused with 552/554, never 451, the local-error reply; unknown recipients
 * 550; an oversized mail 552; a loop 250 and dropped, logged); nothing stored for a refused or
 * dropped mail and exactly one message for a landed one (a broken mail that reads as a loop is
 * dropped, logged, like any loop); the listener taking mail at the end.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends, startServer } from '../support/server.ts';
import { captureLog, emailGateway, mailClient } from '../api/channel-email-helpers.ts';
import { Random, runSeed } from './random.ts';
import { garbageCommand, loopMail, malformedMail } from './smtp-mail.ts';
import { transaction, Wire, type Reply } from './smtp-wire.ts';

const SECONDS = Number(process.env.SMTP_FUZZ_SECONDS ?? 10);
const MAX_BYTES = 64 * 1024;
const ADDRESS = 'fuzz@acme.test';
const STORED = ['conversations', 'conversation_participants', 'conversation_messages', 'sdk_media', 'email_messages'];

type Kind = 'malformed' | 'loop' | 'unknown' | 'oversized' | 'garbage';

for (const backend of backends()) {
  describe(`smtp fuzz (${backend.name})`, () => {
    test('malformed MIME, oversized mail, unknown recipients, loops, garbage: the right replies, no crash, nothing stored for refused mail', { timeout: 60_000 }, async () => {
      const seed = runSeed();
      const rng = new Random(seed);
      console.log(`smtp fuzz ${backend.name}: seed ${seed} (replay with FUZZ_SEED=${seed})`);
      const capture = captureLog();
      const gateway = emailGateway(null, { listen: { port: 0, host: '127.0.0.1', name: 'mx.fuzz.test', maxBytes: MAX_BYTES } }, capture.log);
      const t = await startServer(backend, { channels: [gateway.factory] });
      const findings: string[] = [];
      const tally = new Map<string, number>();
      try {
        await t.client.conversations.v1.addressConfigurations.create({ type: 'email', address: ADDRESS, 'autoCreation.enabled': true });
        const counts = async () => {
          const out: Record<string, number> = {};
          for (const table of STORED) out[table] = Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0);
          return out;
        };
        const started = performance.now();
        let cases = 0;
        let open: Wire | undefined;
        while ((performance.now() - started) / 1000 < SECONDS) {
          const i = cases++;
          const kind = rng.weighted<Kind>([
            [50, 'malformed'],
            [15, 'loop'],
            [10, 'unknown'],
            [8, 'oversized'],
            [17, 'garbage'],
          ]);
          const sender = `c${rng.int(20)}@fuzz.test`;
          const note = (what: string) => findings.push(`case ${i} (${kind}): ${what}`);
          const expect = (step: string, r: Reply | null, codes: number[]) => {
            tally.set(`${kind} ${step} ${r?.code ?? 'closed'}`, (tally.get(`${kind} ${step} ${r?.code ?? 'closed'}`) ?? 0) + 1);
            if (!r || !codes.includes(r.code)) note(`${step} answered ${r ? r.text : 'nothing (closed)'}, expected ${codes.join('/')}`);
          };
          const before = await counts();
          const dropsBefore = capture.lines.filter((l) => l.msg === 'email dropped').length;
          // A connection goes on from case to case (the listener greets only after 100 ms: early talkers are spammers); garbage gets its own.
          if (!open || open.closed || kind === 'garbage') {
            open?.close();
            open = await Wire.open(gateway.port);
            expect('greeting', await open.reply(), [220]);
            expect('EHLO', await open.command(`EHLO fuzz${rng.hex(4)}.test`), [250]);
          }
          const wire = open;
          try {
            if (kind === 'malformed' || kind === 'oversized') {
              const mail = kind === 'oversized' ? Buffer.concat([malformedMail(rng, sender, ADDRESS), Buffer.from(`\r\n${'z'.repeat(MAX_BYTES + rng.int(MAX_BYTES))}\r\n`)]) : malformedMail(rng, sender, ADDRESS);
              const r = await transaction(wire, sender, [ADDRESS], mail);
              expect('MAIL', r.mail, [250]);
              expect('RCPT', r.rcpt[0] ?? null, [250]);
              expect('DATA', r.data, [354]);
              expect('end of data', r.end, kind === 'oversized' ? [552] : [250, 552, 554]);
              const after = await counts();
              const landed = r.end?.code === 250;
              const grew = after.conversation_messages - before.conversation_messages;
              // A broken mail may read as a loop (bare CRs can fold To: into From:, making it the gateway's own
              // address): then it is answered 250 and dropped, logged, as every loop is, and nothing is stored.
              const dropped = capture.lines.filter((l) => l.msg === 'email dropped').length > dropsBefore;
              if (landed && !dropped && grew !== 1) note(`accepted, and ${grew} messages were stored`);
              if (landed && dropped && JSON.stringify(after) !== JSON.stringify(before)) note(`dropped as a loop, and the store changed: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
              if (!landed && JSON.stringify(after) !== JSON.stringify(before)) note(`refused (${r.end?.text}), and the store changed: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
            } else if (kind === 'loop') {
              const loop = loopMail(rng, sender, ADDRESS);
              const r = await transaction(wire, loop.envelopeFrom, [ADDRESS], loop.mail);
              expect('end of data', r.end, [250]);
              if (JSON.stringify(await counts()) !== JSON.stringify(before)) note('a loop was stored');
              const drops = capture.lines.filter((l) => l.msg === 'email dropped');
              if (drops.length !== dropsBefore + 1 || !loop.rule.test(drops.at(-1)?.rule ?? '')) note(`not logged as dropped by ${loop.rule}: ${JSON.stringify(drops.at(-1))}`);
            } else if (kind === 'unknown') {
              const to = Array.from({ length: 1 + rng.int(3) }, () => `${rng.hex(6)}@${rng.pick(['acme.test', 'elsewhere.test', 'ACME.TEST'])}`);
              const r = await transaction(wire, sender, to, malformedMail(rng, sender, to[0]));
              for (const rcpt of r.rcpt) expect('RCPT', rcpt, [550]);
              expect('DATA', r.data, [503]);
              if (JSON.stringify(await counts()) !== JSON.stringify(before)) note('mail for unknown recipients was stored');
            } else {
              for (let k = 0; k < 1 + rng.int(5) && !wire.closed; k++) {
                const r = await wire.command(garbageCommand(rng));
                if (r && (r.code < 200 || r.code > 554)) note(`answered ${r.text}`);
                tally.set(`garbage ${r?.code ?? 'closed'}`, (tally.get(`garbage ${r?.code ?? 'closed'}`) ?? 0) + 1);
              }
              if (JSON.stringify(await counts()) !== JSON.stringify(before)) note('garbage was stored');
            }
            if (kind === 'garbage') wire.close();
            else if (!wire.closed) expect('RSET', await wire.command('RSET'), [250]);
          } catch (err) {
            note(String((err as Error).message));
            wire.close();
          }
        }
        open?.close();
        // The listener is still there, and a plain mail still lands.
        const client = mailClient(gateway.port);
        const ok = await client.send({ from: 'after@fuzz.test', to: ADDRESS, subject: 'after the fuzz', text: 'still here' });
        client.close();
        assert.match(ok.response, /^250 /);
        const summary = [...tally].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ');
        console.log(`smtp fuzz ${backend.name}: ${cases} cases in ${((performance.now() - started) / 1000).toFixed(1)} s; ${summary}`);
        const errors = capture.lines.filter((l) => l.level >= 50).map((l) => `${l.msg}: ${l.err?.message ?? ''}`);
        assert.deepEqual(errors, [], 'no error logged by the gateway');
        assert.deepEqual(findings.slice(0, 20), [], `findings (seed ${seed})`);
        assert.ok(cases >= 20, `at least 20 cases (got ${cases})`);
      } finally {
        await t.close();
      }
    });
  });
}
