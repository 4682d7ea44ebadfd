import type twilio from 'twilio';
import { newSid } from '../../src/core/sid.ts';
import { insertService } from '../../src/conversations/service/deps.ts';
import type { TestServer } from '../support/server.ts';

/**
 * A second Conversation Service of the client's account, for isolation between services. Made in
 * the store (as the Services resource makes one) so these tests do not depend on that resource.
 */
export async function anotherService(t: TestServer, client: twilio.Twilio): Promise<{ sid: string }> {
  const accountSid = client.accountSid;
  await client.conversations.v1.configuration().fetch();
  const sid = newSid('IS');
  await insertService(t.server.db, { sid, accountSid, friendlyName: 'another service' }, t.clock.now());
  return { sid };
}
