import { invalidParameter, notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import { isUniqueViolation, type Executor } from '../../store/database.ts';
import { identityLooksLikeSid, identityMissing, userExists } from '../errors.ts';
import { recordEvent } from '../events.ts';
import type { ConversationRow } from '../model.ts';
import { users, type UserRow } from '../model-users.ts';
import { requireService, type Deps } from './deps.ts';
import { inService, roleDefaults, roleOfType, type ServiceRef } from './roles.ts';

export interface UserInput {
  identity?: string;
  friendlyName?: string;
  attributes?: string;
  roleSid?: string;
}

const MAX_IDENTITY = 256;

/**
 * The user behind a chat identity, made with the service's default role the first time the
 * identity joins a conversation or connects with the SDK, as Twilio makes users implicitly.
 */
export async function implicitUser(tx: Executor, service: ServiceRef, identity: string, now: number): Promise<UserRow> {
  const found = await users.first(tx, ['chat_service_sid = ?', service.sid], ['identity = ?', identity]);
  if (found) return found;
  const { chatServiceRole } = await roleDefaults(tx, service);
  await tx.run(
    'INSERT INTO conversation_users (sid, account_sid, chat_service_sid, identity, friendly_name, attributes, role_sid, date_created, date_updated) ' +
      'VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    [newSid('US'), service.account_sid, service.sid, identity, '{}', chatServiceRole, now, now],
  );
  return (await users.first(tx, ['chat_service_sid = ?', service.sid], ['identity = ?', identity])) as UserRow;
}

/**
 * What joining a conversation takes from its service: a chat identity gets its user (made
 * implicitly), and the participant the service's default conversation role.
 */
export async function joinService(tx: Executor, c: Pick<ConversationRow, 'chat_service_sid' | 'account_sid'>, identity: string | undefined, now: number): Promise<string> {
  const service: ServiceRef = { sid: c.chat_service_sid, account_sid: c.account_sid };
  if (identity !== undefined) await implicitUser(tx, service, identity, now);
  return (await roleDefaults(tx, service)).conversationRole;
}

/** A user of the service by SID or identity, else 20404 at the path the caller used. */
export async function findUser(db: Executor, service: ServiceRef, sidOrIdentity: string, path: string): Promise<UserRow> {
  const user = isSid(sidOrIdentity, 'US')
    ? await users.get(db, sidOrIdentity, ['chat_service_sid = ?', service.sid])
    : await users.first(db, ['chat_service_sid = ?', service.sid], ['identity = ?', sidOrIdentity]);
  if (!user) throw notFound(path);
  return user;
}

function checkIdentity(identity: string | undefined): string {
  if (identity === undefined || identity.trim() === '') throw identityMissing('Missing required parameter Identity in the post body');
  if (identity.length > MAX_IDENTITY) throw invalidParameter(`Identity is ${identity.length} characters long; the limit is ${MAX_IDENTITY}`);
  if (isSid(identity, 'US')) throw identityLooksLikeSid(`Identity '${identity}' must not look like a User SID (US...)`);
  return identity;
}

/** Users of a Conversation Service (/v1/Users and /v1/Services/IS.../Users). */
export class UserService {
  constructor(private readonly deps: Deps) {}

  private path(serviceSid: string | undefined, sid?: string): string {
    return `${serviceSid ? `/v1/Services/${serviceSid}` : '/v1'}/Users${sid === undefined ? '' : `/${sid}`}`;
  }

  async create(accountSid: string, serviceSid: string | undefined, input: UserInput): Promise<UserRow> {
    const identity = checkIdentity(input.identity);
    const service = await requireService(this.deps, accountSid, serviceSid);
    const now = this.deps.clock.now();
    const taken = () => userExists(`User with identity '${identity}' already exists in Conversation Service ${service.sid}`);
    return inService(this.deps, service, async (tx) => {
      if (await users.first(tx, ['chat_service_sid = ?', service.sid], ['identity = ?', identity])) throw taken();
      const roleSid = input.roleSid !== undefined ? (await roleOfType(tx, service, input.roleSid, 'service')).sid : (await roleDefaults(tx, service)).chatServiceRole;
      const row: UserRow = {
        sid: newSid('US'),
        account_sid: accountSid,
        chat_service_sid: service.sid,
        identity,
        friendly_name: input.friendlyName ?? null,
        attributes: input.attributes ?? '{}',
        role_sid: roleSid,
        date_created: now,
        date_updated: now,
      };
      try {
        await users.insert(tx, row);
      } catch (err) {
        throw isUniqueViolation(err) ? taken() : err;
      }
      return row;
    });
  }

  async get(accountSid: string, serviceSid: string | undefined, sidOrIdentity: string): Promise<UserRow> {
    const service = await requireService(this.deps, accountSid, serviceSid);
    return findUser(this.deps.db, service, sidOrIdentity, this.path(serviceSid, sidOrIdentity));
  }

  async list(accountSid: string, serviceSid: string | undefined, limit: number, offset: number): Promise<UserRow[]> {
    const service = await requireService(this.deps, accountSid, serviceSid);
    return users.list(this.deps.db, { where: [['chat_service_sid = ?', service.sid]], limit, offset });
  }

  async update(accountSid: string, serviceSid: string | undefined, sidOrIdentity: string, input: UserInput): Promise<UserRow> {
    const service = await requireService(this.deps, accountSid, serviceSid);
    const now = this.deps.clock.now();
    const updated = await inService(this.deps, service, async (tx) => {
      const user = await findUser(tx, service, sidOrIdentity, this.path(serviceSid, sidOrIdentity));
      const next: UserRow = { ...user, date_updated: now };
      if (input.friendlyName !== undefined) next.friendly_name = input.friendlyName;
      if (input.attributes !== undefined) next.attributes = input.attributes;
      if (input.roleSid !== undefined) next.role_sid = (await roleOfType(tx, service, input.roleSid, 'service')).sid;
      const { sid: _sid, ...patch } = next;
      await users.update(tx, user.sid, patch);
      // For the SDK's live data (the user's info map), whoever changed it; no webhook fires for it.
      await recordEvent(tx, now, { accountSid, conversationSid: null, type: 'onUserUpdated', resourceSid: user.sid, source: 'api', webhooksEnabled: false, data: { user: next, previous: user } });
      return next;
    });
    this.deps.changed();
    return updated;
  }

  /** The user goes; the participants standing for its identity stay in their conversations. */
  async delete(accountSid: string, serviceSid: string | undefined, sidOrIdentity: string): Promise<void> {
    const service = await requireService(this.deps, accountSid, serviceSid);
    await inService(this.deps, service, async (tx) => {
      const user = await findUser(tx, service, sidOrIdentity, this.path(serviceSid, sidOrIdentity));
      await users.delete(tx, ['sid = ?', user.sid]);
    });
  }

  /** The SDK's connection: the identity's user, made implicitly the first time. */
  async connect(accountSid: string, serviceSid: string | undefined, identity: string): Promise<UserRow> {
    const service = await requireService(this.deps, accountSid, serviceSid);
    return inService(this.deps, service, (tx) => implicitUser(tx, service, identity, this.deps.clock.now()));
  }
}
