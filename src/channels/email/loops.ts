import type { InboundMail } from './parse.ts';

/**
 * Mail written by a machine in answer to mail: landing it would send an agent's reply back to a
 * robot, which may answer again. Such mail is accepted (refusing it would only make its sender
 * bounce a bounce) and dropped. Returns the rule that drops it, or null to land it.
 *
 * - an empty MAIL FROM: bounces and other delivery notifications (RFC 5321 4.5.5);
 * - multipart/report: delivery and read reports, whatever their envelope;
 * - Auto-Submitted other than `no` (RFC 3834): vacation replies, auto-forwards, notifications;
 * - Precedence bulk, junk, list or auto_reply, and the X-Autoreply / X-Autorespond headers that
 *   older responders set instead;
 * - From one of the gateway's own addresses: its own mail came back round.
 */
export function loopRule(envelopeFrom: string, mail: InboundMail, fromOwnAddress: boolean): string | null {
  if (envelopeFrom === '') return 'bounce: empty MAIL FROM';
  if (mail.contentType === 'multipart/report') return 'delivery or read report: multipart/report';
  const submitted = mail.header('auto-submitted').map(token).find((v) => v !== 'no');
  if (submitted) return `automatic: Auto-Submitted ${submitted}`;
  const precedence = mail.header('precedence').map(token).find((v) => ['bulk', 'junk', 'list', 'auto_reply'].includes(v));
  if (precedence) return `automatic: Precedence ${precedence}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-auto-response']) {
    if (mail.header(name).some((v) => token(v) !== 'no')) return `automatic: ${name} header`;
  }
  if (fromOwnAddress) return "loop: sent from one of the gateway's own addresses";
  return null;
}

/** A header's value up to its parameters, lower case (Auto-Submitted: auto-replied; reason=...). */
function token(v: string): string {
  return v.split(';')[0].trim().toLowerCase();
}
