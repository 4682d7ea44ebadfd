import {
  BUILTIN_ROLES,
  allowed,
  unknownPermission,
  type DefaultRoleKind,
  type Permission,
  type RoleType,
} from '../../core/conversations-permissions.ts';
import { inUse, notFound } from '../../core/errors.ts';
import { newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import { permissionNotFound, roleNotFound, userUnauthorized } from '../errors.ts';
import { participants, type ServiceRow } from '../model.ts';
import { roles, users, type RoleRow } from '../model-users.ts';
import { findConversation, jsonList, lockService, requireService, serviceIn, type Deps } from './deps.ts';

/** A Conversation Service as the roles and users of it need it. */
export type ServiceRef = Pick<ServiceRow, 'sid' | 'account_sid'>;

/** The role SIDs a service gives when none is named: to users, to participants, to a conversation's creator. */
export type RoleDefaults = Record<DefaultRoleKind, string>;

export interface RoleInput {
  friendlyName: string;
  type: RoleType;
  permissions: string[];
}

/** The roles a service starts with (made with the service, or at start for services from before roles). */
function builtinRoles(tx: Executor, service: ServiceRef): Promise<RoleRow[]> {
  return roles.list(tx, { where: [['chat_service_sid = ?', service.sid], ['builtin IS NOT NULL']] });
}

/**
 * The service's default roles: those its configuration names (conversation_services columns,
 * set through the Service Configuration resource), else the built-in ones.
 */
export async function roleDefaults(tx: Executor, service: ServiceRef): Promise<RoleDefaults> {
  const builtins = await builtinRoles(tx, service);
  const configured = await tx.get<Record<string, string | null>>(
    'SELECT default_chat_service_role_sid, default_conversation_role_sid, default_conversation_creator_role_sid FROM conversation_services WHERE sid = ?',
    [service.sid],
  );
  const builtin = (kind: DefaultRoleKind) => {
    const name = BUILTIN_ROLES.find((b) => b.defaultFor === kind)?.friendlyName;
    return builtins.find((r) => r.builtin === name)?.sid as string;
  };
  return {
    chatServiceRole: configured?.default_chat_service_role_sid ?? builtin('chatServiceRole'),
    conversationRole: configured?.default_conversation_role_sid ?? builtin('conversationRole'),
    conversationCreatorRole: configured?.default_conversation_creator_role_sid ?? builtin('conversationCreatorRole'),
  };
}

/**
 * A transaction that writes in a service: it holds the service against deletion (as every writer
 * in a service does) and reads it again under that hold, so nothing is written into a service
 * deleted meanwhile.
 */
export async function inService<T>(deps: Deps, service: ServiceRef, fn: (tx: Executor) => Promise<T>): Promise<T> {
  return deps.db.transaction(async (tx) => {
    await lockService(deps.db, tx, service.sid, 'shared');
    await serviceIn(tx, service.account_sid, service.sid);
    return fn(tx);
  });
}

/** A role of the service of the given type (what a RoleSid parameter may name), else 50100. */
export async function roleOfType(tx: Executor, service: ServiceRef, roleSid: string, type: RoleType): Promise<RoleRow> {
  const role = await roles.get(tx, roleSid, ['chat_service_sid = ?', service.sid]);
  if (!role || role.type !== type) throw roleNotFound(`RoleSid ${roleSid} is not a ${type} role of Conversation Service ${service.sid}`);
  return role;
}

async function permissionsOf(tx: Executor, roleSid: string | null): Promise<string[]> {
  if (roleSid === null) return [];
  const role = await roles.get(tx, roleSid);
  return role ? jsonList(role.permissions) : [];
}

function checkPermissions(type: RoleType, permissions: string[]): void {
  const bad = unknownPermission(type, permissions);
  if (bad !== undefined) throw permissionNotFound(`Invalid Permission '${bad}': not a permission of a ${type} role`);
}

/** Roles of a service (/v1/Roles, /v1/Services/IS.../Roles), and the permission check of SDK actions. */
export class RoleService {
  constructor(private readonly deps: Deps) {}

  private async service(accountSid: string, serviceSid: string | undefined): Promise<ServiceRef> {
    return requireService(this.deps, accountSid, serviceSid);
  }

  async list(accountSid: string, serviceSid: string | undefined, limit: number, offset: number): Promise<RoleRow[]> {
    const service = await this.service(accountSid, serviceSid);
    return roles.list(this.deps.db, { where: [['chat_service_sid = ?', service.sid]], limit, offset });
  }

  /** The service's default roles (for its configuration, and the conversation creator's role in the SDK). */
  async defaults(accountSid: string, serviceSid: string | undefined): Promise<RoleDefaults> {
    const service = await this.service(accountSid, serviceSid);
    return roleDefaults(this.deps.db, service);
  }

  async get(accountSid: string, serviceSid: string | undefined, sid: string): Promise<RoleRow> {
    const service = await this.service(accountSid, serviceSid);
    return this.find(this.deps.db, service, sid, serviceSid);
  }

  private async find(db: Executor, service: ServiceRef, sid: string, serviceSid: string | undefined): Promise<RoleRow> {
    const role = await roles.get(db, sid, ['chat_service_sid = ?', service.sid]);
    if (!role) throw notFound(`${serviceSid ? `/v1/Services/${serviceSid}` : '/v1'}/Roles/${sid}`);
    return role;
  }

  async create(accountSid: string, serviceSid: string | undefined, input: RoleInput): Promise<RoleRow> {
    checkPermissions(input.type, input.permissions);
    const service = await this.service(accountSid, serviceSid);
    const now = this.deps.clock.now();
    const row: RoleRow = {
      sid: newSid('RL'),
      account_sid: accountSid,
      chat_service_sid: service.sid,
      friendly_name: input.friendlyName,
      type: input.type,
      permissions: JSON.stringify([...new Set(input.permissions)]),
      builtin: null,
      date_created: now,
      date_updated: now,
    };
    await inService(this.deps, service, (tx) => roles.insert(tx, row));
    return row;
  }

  /** The permissions are replaced as a whole, as Twilio's update does. */
  async update(accountSid: string, serviceSid: string | undefined, sid: string, permissions: string[]): Promise<RoleRow> {
    const service = await this.service(accountSid, serviceSid);
    const now = this.deps.clock.now();
    return inService(this.deps, service, async (tx) => {
      const role = await this.find(tx, service, sid, serviceSid);
      checkPermissions(role.type, permissions);
      const next: RoleRow = { ...role, permissions: JSON.stringify([...new Set(permissions)]), date_updated: now };
      await roles.update(tx, role.sid, { permissions: next.permissions, date_updated: now });
      return next;
    });
  }

  /** A built-in role, a service default, or a role someone holds cannot be deleted. */
  async delete(accountSid: string, serviceSid: string | undefined, sid: string): Promise<void> {
    const service = await this.service(accountSid, serviceSid);
    await inService(this.deps, service, async (tx) => {
      const role = await this.find(tx, service, sid, serviceSid);
      if (role.builtin !== null) throw inUse(`Role ${role.sid} ('${role.friendly_name}') is one of the service's built-in roles and cannot be deleted`);
      const defaults = await roleDefaults(tx, service);
      if (Object.values(defaults).includes(role.sid)) throw inUse(`Role ${role.sid} is a default role of Conversation Service ${service.sid}`);
      const holders = (await users.count(tx, ['role_sid = ?', role.sid])) + (await participants.count(tx, ['role_sid = ?', role.sid]));
      if (holders > 0) throw inUse(`Role ${role.sid} is held by ${holders} user(s) or participant(s); give them another role first`);
      await roles.delete(tx, ['sid = ?', role.sid]);
    });
  }

  /**
   * Whether `identity` may do `action` in the service, and in `conversation` (SID or unique name)
   * when the action is about one: the user's service role (the service default when the identity
   * has no user yet) together with its participant's conversation role (the default conversation
   * role when the participant has none). Outside a conversation it is not in, only the service role counts.
   */
  async permissionFor(
    accountSid: string,
    serviceSid: string | undefined,
    conversation: string | null,
    identity: string,
    action: Permission,
  ): Promise<boolean> {
    const service = await this.service(accountSid, serviceSid);
    const check = async (tx: Executor) => {
      const defaults = await roleDefaults(tx, service);
      const user = await users.first(tx, ['chat_service_sid = ?', service.sid], ['identity = ?', identity]);
      const granted = await permissionsOf(tx, user?.role_sid ?? defaults.chatServiceRole);
      if (conversation !== null) {
        const c = await findConversation(tx, accountSid, conversation, service.sid);
        const p = await participants.first(tx, ['conversation_sid = ?', c.sid], ['identity = ?', identity]);
        if (p) granted.push(...(await permissionsOf(tx, p.role_sid ?? defaults.conversationRole)));
      }
      return allowed(granted, action);
    };
    return inService(this.deps, service, check);
  }

  /** permissionFor, refusing with Twilio's 50107 (403) when the roles do not allow the action. */
  async requirePermission(
    accountSid: string,
    serviceSid: string | undefined,
    conversation: string | null,
    identity: string,
    action: Permission,
  ): Promise<void> {
    if (!(await this.permissionFor(accountSid, serviceSid, conversation, identity, action)))
      throw userUnauthorized(`User not authorized for command: '${identity}' lacks the ${action} permission`);
  }
}
