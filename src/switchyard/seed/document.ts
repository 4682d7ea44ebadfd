import { invalidParameter, TwilioError } from '../../core/errors.ts';
import { ExpressionSyntaxError, parseExpression } from '../../core/expression/index.ts';
import { parseJson } from '../../core/input.ts';
import { parseWorkflowConfiguration } from '../../core/workflow/configuration.ts';
import { EVENT_TYPES } from '../../taskrouter/http/validate.ts';
import { LIMITS } from '../../taskrouter/model.ts';
import { DEFAULT_TASK_CHANNELS } from '../../taskrouter/service/workspaces.ts';
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, usernameKey } from '../../agent/credentials.ts';
import { queueRefs, withQueueSids, type RawConfiguration } from './configuration.ts';
import { appearanceParams, type Appearance } from '../../webchat/appearance.ts';
import { parsePreEngagementConfig, type PreEngagementConfig } from '../../webchat/pre-engagement.ts';
import { Params } from '../../http/params.ts';

/**
 * A seed: what an account should hold, declared (docs: README "Use it in CI"). JSON, in Twilio's field names
 * (snake_case, as Twilio's own JSON answers are), every entry named by its friendly_name (a task channel by its
 * unique_name) and referring to others by those names. A field left out is left as it is; nothing that a seed does
 * not name is touched.
 */
export interface SeedDocument {
  clock?: SeedClock;
  workspaces: SeedWorkspace[];
}

export interface SeedClock {
  /** Serve the clock API (as SWITCHYARD_CLOCK_CONTROL=1 does). */
  control?: boolean;
  /** The clock is at least this time (epoch ms). */
  now?: number;
  frozen?: boolean;
}

/** Where an entry is in the document, for messages: `workspaces[0].workers[2]`. */
interface At {
  path: string;
}

export interface SeedWorkspace extends At {
  friendlyName: string;
  eventCallbackUrl?: string | null;
  eventsFilter?: string | null;
  multiTaskEnabled?: boolean;
  prioritizeQueueOrder?: 'FIFO' | 'LIFO';
  defaultActivity?: string;
  timeoutActivity?: string;
  activities: SeedActivity[];
  taskChannels: SeedTaskChannel[];
  taskQueues: SeedTaskQueue[];
  workflows: SeedWorkflow[];
  workers: SeedWorker[];
  widgets: SeedWidget[];
}

export interface SeedActivity extends At {
  friendlyName: string;
  available?: boolean;
}

export interface SeedTaskChannel extends At {
  uniqueName: string;
  friendlyName?: string;
  channelOptimizedRouting?: boolean;
}

export interface SeedTaskQueue extends At {
  friendlyName: string;
  targetWorkers?: string;
  maxReservedWorkers?: number;
  taskOrder?: 'FIFO' | 'LIFO';
  reservationActivity?: string;
  assignmentActivity?: string;
}

export interface SeedWorkflow extends At {
  friendlyName: string;
  /** As given, queues named by friendly_name (or SID); resolved when applied. */
  configuration?: RawConfiguration;
  taskReservationTimeout?: number;
  assignmentCallbackUrl?: string | null;
  fallbackAssignmentCallbackUrl?: string | null;
}

export interface SeedWorker extends At {
  friendlyName: string;
  /** The attributes object, as JSON text. */
  attributes?: string;
  activity?: string;
  /** By task channel unique_name. */
  channels: { taskChannel: string; capacity?: number; available?: boolean; path: string }[];
  credentials?: { username?: string; password: string };
}

export interface SeedWidget extends At {
  friendlyName: string;
  workflow?: string;
  taskChannel?: string;
  allowedOrigins?: string[];
  /** What the customer sees (title, greeting, colours): those the seed names; null puts back the default. */
  appearance: Partial<Appearance>;
  /** The pre-chat form (Flex Webchat's preEngagementConfig); null: the name alone; undefined: as it is. */
  preEngagementConfig?: PreEngagementConfig | null;
}

/** Twilio's default activities and task channels: every workspace has them, so a seed may name them unlisted. */
const BUILTIN_ACTIVITIES = ['offline', 'available', 'unavailable'];
const BUILTIN_CHANNELS = DEFAULT_TASK_CHANNELS.map((c) => c.unique);
const NAME_MAX = 64;
const UNIQUE_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** A time with its zone: a seed read on another machine means the same instant. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date-time with its zone (Z or ±hh:mm), as epoch ms; undefined if it is not one. */
export function parseInstant(text: string): number | undefined {
  if (!ISO_INSTANT.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The seed's problems, each with where it is; the document once there are none. */
export type SeedParse = { document: SeedDocument; problems: [] } | { document?: undefined; problems: string[] };

/** Parses a seed's text (JSON). */
export function parseSeedText(text: string): SeedParse {
  let value: unknown;
  try {
    value = parseJson(text, 'seed');
  } catch (err) {
    if (err instanceof TwilioError) return { problems: [err.message.replace(/^Invalid seed: /, '')] };
    throw err;
  }
  return parseSeed(value);
}

/** The seed as a 400 (20001) naming every problem (the first 10), or the document. */
export function seedOrError(value: unknown): SeedDocument {
  const parsed = parseSeed(value);
  if (parsed.document) return parsed.document;
  const shown = parsed.problems.slice(0, 10);
  const more = parsed.problems.length > shown.length ? `; and ${parsed.problems.length - shown.length} more` : '';
  throw invalidParameter(`Invalid seed: ${shown.join('; ')}${more}`);
}

/** Checks a parsed JSON value as a seed: shapes, types, bounds, expressions, references between its own entries. */
export function parseSeed(value: unknown): SeedParse {
  const r = new Reader();
  const doc = r.object(value, '', ['clock', 'workspaces']);
  if (!doc) return { problems: r.problems };
  const clock = doc.clock === undefined ? undefined : readClock(r, doc.clock);
  const list = r.array(doc.workspaces ?? [], 'workspaces');
  const workspaces = list.map((w, i) => readWorkspace(r, w, `workspaces[${i}]`)).filter((w): w is SeedWorkspace => !!w);
  r.unique(workspaces, 'workspaces', (w) => w.friendlyName);
  // Usernames are unique in the account (the default is the worker's name, which is unique per workspace only).
  const signIns = workspaces.flatMap((w) => w.workers.filter((k) => k.credentials).map((k) => ({ path: `${k.path}.credentials`, key: usernameKey(k.credentials!.username ?? k.friendlyName) })));
  r.unique(signIns, 'usernames', (c) => c.key);
  if (r.problems.length > 0) return { problems: r.problems };
  return { document: { clock, workspaces }, problems: [] };
}

function readClock(r: Reader, value: unknown): SeedClock | undefined {
  const o = r.object(value, 'clock', ['control', 'now', 'frozen']);
  if (!o) return undefined;
  let now: number | undefined;
  if (o.now !== undefined) {
    now = typeof o.now === 'string' ? parseInstant(o.now) : undefined;
    if (now === undefined) r.problem('clock.now', `must be an ISO 8601 date-time with its zone, e.g. "2026-01-15T09:00:00Z"; got ${shown(o.now)}`);
  }
  return { control: r.bool(o.control, 'clock.control'), now, frozen: r.bool(o.frozen, 'clock.frozen') };
}

function readWorkspace(r: Reader, value: unknown, path: string): SeedWorkspace | undefined {
  const o = r.object(value, path, [
    'friendly_name', 'event_callback_url', 'events_filter', 'multi_task_enabled', 'prioritize_queue_order', 'default_activity',
    'timeout_activity', 'activities', 'task_channels', 'task_queues', 'workflows', 'workers', 'widgets',
  ]);
  if (!o) return undefined;
  const friendlyName = r.name(o.friendly_name, `${path}.friendly_name`);
  const activities = r.array(o.activities ?? [], `${path}.activities`).map((a, i) => readActivity(r, a, `${path}.activities[${i}]`));
  const taskChannels = r.array(o.task_channels ?? [], `${path}.task_channels`).map((c, i) => readTaskChannel(r, c, `${path}.task_channels[${i}]`));
  const taskQueues = r.array(o.task_queues ?? [], `${path}.task_queues`).map((q, i) => readQueue(r, q, `${path}.task_queues[${i}]`));
  const workflows = r.array(o.workflows ?? [], `${path}.workflows`).map((w, i) => readWorkflow(r, w, `${path}.workflows[${i}]`));
  const workers = r.array(o.workers ?? [], `${path}.workers`).map((w, i) => readWorker(r, w, `${path}.workers[${i}]`));
  const widgets = r.array(o.widgets ?? [], `${path}.widgets`).map((w, i) => readWidget(r, w, `${path}.widgets[${i}]`));
  const ws: SeedWorkspace = {
    path,
    friendlyName: friendlyName ?? '',
    eventCallbackUrl: r.url(o.event_callback_url, `${path}.event_callback_url`),
    eventsFilter: readEventsFilter(r, o.events_filter, `${path}.events_filter`),
    multiTaskEnabled: r.bool(o.multi_task_enabled, `${path}.multi_task_enabled`),
    prioritizeQueueOrder: r.oneOf(o.prioritize_queue_order, `${path}.prioritize_queue_order`, ['FIFO', 'LIFO'] as const),
    defaultActivity: r.name(o.default_activity, `${path}.default_activity`, false),
    timeoutActivity: r.name(o.timeout_activity, `${path}.timeout_activity`, false),
    activities: defined(activities),
    taskChannels: defined(taskChannels),
    taskQueues: defined(taskQueues),
    workflows: defined(workflows),
    workers: defined(workers),
    widgets: defined(widgets),
  };
  r.unique(ws.activities, `${path}.activities`, (a) => a.friendlyName.toLowerCase());
  r.unique(ws.taskChannels, `${path}.task_channels`, (c) => c.uniqueName);
  r.unique(ws.taskQueues, `${path}.task_queues`, (q) => q.friendlyName);
  r.unique(ws.workflows, `${path}.workflows`, (w) => w.friendlyName);
  r.unique(ws.workers, `${path}.workers`, (w) => w.friendlyName.toLowerCase());
  r.unique(ws.widgets, `${path}.widgets`, (w) => w.friendlyName);
  return ws;
}

function readActivity(r: Reader, value: unknown, path: string): SeedActivity | undefined {
  const o = r.object(value, path, ['friendly_name', 'available']);
  if (!o) return undefined;
  const friendlyName = r.name(o.friendly_name, `${path}.friendly_name`);
  const available = r.bool(o.available, `${path}.available`);
  if (friendlyName && BUILTIN_ACTIVITIES.includes(friendlyName.toLowerCase()) && available !== undefined && available !== (friendlyName.toLowerCase() === 'available'))
    r.problem(`${path}.available`, `the ${friendlyName} activity every workspace has is ${friendlyName.toLowerCase() === 'available' ? '' : 'not '}available, and an activity's availability cannot change`);
  return friendlyName === undefined ? undefined : { path, friendlyName, available };
}

function readTaskChannel(r: Reader, value: unknown, path: string): SeedTaskChannel | undefined {
  const o = r.object(value, path, ['unique_name', 'friendly_name', 'channel_optimized_routing']);
  if (!o) return undefined;
  const uniqueName = r.name(o.unique_name, `${path}.unique_name`);
  if (uniqueName !== undefined && !UNIQUE_NAME.test(uniqueName)) r.problem(`${path}.unique_name`, `must be letters, digits, '_' and '$', not starting with a digit; got ${shown(uniqueName)}`);
  const friendlyName = r.name(o.friendly_name, `${path}.friendly_name`, false);
  const channelOptimizedRouting = r.bool(o.channel_optimized_routing, `${path}.channel_optimized_routing`);
  return uniqueName === undefined ? undefined : { path, uniqueName, friendlyName, channelOptimizedRouting };
}

function readQueue(r: Reader, value: unknown, path: string): SeedTaskQueue | undefined {
  const o = r.object(value, path, ['friendly_name', 'target_workers', 'max_reserved_workers', 'task_order', 'reservation_activity', 'assignment_activity']);
  if (!o) return undefined;
  const friendlyName = r.name(o.friendly_name, `${path}.friendly_name`);
  const targetWorkers = r.expression(o.target_workers, `${path}.target_workers`);
  return friendlyName === undefined
    ? undefined
    : {
        path,
        friendlyName,
        targetWorkers,
        maxReservedWorkers: r.int(o.max_reserved_workers, `${path}.max_reserved_workers`, 1, LIMITS.maxReservedWorkers),
        taskOrder: r.oneOf(o.task_order, `${path}.task_order`, ['FIFO', 'LIFO'] as const),
        reservationActivity: r.name(o.reservation_activity, `${path}.reservation_activity`, false),
        assignmentActivity: r.name(o.assignment_activity, `${path}.assignment_activity`, false),
      };
}

function readWorkflow(r: Reader, value: unknown, path: string): SeedWorkflow | undefined {
  const o = r.object(value, path, ['friendly_name', 'configuration', 'task_reservation_timeout', 'assignment_callback_url', 'fallback_assignment_callback_url']);
  if (!o) return undefined;
  const friendlyName = r.name(o.friendly_name, `${path}.friendly_name`);
  let configuration: RawConfiguration | undefined;
  if (o.configuration === undefined) r.problem(`${path}.configuration`, 'is required: the workflow\'s routing, its queues named by friendly_name');
  else {
    let raw: unknown = o.configuration;
    if (typeof raw === 'string') {
      try {
        raw = JSON.parse(raw);
      } catch {
        r.problem(`${path}.configuration`, 'must be an object (or a string of JSON)');
        raw = undefined;
      }
    }
    if (raw !== undefined) configuration = readConfiguration(r, raw, `${path}.configuration`);
  }
  return friendlyName === undefined
    ? undefined
    : {
        path,
        friendlyName,
        configuration,
        taskReservationTimeout: r.int(o.task_reservation_timeout, `${path}.task_reservation_timeout`, 1, LIMITS.taskReservationTimeout),
        assignmentCallbackUrl: r.url(o.assignment_callback_url, `${path}.assignment_callback_url`),
        fallbackAssignmentCallbackUrl: r.url(o.fallback_assignment_callback_url, `${path}.fallback_assignment_callback_url`),
      };
}

/** The configuration's shape is checked as Twilio's is, with a stand-in SID for each queue it names. */
function readConfiguration(r: Reader, raw: unknown, path: string): RawConfiguration | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    r.problem(path, 'must be an object with task_routing');
    return undefined;
  }
  const config = raw as RawConfiguration;
  const stand = new Map(queueRefs(config).map((q) => [q.value, `WQ${'0'.repeat(32)}`]));
  try {
    parseWorkflowConfiguration(JSON.stringify(withQueueSids(config, (name) => stand.get(name) ?? name)));
  } catch (err) {
    if (!(err instanceof TwilioError)) throw err;
    r.problem(path, err.message.replace(/^Invalid Configuration: /, '').replace('must be a TaskQueue SID (WQ...)', 'must name a task queue'));
    return undefined;
  }
  return config;
}

function readWorker(r: Reader, value: unknown, path: string): SeedWorker | undefined {
  const o = r.object(value, path, ['friendly_name', 'attributes', 'activity', 'channels', 'credentials']);
  if (!o) return undefined;
  const friendlyName = r.name(o.friendly_name, `${path}.friendly_name`);
  let attributes: string | undefined;
  if (o.attributes !== undefined) {
    if (!o.attributes || typeof o.attributes !== 'object' || Array.isArray(o.attributes)) r.problem(`${path}.attributes`, 'must be an object');
    else {
      attributes = JSON.stringify(o.attributes);
      if (attributes.length > LIMITS.attributesLength) r.problem(`${path}.attributes`, `is ${attributes.length} characters as JSON; the limit is ${LIMITS.attributesLength}`);
    }
  }
  const channels: SeedWorker['channels'] = [];
  const given = o.channels === undefined ? undefined : r.object(o.channels, `${path}.channels`, null);
  for (const [name, v] of Object.entries(given ?? {})) {
    const at = `${path}.channels.${name}`;
    const c = r.object(v, at, ['capacity', 'available']);
    if (c) channels.push({ taskChannel: name, capacity: r.int(c.capacity, `${at}.capacity`, 0, LIMITS.workerChannelCapacity), available: r.bool(c.available, `${at}.available`), path: at });
  }
  let credentials: SeedWorker['credentials'];
  if (o.credentials !== undefined) {
    const c = r.object(o.credentials, `${path}.credentials`, ['username', 'password']);
    if (c) {
      const username = r.name(c.username, `${path}.credentials.username`, false, USERNAME_MAX);
      if (username !== undefined && /[\u0000-\u001f\u007f]/.test(username)) r.problem(`${path}.credentials.username`, 'must not contain control characters');
      if (typeof c.password !== 'string' || [...c.password].length < PASSWORD_MIN || c.password.length > PASSWORD_MAX)
        r.problem(`${path}.credentials.password`, `must be a string of ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
      else credentials = { username, password: c.password };
    }
  }
  return friendlyName === undefined ? undefined : { path, friendlyName, attributes, activity: r.name(o.activity, `${path}.activity`, false), channels, credentials };
}

function readWidget(r: Reader, value: unknown, path: string): SeedWidget | undefined {
  const o = r.object(value, path, ['friendly_name', 'workflow', 'task_channel', 'allowed_origins', 'title', 'greeting', 'accent_color', 'header_color', 'pre_engagement_config']);
  if (!o) return undefined;
  // The widget API's own checks, so a seed and a POST refuse the same values with the same words.
  let appearance: Partial<Appearance> = {};
  const look = new URLSearchParams();
  for (const [key, param] of [['title', 'Title'], ['greeting', 'Greeting'], ['accent_color', 'AccentColor'], ['header_color', 'HeaderColor']] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (v !== null && typeof v !== 'string') r.problem(`${path}.${key}`, `must be a string (or null for the default); got ${shown(v)}`);
    else look.set(param, v ?? '');
  }
  try {
    appearance = appearanceParams(new Params(look, 'post body'));
  } catch (err) {
    if (!(err instanceof TwilioError)) throw err;
    r.problem(path, err.message);
  }
  let preEngagementConfig: PreEngagementConfig | null | undefined;
  if (o.pre_engagement_config === null) preEngagementConfig = null;
  else if (o.pre_engagement_config !== undefined) {
    try {
      preEngagementConfig = parsePreEngagementConfig(o.pre_engagement_config);
    } catch (err) {
      if (!(err instanceof TwilioError)) throw err;
      r.problem(`${path}.pre_engagement_config`, err.message);
    }
  }
  const friendlyName = r.name(o.friendly_name, `${path}.friendly_name`);
  let allowedOrigins: string[] | undefined;
  if (o.allowed_origins !== undefined) {
    allowedOrigins = [];
    r.array(o.allowed_origins, `${path}.allowed_origins`).forEach((v, i) => {
      const origin = typeof v === 'string' ? originOf(v) : undefined;
      if (origin === undefined) r.problem(`${path}.allowed_origins[${i}]`, `must be an origin, http(s)://host[:port]; got ${shown(v)}`);
      else if (!allowedOrigins!.includes(origin)) allowedOrigins!.push(origin);
    });
    if (allowedOrigins.length > 50) r.problem(`${path}.allowed_origins`, 'names more than 50 origins');
  }
  return friendlyName === undefined
    ? undefined
    : {
        path,
        friendlyName,
        workflow: r.name(o.workflow, `${path}.workflow`, false),
        taskChannel: r.name(o.task_channel, `${path}.task_channel`, false),
        allowedOrigins,
        appearance,
        preEngagementConfig,
      };
}

function readEventsFilter(r: Reader, value: unknown, path: string): string | null | undefined {
  if (value === undefined || value === null) return value;
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : Array.isArray(value) ? value : undefined;
  if (!list) return void r.problem(path, 'must be a list of event types (or a string of them, comma-separated)');
  const bad = list.find((t) => typeof t !== 'string' || !EVENT_TYPES.includes(t));
  if (bad !== undefined) return void r.problem(path, `${shown(bad)} is not a TaskRouter event type`);
  return list.join(',');
}

/** An http(s) origin as a browser sends it, or undefined. */
function originOf(value: string): string | undefined {
  try {
    const u = new URL(value);
    if (!/^https?:$/.test(u.protocol) || u.username || u.password || u.pathname !== '/' || u.search || value.includes('#')) return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

const defined = <T>(list: (T | undefined)[]): T[] => list.filter((x): x is T => x !== undefined);

function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** Reads values at paths, collecting what is wrong rather than stopping at the first. */
class Reader {
  readonly problems: string[] = [];

  problem(path: string, why: string): undefined {
    this.problems.push(path ? `${path} ${why}` : why);
    return undefined;
  }

  /** An object with only the keys given (null: any keys); a misspelt key is a problem, not ignored. */
  object(v: unknown, path: string, keys: string[] | null): Record<string, unknown> | undefined {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return this.problem(path || 'the seed', 'must be an object');
    const o = v as Record<string, unknown>;
    if (keys) for (const k of Object.keys(o)) if (!keys.includes(k)) this.problem(path ? `${path}.${k}` : k, `is not a seed field here (known: ${keys.join(', ')})`);
    return o;
  }

  array(v: unknown, path: string): unknown[] {
    if (Array.isArray(v)) return v;
    this.problem(path, 'must be a list');
    return [];
  }

  name(v: unknown, path: string, required = true, max = NAME_MAX): string | undefined {
    if (v === undefined || v === null) return required ? this.problem(path, 'is required') : undefined;
    if (typeof v !== 'string' || v.trim() === '') return this.problem(path, `must be a non-empty string; got ${shown(v)}`);
    if (v.length > max) return this.problem(path, `is ${v.length} characters long; the limit is ${max}`);
    return v;
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (v === undefined || typeof v === 'boolean') return v;
    return this.problem(path, `must be true or false; got ${shown(v)}`);
  }

  int(v: unknown, path: string, min: number, max: number): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return this.problem(path, `must be an integer from ${min} to ${max}; got ${shown(v)}`);
    return v;
  }

  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T | undefined {
    if (v === undefined) return undefined;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    return this.problem(path, `must be one of ${values.join(', ')}; got ${shown(v)}`);
  }

  /** An http(s) URL; null says none. */
  url(v: unknown, path: string): string | null | undefined {
    if (v === undefined || v === null) return v;
    let ok = false;
    try {
      ok = typeof v === 'string' && /^https?:$/.test(new URL(v).protocol);
    } catch {}
    return ok ? (v as string) : this.problem(path, `must be an http:// or https:// URL; got ${shown(v)}`);
  }

  expression(v: unknown, path: string): string | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return this.problem(path, `must be a string (an expression); got ${shown(v)}`);
    try {
      parseExpression(v.trim() || '1==1');
      return v;
    } catch (err) {
      if (err instanceof ExpressionSyntaxError) return this.problem(path, `is not a valid expression: ${err.message}`);
      throw err;
    }
  }

  /** Entries of one kind are named once each (the key decides: case-insensitive where the store's index is). */
  unique<T extends At>(list: T[], path: string, key: (t: T) => string) {
    const seen = new Map<string, string>();
    for (const item of list) {
      const k = key(item);
      const first = seen.get(k);
      if (first !== undefined) this.problem(item.path, `names ${shown(k)} again (as ${first} does): each is named once`);
      else seen.set(k, item.path);
    }
  }
}

export { BUILTIN_ACTIVITIES, BUILTIN_CHANNELS };
