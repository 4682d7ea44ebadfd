/**
 * An SMTP refusal: the reply code the listener answers with (smtp-server reads `responseCode` and
 * adds the enhanced status code that goes with it). 5xx: the sender must not try again (it
 * bounces the mail to its author); 4xx: it should, later.
 */
export class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'SmtpReply';
  }

  get permanent(): boolean {
    return this.responseCode >= 500;
  }
}

export const unknownRecipient = (address: string) => new SmtpReply(550, `No mailbox here by the name <${address}>`);
export const tooBig = (what: string) => new SmtpReply(552, `Message refused: ${what}`);
export const unreadable = () => new SmtpReply(554, 'Message refused: its MIME structure cannot be read');
export const noContent = () => new SmtpReply(554, 'Message refused: it has no text, no subject and no attachment');
export const noNewConversations = (address: string) =>
  new SmtpReply(554, `Message refused: <${address}> takes answers to open conversations only, and this mail answers none`);
export const refusedByWebhook = () => new SmtpReply(554, 'Message refused by the recipient');
export const notRoutable = (address: string) =>
  new SmtpReply(451, `Message deferred: <${address}> cannot route new conversations right now; try again later`);
export const localError = () => new SmtpReply(451, 'Message deferred: local error; try again later');
