import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordEvent, settledEventsSince } from '../../src/conversations/events.ts';
import { backends, startServer } from '../support/server.ts';

/** The Conversations SDK's projector and the webhook fan-out read `conversation_events` behind a cursor. */
for (const backend of backends()) {
  describe(`Conversations event cursors (${backend.name})`, () => {
    test('a reader is never handed an event past one that is still being written', async () => {
      const t = await startServer(backend);
      try {
        const conversation = await t.client.conversations.v1.conversations.create({ friendlyName: 'cursor' });
        const event = (friendlyName: string) => ({
          accountSid: t.account.accountSid,
          conversationSid: conversation.sid,
          type: 'onConversationUpdated' as const,
          resourceSid: conversation.sid,
          source: 'api' as const,
          webhooksEnabled: false,
          data: { friendlyName },
        });
        const after = Number((await t.server.db.get<{ seq: number }>('SELECT MAX(seq) AS seq FROM conversation_events'))!.seq);
        if (backend.name === 'sqlite') {
          // One writer at a time: whatever is visible is final.
          await t.server.db.transaction((tx) => recordEvent(tx, t.clock.now(), event('one')));
          assert.equal((await settledEventsSince(t.server.db, after)).length, 1);
          return;
        }
        // PostgreSQL: a transaction takes the next seq and stays open...
        let commit!: () => void;
        let inserted!: () => void;
        const open = new Promise<void>((resolve) => (inserted = resolve));
        const held = t.server.db.transaction(async (tx) => {
          await recordEvent(tx, t.clock.now(), event('earlier'));
          // The event's row waits (deferred) for the transaction's next statement: send it now.
          await tx.flush?.();
          inserted();
          await new Promise<void>((resolve) => (commit = resolve));
        });
        await open;
        let reading: Promise<{ data: string }[]> | undefined;
        try {
          // ...while a later event commits.
          await t.server.db.transaction((tx) => recordEvent(tx, t.clock.now(), event('later')));
          let done = false;
          reading = settledEventsSince(t.server.db, after).finally(() => (done = true));
          // The reader waits for the open writer rather than answer with the later event alone.
          const waiting = async () => {
            for (let i = 0; i < 200; i++) {
              if (done) return false;
              if (await t.server.db.get(`SELECT 1 AS x FROM pg_locks WHERE NOT granted AND relation = 'conversation_events'::regclass`)) return true;
              await new Promise((resolve) => setTimeout(resolve, 25));
            }
            return false;
          };
          assert.equal(await waiting(), true, 'the reader waits for the writer still open');
        } finally {
          commit();
          await held;
        }
        const got = (await reading).map((ev) => JSON.parse(ev.data).friendlyName);
        assert.deepEqual(got, ['earlier', 'later']);
      } finally {
        await t.close();
      }
    });
  });
}
