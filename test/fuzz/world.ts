import assert from 'node:assert/strict';
import type { Database } from '../../src/store/database.ts';
import type { Random } from './random.ts';
import { call } from './send.ts';
import type { Account, Target } from './target.ts';
import type { SidSource } from './values.ts';

const PASSWORD = 'fuzz password 1';
const POOL_CAP = 40;

/** Tokens a request can carry: the signed-in agent's and a web chat customer's. */
export interface Tokens {
  worker: string;
  agentChat: string;
  customerChat: string;
  workspaceSid: string;
  workerSid: string;
}

/**
 * The state the fuzzer aims at: SIDs of every type in the store, ours and another account's, so
 * path SIDs can be real, of the wrong type, of another account, or missing. What the fuzzer
 * creates and deletes changes it: `refresh` reads it again from the store.
 */
export class World implements SidSource {
  private ours = new Map<string, string[]>();
  private readonly theirs = new Map<string, string[]>();
  private readonly theirSet = new Set<string>();
  /** The table each SID type lives in. */
  private readonly tables = new Map<string, string>();
  private readonly rows = new Map<string, Record<string, unknown>>();
  /** What the latest seed made. */
  private seededSids = new Set<string>();
  tokens!: Tokens;
  /** Our seeded workspace, workflow and queue: what a valid Routing names. */
  home!: { ws: string; wf: string; queue: string };
  /** Our seeded conversation's unique name (a conversation path may name it instead of its SID). */
  uniqueName = '';

  constructor(
    private readonly target: Target,
    private readonly db: Database,
    private readonly r: Random,
  ) {}

  /** Our account, and another one (for its SIDs and its credentials). */
  get account(): Account {
    return this.target.accounts[0];
  }
  get other(): Account {
    return this.target.accounts[1];
  }

  real(prefix: string): string | undefined {
    if (prefix.toUpperCase() === 'AC') return this.account.accountSid;
    const pool = this.ours.get(prefix.toUpperCase());
    return pool && pool.length > 0 ? this.r.pick(pool) : undefined;
  }

  /** A real SID to delete: one the fuzzer made; seeded ones seldom, so that the seeded state lasts. */
  spare(prefix: string): string | undefined {
    const pool = (this.ours.get(prefix.toUpperCase()) ?? []).filter((sid) => !this.seededSids.has(sid));
    if (pool.length > 0) return this.r.pick(pool);
    return this.r.chance(0.1) ? this.real(prefix) : undefined;
  }

  foreign(prefix: string): string | undefined {
    if (prefix.toUpperCase() === 'AC') return this.other.accountSid;
    const pool = this.theirs.get(prefix.toUpperCase());
    return pool && pool.length > 0 ? this.r.pick(pool) : undefined;
  }

  otherType(prefix: string): string | undefined {
    const types = [...this.ours.keys()].filter((p) => p !== prefix.toUpperCase());
    return types.length > 0 ? this.real(this.r.pick(types)) : undefined;
  }

  configuration(): string {
    const queue = this.r.chance(0.5) ? this.home.queue : (this.real('WQ') ?? this.home.queue);
    return JSON.stringify({
      task_routing: {
        filters: [{ filter_friendly_name: 'sms', expression: 'channel == "sms"', targets: [{ queue, timeout: 60 }] }],
        default_filter: { queue },
      },
    });
  }

  /** A SID deleted by a request. */
  remove(sid: string): void {
    const pool = this.ours.get(sid.slice(0, 2));
    if (pool) this.ours.set(sid.slice(0, 2), pool.filter((s) => s !== sid));
  }

  /** Whether some of our seeded state is gone (deleted by valid requests): seed again. */
  thin(): string[] {
    return ['WS', 'WQ', 'WW', 'WK', 'WT', 'CH', 'KD'].filter((p) => (this.ours.get(p)?.length ?? 0) === 0);
  }

  /** The row a SID names (its parents' SIDs are in it: they never change, so rows are read once). */
  async rowOf(sid: string): Promise<Record<string, unknown> | undefined> {
    const table = this.tables.get(sid.slice(0, 2));
    if (!table) return undefined;
    let row = this.rows.get(sid);
    if (!row) this.rows.set(sid, (row = (await this.db.get<Record<string, unknown>>(`SELECT * FROM ${table} WHERE sid = ?`, [sid])) ?? {}));
    return row;
  }

  /** Seeds our account (again, when thin); the first time, another account too. */
  async seed(): Promise<void> {
    if (this.theirSet.size === 0) {
      const before = await this.sids();
      await seedAccount(this.target.baseUrl, this.other, 'b');
      for (const sid of await this.sids()) {
        if (before.has(sid)) continue;
        this.theirSet.add(sid);
        const p = sid.slice(0, 2);
        if (!this.theirs.has(p)) this.theirs.set(p, []);
        this.theirs.get(p)!.push(sid);
      }
    }
    const before = await this.sids();
    const mine = await seedAccount(this.target.baseUrl, this.account, 'a');
    this.seededSids = new Set([...(await this.sids())].filter((sid) => !before.has(sid)));
    // Sign-in and web chat sessions are rate limited: a later seed may keep the tokens it had.
    this.tokens = { ...this.tokens, ...mine.tokens };
    this.home = mine.home;
    this.uniqueName = mine.uniqueName;
    await this.refresh();
  }

  /** Reads our SIDs again from the store: what requests created and deleted. At most POOL_CAP of each type, picked at random. */
  async refresh(): Promise<void> {
    const pools = new Map<string, string[]>();
    const seen = new Map<string, number>();
    for (const sid of await this.sids()) {
      if (this.theirSet.has(sid) || sid.startsWith('AC')) continue;
      const p = sid.slice(0, 2);
      const pool = pools.get(p) ?? [];
      pools.set(p, pool);
      // Reservoir sampling: every SID of a type is as likely to be kept.
      const n = (seen.get(p) ?? 0) + 1;
      seen.set(p, n);
      if (pool.length < POOL_CAP) pool.push(sid);
      else if (this.r.int(n) < POOL_CAP) pool[this.r.int(POOL_CAP)] = sid;
    }
    this.ours = pools;
  }

  /** How many SIDs of how many types the fuzzer aims at (for the report). */
  describe(): string {
    const n = [...this.ours.values()].reduce((s, p) => s + p.length, 0);
    return `${n} SIDs of ${this.ours.size} types (${[...this.ours.keys()].sort().join(' ')}), ${this.theirSet.size} of another account`;
  }

  /** Every SID in the store (every table's `sid` column), noting which table holds each type. */
  private async sids(): Promise<Set<string>> {
    const db = this.db;
    const tables = await db.all<{ name: string }>(
      db.dialect === 'sqlite'
        ? "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'sid'"
        : "SELECT table_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'sid'",
    );
    const out = new Set<string>();
    for (const { name } of tables) {
      for (const row of await db.all<{ sid: string }>(`SELECT sid FROM ${name}`)) {
        if (!/^[A-Z]{2}[0-9a-f]{32}$/i.test(row.sid)) continue;
        out.add(row.sid);
        this.tables.set(row.sid.slice(0, 2), name);
      }
    }
    return out;
  }
}

/**
 * A contact center in one account, made through the API as a user would: a workspace with
 * activities, channels, queues, a workflow, workers, tasks in every state and their reservations;
 * conversations with participants, messages and webhooks, an address configuration; a chat
 * interaction accepted by an agent, with an invite and a transfer; a web chat widget and a
 * customer's session; agent credentials and a signed-in agent's tokens.
 */
async function seedAccount(baseUrl: string, account: Account, tag: string) {
  const auth = 'Basic ' + Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64');
  const api = async (method: string, path: string, fields?: Record<string, string | string[]>, json?: unknown, optional = false) => {
    let body: string | undefined;
    const headers: Record<string, string> = {};
    if (json !== undefined) {
      body = JSON.stringify(json);
      headers['content-type'] = 'application/json';
    } else if (fields) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
    }
    if (!path.startsWith('/switchyard/v1/Agent') && !path.startsWith('/webchat')) headers.authorization = auth;
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await call(baseUrl, method, path, { body, headers });
    if (optional && res.status === 429) return undefined;
    assert.ok(res.status >= 200 && res.status < 300, `seed ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const uid = `${tag}${Math.random().toString(16).slice(2, 8)}`;
  const tr = '/taskrouter/v1/Workspaces';
  const ws = (await api('POST', tr, { FriendlyName: `fuzz-${uid}`, EventCallbackUrl: 'http://127.0.0.1:9/events' })).sid as string;
  const W = `${tr}/${ws}`;
  const activities = (await api('GET', `${W}/Activities`)).activities as { sid: string; friendly_name: string }[];
  const available = activities.find((a) => a.friendly_name === 'Available')!.sid;
  await api('POST', `${W}/Activities`, { FriendlyName: 'Lunch', Available: 'false' });
  await api('POST', `${W}/TaskChannels`, { FriendlyName: 'Fax', UniqueName: 'fax' });
  const q1 = (await api('POST', `${W}/TaskQueues`, { FriendlyName: 'Everyone', TargetWorkers: '1==1' })).sid as string;
  const q2 = (await api('POST', `${W}/TaskQueues`, { FriendlyName: 'SMS', TargetWorkers: 'skills HAS "sms"', TaskOrder: 'LIFO' })).sid as string;
  const config = { task_routing: { filters: [{ filter_friendly_name: 'sms', expression: 'channel == "sms"', targets: [{ queue: q2, timeout: 30 }, { queue: q1 }] }], default_filter: { queue: q1 } } };
  const wf = (await api('POST', `${W}/Workflows`, { FriendlyName: 'Main', Configuration: JSON.stringify(config), AssignmentCallbackUrl: 'http://127.0.0.1:9/assign', TaskReservationTimeout: '120' })).sid as string;
  const names = ['alice', 'bob', 'carol'];
  const workers: string[] = [];
  for (const name of names) {
    const w = await api('POST', `${W}/Workers`, {
      FriendlyName: name,
      ActivitySid: name === 'carol' ? activities.find((a) => a.friendly_name === 'Offline')!.sid : available,
      Attributes: JSON.stringify({ skills: ['sms', 'chat'], contact_uri: `client:${name}-${uid}`, languages: { en: 5 } }),
    });
    workers.push(w.sid);
  }
  // Tasks: one routed and reserved, one accepted (assigned), one canceled, one completed.
  const task = (attrs: Record<string, unknown>) => api('POST', `${W}/Tasks`, { WorkflowSid: wf, Attributes: JSON.stringify(attrs), TaskChannel: 'default' });
  const pending = async (taskSid: string) =>
    ((await api('GET', `${W}/Tasks/${taskSid}/Reservations`)).reservations as { sid: string; reservation_status: string }[]).filter((r) => r.reservation_status === 'pending');
  const reserved = (await task({ channel: 'sms', n: 1 })).sid as string;
  const accepted = (await task({ channel: 'voice', n: 2 })).sid as string;
  for (const r of await pending(accepted)) {
    await api('POST', `${W}/Tasks/${accepted}/Reservations/${r.sid}`, { ReservationStatus: 'accepted' });
    break;
  }
  const canceled = (await task({ n: 3 })).sid as string;
  await api('POST', `${W}/Tasks/${canceled}`, { AssignmentStatus: 'canceled', Reason: 'fuzz' });
  void reserved;

  // Conversations.
  const cv = '/conversations/v1';
  const uniqueName = `fuzz-${uid}`;
  const conv = (await api('POST', `${cv}/Conversations`, { FriendlyName: 'Customer', UniqueName: uniqueName, Attributes: '{"a":1}' })).sid as string;
  await api('POST', `${cv}/Conversations/${conv}/Participants`, { Identity: `customer-${uid}` });
  await api('POST', `${cv}/Conversations/${conv}/Participants`, { 'MessagingBinding.Address': `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, 'MessagingBinding.ProxyAddress': '+15559990000' });
  await api('POST', `${cv}/Conversations/${conv}/Messages`, { Author: `customer-${uid}`, Body: 'hello' });
  await api('POST', `${cv}/Conversations/${conv}/Messages`, { Author: 'system', Body: 'hi there', Attributes: '{"k":"v"}' });
  await api('POST', `${cv}/Conversations/${conv}/Webhooks`, { Target: 'webhook', 'Configuration.Url': 'http://127.0.0.1:9/hook', 'Configuration.Filters': ['onMessageAdded'] });
  await api('POST', `${cv}/Configuration/Addresses`, { Type: 'sms', Address: `+1666${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, 'AutoCreation.Enabled': 'true', 'AutoCreation.Type': 'webhook', 'AutoCreation.WebhookUrl': 'http://127.0.0.1:9/auto' });

  // Flex: a chat interaction, accepted by alice, with an invite and a transfer to a queue.
  const created = await api('POST', '/flex-api/v1/Interactions', {
    Channel: JSON.stringify({ type: 'chat', initiated_by: 'api', participants: [{ identity: `cust-${uid}`, name: 'Ada' }] }),
    Routing: JSON.stringify({ properties: { workspace_sid: ws, workflow_sid: wf, attributes: { channel: 'chat' } } }),
  });
  const kd = created.sid as string;
  const uo = created.channel.sid as string;
  const flexTask = created.routing.properties.sid as string;
  const offers = await pending(flexTask);
  if (offers.length > 0) await api('POST', `${W}/Tasks/${flexTask}/Reservations/${offers[0].sid}`, { ReservationStatus: 'accepted' });
  const fp = `/flex-api/v1/Interactions/${kd}/Channels/${uo}`;
  await api('POST', `${fp}/Invites`, { Routing: JSON.stringify({ properties: { workspace_sid: ws, workflow_sid: wf, queue_sid: q1 } }) });
  const agentsOn = ((await api('GET', `${fp}/Participants`)).participants as { sid: string; type: string }[]).filter((p) => p.type === 'agent');
  if (agentsOn.length > 0) await api('POST', `${fp}/Transfers`, undefined, { type: 'warm', from: agentsOn[0].sid, to: q1 });

  // Web chat and the agent desktop.
  const widgetSid = (await api('POST', '/switchyard/v1/WebChat/Widgets', { WorkspaceSid: ws, WorkflowSid: wf, FriendlyName: 'Fuzz chat' })).sid as string;
  const session = await api('POST', '/webchat/v1/Sessions', { Widget: widgetSid, Name: 'Grace' }, undefined, true);
  await api('POST', `/switchyard/v1/Workspaces/${ws}/Workers/${workers[0]}/Credentials`, { Username: `alice-${uid}`, Password: PASSWORD });
  const agent = await api('POST', '/switchyard/v1/Agent/Sessions', { AccountSid: account.accountSid, Username: `alice-${uid}`, Password: PASSWORD }, undefined, true);
  const tokens: Partial<Tokens> = {};
  if (agent) Object.assign(tokens, { worker: agent.worker_token, agentChat: agent.chat_token, workspaceSid: ws, workerSid: workers[0] });
  if (session) tokens.customerChat = session.token;
  return { uniqueName, tokens, home: { ws, wf, queue: q1 } };
}
