import type { MessageRow } from '../conversations/model.ts';

/** A message as the desk reads it from the agent routes, named as the SDK's Message names its fields. */
export function messageView(m: MessageRow) {
  return {
    sid: m.sid,
    index: Number(m.message_index),
    author: m.author,
    body: m.body,
    subject: m.subject,
    attributes: m.attributes,
    participant_sid: m.participant_sid,
    media: m.media ? JSON.parse(m.media) : null,
    date_created: new Date(Number(m.date_created)).toISOString(),
  };
}
