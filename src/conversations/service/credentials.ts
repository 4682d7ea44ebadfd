import { notFound } from '../../core/errors.ts';
import { newSid } from '../../core/sid.ts';
import { credentials, type CredentialRow, type PushType } from '../model-users.ts';
import type { Deps } from './deps.ts';

/**
 * What a credential keeps. Its secrets (certificate, private key, API key, server key) are checked
 * by the HTTP layer and dropped: Switchyard sends no push notifications, and a secret it cannot use
 * is a secret it should not hold.
 */
export interface CredentialInput {
  type?: PushType;
  friendlyName?: string;
  sandbox?: boolean;
}

/** Push credentials of the account (/v1/Credentials). */
export class CredentialService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, input: CredentialInput & { type: PushType }): Promise<CredentialRow> {
    const now = this.deps.clock.now();
    const row: CredentialRow = {
      sid: newSid('CR'),
      account_sid: accountSid,
      friendly_name: input.friendlyName ?? null,
      type: input.type,
      sandbox: input.sandbox ?? false,
      date_created: now,
      date_updated: now,
    };
    await credentials.insert(this.deps.db, row);
    return row;
  }

  async get(accountSid: string, sid: string): Promise<CredentialRow> {
    const row = await credentials.get(this.deps.db, sid, ['account_sid = ?', accountSid]);
    if (!row) throw notFound(`/v1/Credentials/${sid}`);
    return row;
  }

  list(accountSid: string, limit: number, offset: number): Promise<CredentialRow[]> {
    return credentials.list(this.deps.db, { where: [['account_sid = ?', accountSid]], limit, offset });
  }

  async update(accountSid: string, sid: string, input: CredentialInput): Promise<CredentialRow> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      const row = await credentials.get(tx, sid, ['account_sid = ?', accountSid]);
      if (!row) throw notFound(`/v1/Credentials/${sid}`);
      const next: CredentialRow = { ...row, date_updated: now };
      if (input.type !== undefined) next.type = input.type;
      if (input.friendlyName !== undefined) next.friendly_name = input.friendlyName;
      if (input.sandbox !== undefined) next.sandbox = input.sandbox;
      await credentials.update(tx, row.sid, { type: next.type, friendly_name: next.friendly_name, sandbox: next.sandbox, date_updated: now });
      return next;
    });
  }

  async delete(accountSid: string, sid: string): Promise<void> {
    const n = await credentials.delete(this.deps.db, ['sid = ?', sid], ['account_sid = ?', accountSid]);
    if (n === 0) throw notFound(`/v1/Credentials/${sid}`);
  }
}
