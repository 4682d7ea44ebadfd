import { invalidParameter, notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import type { Condition } from '../../store/table.ts';
import { bindings, type BindingRow, type PushBindingType } from '../model.ts';
import { lockService, serviceIn, write, type Deps } from './deps.ts';

/** What the SDK registers (its Notifications client's registration, tunnelled over twilsock). */
export interface BindingInput {
  identity: string;
  bindingType: PushBindingType;
  /** The device's push token (the registration's data.registration_id). */
  address: string;
  endpoint: string;
  /** Default: the three kinds the SDK asks for. */
  messageTypes?: string[];
  /** The push credential (the token's ChatGrant push_credential_sid). */
  credentialSid?: string | null;
}

export interface BindingFilter {
  bindingTypes?: string[];
  identities?: string[];
}

export const DEFAULT_MESSAGE_TYPES = ['new_message', 'added_to_conversation', 'removed_from_conversation'];

/**
 * Push bindings of a service. The REST API lists, fetches and deletes them; they are created when
 * the SDK registers a device (setPushRegistrationId), which calls `register`. A device token is one
 * binding per service and type: registered again (another user on the device), it moves over.
 * Nothing is pushed to them.
 */
export class BindingService {
  constructor(private readonly deps: Deps) {}

  async register(accountSid: string, serviceSid: string, input: BindingInput): Promise<BindingRow> {
    if (input.identity.trim() === '' || input.address.trim() === '' || input.endpoint.trim() === '')
      throw invalidParameter('A binding needs an identity, an address and an endpoint');
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      await lockService(this.deps.db, tx, serviceSid, 'shared');
      await serviceIn(tx, accountSid, serviceSid);
      const messageTypes = JSON.stringify(input.messageTypes ?? DEFAULT_MESSAGE_TYPES);
      await tx.run(
        'INSERT INTO conversation_bindings (sid, account_sid, chat_service_sid, credential_sid, endpoint, identity, binding_type, address, message_types, date_created, date_updated) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chat_service_sid, binding_type, address) DO UPDATE SET identity = excluded.identity, ' +
          'endpoint = excluded.endpoint, credential_sid = excluded.credential_sid, message_types = excluded.message_types, date_updated = excluded.date_updated',
        [newSid('BS'), accountSid, serviceSid, input.credentialSid ?? null, input.endpoint, input.identity, input.bindingType, input.address, messageTypes, now, now],
      );
      return (await bindings.first(tx, ['chat_service_sid = ?', serviceSid], ['binding_type = ?', input.bindingType], ['address = ?', input.address])) as BindingRow;
    });
  }

  /** Removes the binding of a device token, if any (the SDK's removal by address). */
  async unregister(accountSid: string, serviceSid: string, bindingType: PushBindingType, address: string): Promise<number> {
    return write(this.deps, (tx) =>
      bindings.delete(tx, ['account_sid = ?', accountSid], ['chat_service_sid = ?', serviceSid], ['binding_type = ?', bindingType], ['address = ?', address]),
    );
  }

  async list(accountSid: string, serviceSid: string, filter: BindingFilter, limit: number, offset: number): Promise<BindingRow[]> {
    await serviceIn(this.deps.db, accountSid, serviceSid);
    const where: Condition[] = [['chat_service_sid = ?', serviceSid]];
    if (filter.bindingTypes?.length) where.push([`binding_type IN (${filter.bindingTypes.map(() => '?').join(', ')})`, ...filter.bindingTypes]);
    if (filter.identities?.length) where.push([`identity IN (${filter.identities.map(() => '?').join(', ')})`, ...filter.identities]);
    return bindings.list(this.deps.db, { where, limit, offset });
  }

  async get(accountSid: string, serviceSid: string, sid: string): Promise<BindingRow> {
    await serviceIn(this.deps.db, accountSid, serviceSid);
    const b = isSid(sid, 'BS') ? await bindings.get(this.deps.db, sid, ['chat_service_sid = ?', serviceSid]) : undefined;
    if (!b) throw notFound(`/v1/Services/${serviceSid}/Bindings/${sid}`);
    return b;
  }

  async delete(accountSid: string, serviceSid: string, sid: string): Promise<void> {
    await write(this.deps, async (tx) => {
      await serviceIn(tx, accountSid, serviceSid);
      if ((await bindings.delete(tx, ['sid = ?', sid], ['chat_service_sid = ?', serviceSid])) === 0) throw notFound(`/v1/Services/${serviceSid}/Bindings/${sid}`);
    });
  }
}
