import type { Database } from './database.ts';

/**
 * Migrations are applied in order at start. Each is one SQL text for both engines; the only
 * dialect difference in DDL is the auto-increment column that gives lists their creation order.
 */
interface Migration {
  id: number;
  sql: string;
}

const MIGRATIONS: Migration[] = [
  {
    id: 1,
    sql: `
CREATE TABLE accounts (
  sid TEXT PRIMARY KEY,
  auth_token TEXT NOT NULL,
  friendly_name TEXT NOT NULL,
  date_created BIGINT NOT NULL
);
CREATE TABLE api_keys (
  sid TEXT PRIMARY KEY,
  account_sid TEXT NOT NULL REFERENCES accounts(sid) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  friendly_name TEXT NOT NULL,
  date_created BIGINT NOT NULL
);
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE workspaces (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL REFERENCES accounts(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  event_callback_url TEXT,
  events_filter TEXT,
  multi_task_enabled INTEGER NOT NULL,
  prioritize_queue_order TEXT NOT NULL,
  default_activity_sid TEXT,
  timeout_activity_sid TEXT,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX workspaces_account ON workspaces(account_sid, seq);
CREATE TABLE activities (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  available INTEGER NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX activities_name ON activities(workspace_sid, lower(friendly_name));
CREATE TABLE task_channels (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  unique_name TEXT NOT NULL,
  channel_optimized_routing INTEGER,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX task_channels_unique_name ON task_channels(workspace_sid, unique_name);
CREATE TABLE task_queues (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  target_workers TEXT NOT NULL,
  max_reserved_workers INTEGER NOT NULL,
  task_order TEXT NOT NULL,
  reservation_activity_sid TEXT REFERENCES activities(sid),
  assignment_activity_sid TEXT REFERENCES activities(sid),
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX task_queues_name ON task_queues(workspace_sid, friendly_name);
CREATE TABLE workflows (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  configuration TEXT NOT NULL,
  assignment_callback_url TEXT,
  fallback_assignment_callback_url TEXT,
  task_reservation_timeout INTEGER NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX workflows_name ON workflows(workspace_sid, friendly_name);
-- The queues a workflow's configuration names, so a referenced queue cannot be deleted.
CREATE TABLE workflow_queues (
  workflow_sid TEXT NOT NULL REFERENCES workflows(sid) ON DELETE CASCADE,
  queue_sid TEXT NOT NULL REFERENCES task_queues(sid),
  PRIMARY KEY (workflow_sid, queue_sid)
);
CREATE INDEX workflow_queues_queue ON workflow_queues(queue_sid);
CREATE TABLE workers (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  attributes TEXT NOT NULL,
  activity_sid TEXT NOT NULL REFERENCES activities(sid),
  version INTEGER NOT NULL,
  date_status_changed BIGINT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX workers_name ON workers(workspace_sid, lower(friendly_name));
CREATE INDEX workers_activity ON workers(activity_sid);
CREATE TABLE worker_channels (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL,
  worker_sid TEXT NOT NULL REFERENCES workers(sid) ON DELETE CASCADE,
  task_channel_sid TEXT NOT NULL REFERENCES task_channels(sid) ON DELETE CASCADE,
  capacity INTEGER NOT NULL,
  available INTEGER NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX worker_channels_pair ON worker_channels(worker_sid, task_channel_sid);
CREATE INDEX worker_channels_channel ON worker_channels(task_channel_sid);
`,
  },
  {
    id: 2,
    sql: `
-- Routing: tasks, reservations, queue membership, durable timers, events and their delivery.
ALTER TABLE workers ADD COLUMN idle_since BIGINT NOT NULL DEFAULT 0;
ALTER TABLE worker_channels ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE worker_channels ADD COLUMN assigned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workflows ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
-- Each configuration a workflow has had: tasks keep the one they entered with unless re-evaluated.
CREATE TABLE workflow_revisions (
  workflow_sid TEXT NOT NULL REFERENCES workflows(sid) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  configuration TEXT NOT NULL,
  PRIMARY KEY (workflow_sid, revision)
);
-- Which workers each queue's target_workers selects, kept up to date as workers and queues change.
CREATE TABLE queue_members (
  queue_sid TEXT NOT NULL REFERENCES task_queues(sid) ON DELETE CASCADE,
  worker_sid TEXT NOT NULL REFERENCES workers(sid) ON DELETE CASCADE,
  PRIMARY KEY (queue_sid, worker_sid)
);
CREATE INDEX queue_members_worker ON queue_members(worker_sid);
CREATE TABLE tasks (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  workflow_sid TEXT,
  workflow_revision INTEGER,
  attributes TEXT NOT NULL,
  assignment_status TEXT NOT NULL,
  priority INTEGER NOT NULL,
  timeout INTEGER NOT NULL,
  task_channel_sid TEXT NOT NULL,
  task_channel_unique_name TEXT NOT NULL,
  task_queue_sid TEXT,
  task_queue_entered_date BIGINT,
  reason TEXT,
  virtual_start_time BIGINT NOT NULL,
  routing_target TEXT,
  ignore_capacity INTEGER NOT NULL,
  addons TEXT NOT NULL,
  version INTEGER NOT NULL,
  step_filter INTEGER,
  step_target INTEGER,
  step_entered_age INTEGER,
  step_since BIGINT,
  assignment_count INTEGER NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL,
  date_closed BIGINT
);
CREATE INDEX tasks_waiting ON tasks(task_queue_sid, assignment_status, priority, virtual_start_time);
CREATE INDEX tasks_workspace ON tasks(workspace_sid, assignment_status, seq);
CREATE INDEX tasks_workflow ON tasks(workflow_sid, assignment_status);
CREATE TABLE reservations (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  task_sid TEXT NOT NULL REFERENCES tasks(sid) ON DELETE CASCADE,
  worker_sid TEXT NOT NULL,
  worker_name TEXT NOT NULL,
  task_channel_sid TEXT NOT NULL,
  task_queue_sid TEXT,
  reservation_status TEXT NOT NULL,
  timeout_at BIGINT,
  worker_previous_activity_sid TEXT,
  version INTEGER NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX reservations_task ON reservations(task_sid, reservation_status);
CREATE INDEX reservations_worker ON reservations(worker_sid, reservation_status);
-- Durable timers: task TTL, reservation timeout, target timeout. One row per (kind, ref).
CREATE TABLE timers (
  kind TEXT NOT NULL,
  ref_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL,
  due_at BIGINT NOT NULL,
  PRIMARY KEY (kind, ref_sid)
);
CREATE INDEX timers_due ON timers(due_at);
CREATE TABLE events (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  description TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_sid TEXT NOT NULL,
  actor_type TEXT,
  actor_sid TEXT,
  task_sid TEXT,
  worker_sid TEXT,
  reservation_sid TEXT,
  task_queue_sid TEXT,
  workflow_sid TEXT,
  task_channel TEXT,
  event_data TEXT NOT NULL,
  event_date BIGINT NOT NULL
);
CREATE INDEX events_workspace ON events(workspace_sid, event_date);
-- Event callbacks to deliver, in order per workspace, retried with backoff.
CREATE TABLE deliveries (
  seq {{SEQ}},
  workspace_sid TEXT NOT NULL,
  event_sid TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  locked_until BIGINT NOT NULL
);
CREATE INDEX deliveries_workspace ON deliveries(workspace_sid, seq);
`,
  },
  {
    id: 3,
    sql: `
-- Assignment callbacks to send: queued in the transaction that creates the reservation, sent after it commits.
CREATE TABLE assignment_callbacks (
  seq {{SEQ}},
  reservation_sid TEXT NOT NULL,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  url TEXT NOT NULL,
  fallback_url TEXT,
  body TEXT NOT NULL,
  locked_until BIGINT NOT NULL
);
CREATE INDEX assignment_callbacks_due ON assignment_callbacks(locked_until, seq);
-- The retention sweep removes events by age across workspaces.
CREATE INDEX events_date ON events(event_date);
`,
  },
  {
    id: 4,
    sql: `
-- Cumulative statistics read a window's events of a few types (reservations, task outcomes, activity changes).
CREATE INDEX events_type ON events(workspace_sid, event_type, event_date);
`,
  },
  {
    id: 5,
    sql: `
-- Conversations v1: the account's default service and configuration, conversations, participants,
-- messages, receipts, scoped webhooks, address configurations, durable state timers, and the
-- record of what happened (conversation_events), written in the same transaction as the change.
CREATE TABLE conversation_services (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL UNIQUE REFERENCES accounts(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE TABLE conversation_config (
  account_sid TEXT PRIMARY KEY REFERENCES accounts(sid) ON DELETE CASCADE,
  default_chat_service_sid TEXT NOT NULL,
  default_messaging_service_sid TEXT,
  default_inactive_timer TEXT,
  default_closed_timer TEXT,
  webhook_method TEXT NOT NULL,
  webhook_filters TEXT NOT NULL,
  pre_webhook_url TEXT,
  post_webhook_url TEXT,
  webhook_target TEXT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE TABLE conversations (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL REFERENCES accounts(sid) ON DELETE CASCADE,
  chat_service_sid TEXT NOT NULL,
  messaging_service_sid TEXT,
  friendly_name TEXT,
  unique_name TEXT,
  attributes TEXT NOT NULL,
  state TEXT NOT NULL,
  timer_inactive TEXT,
  timer_closed TEXT,
  date_inactive BIGINT,
  date_closed BIGINT,
  email_address TEXT,
  email_name TEXT,
  created_by TEXT,
  next_message_index INTEGER NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX conversations_unique_name ON conversations(account_sid, unique_name);
CREATE INDEX conversations_account ON conversations(account_sid, seq);
CREATE INDEX conversations_state ON conversations(account_sid, state, seq);
CREATE TABLE conversation_participants (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  conversation_sid TEXT NOT NULL REFERENCES conversations(sid) ON DELETE CASCADE,
  identity TEXT,
  address TEXT,
  proxy_address TEXT,
  projected_address TEXT,
  binding_type TEXT,
  binding_open INTEGER NOT NULL,
  attributes TEXT NOT NULL,
  role_sid TEXT,
  last_read_message_index INTEGER,
  last_read_timestamp TEXT,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX conversation_participants_conversation ON conversation_participants(conversation_sid, seq);
CREATE UNIQUE INDEX conversation_participants_identity ON conversation_participants(conversation_sid, identity);
-- A messaging binding (address + proxy address) belongs to one open conversation of the account at a time.
CREATE UNIQUE INDEX conversation_participants_binding ON conversation_participants(account_sid, address, proxy_address) WHERE binding_open = 1 AND proxy_address IS NOT NULL;
CREATE INDEX conversation_participants_identity_lookup ON conversation_participants(account_sid, identity);
CREATE INDEX conversation_participants_address_lookup ON conversation_participants(account_sid, address);
CREATE TABLE conversation_messages (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  conversation_sid TEXT NOT NULL REFERENCES conversations(sid) ON DELETE CASCADE,
  message_index INTEGER NOT NULL,
  author TEXT NOT NULL,
  body TEXT,
  attributes TEXT NOT NULL,
  media TEXT,
  participant_sid TEXT,
  content_sid TEXT,
  content_variables TEXT,
  subject TEXT,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX conversation_messages_index ON conversation_messages(conversation_sid, message_index);
CREATE TABLE conversation_receipts (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  conversation_sid TEXT NOT NULL,
  message_sid TEXT NOT NULL REFERENCES conversation_messages(sid) ON DELETE CASCADE,
  participant_sid TEXT NOT NULL,
  channel_message_sid TEXT,
  status TEXT NOT NULL,
  error_code INTEGER NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX conversation_receipts_participant ON conversation_receipts(message_sid, participant_sid);
CREATE TABLE conversation_webhooks (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  conversation_sid TEXT NOT NULL REFERENCES conversations(sid) ON DELETE CASCADE,
  target TEXT NOT NULL,
  url TEXT,
  method TEXT,
  filters TEXT NOT NULL,
  triggers TEXT NOT NULL,
  flow_sid TEXT,
  replay_after INTEGER,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX conversation_webhooks_conversation ON conversation_webhooks(conversation_sid, seq);
CREATE TABLE conversation_addresses (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL REFERENCES accounts(sid) ON DELETE CASCADE,
  type TEXT NOT NULL,
  address TEXT NOT NULL,
  friendly_name TEXT,
  address_country TEXT,
  auto_enabled INTEGER NOT NULL,
  auto_type TEXT,
  auto_service_sid TEXT,
  auto_webhook_url TEXT,
  auto_webhook_method TEXT,
  auto_webhook_filters TEXT NOT NULL,
  auto_studio_flow_sid TEXT,
  auto_studio_retry_count INTEGER,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX conversation_addresses_address ON conversation_addresses(account_sid, type, address);
-- Durable state timers: one row per (kind, conversation); whichever node deletes a due row fires it.
CREATE TABLE conversation_timers (
  kind TEXT NOT NULL,
  conversation_sid TEXT NOT NULL,
  account_sid TEXT NOT NULL,
  due_at BIGINT NOT NULL,
  PRIMARY KEY (kind, conversation_sid)
);
CREATE INDEX conversation_timers_due ON conversation_timers(due_at);
-- What happened (onConversationAdded, onMessageAdded, ...), in commit order per conversation:
-- the outbox for post-event webhooks and real-time delivery.
CREATE TABLE conversation_events (
  seq {{SEQ}},
  account_sid TEXT NOT NULL,
  conversation_sid TEXT,
  event_type TEXT NOT NULL,
  resource_sid TEXT NOT NULL,
  source TEXT NOT NULL,
  webhooks_enabled INTEGER NOT NULL,
  data TEXT NOT NULL,
  date_created BIGINT NOT NULL
);
CREATE INDEX conversation_events_conversation ON conversation_events(conversation_sid, seq);
CREATE INDEX conversation_events_account ON conversation_events(account_sid, seq);
`,
  },
  {
    id: 6,
    sql: `
-- Conversations out: the cursor of each reader of conversation_events that must see every event
-- once (the fan-out), starting after the events that existed before this migration; and the queue
-- of what goes out (post-event webhooks and outbound messages), sent in seq order per queue.
CREATE TABLE conversation_cursors (
  name TEXT PRIMARY KEY,
  seq BIGINT NOT NULL
);
INSERT INTO conversation_cursors (name, seq) SELECT 'fanout', COALESCE(MAX(seq), 0) FROM conversation_events;
CREATE TABLE conversation_deliveries (
  seq {{SEQ}},
  queue TEXT NOT NULL,
  kind TEXT NOT NULL,
  account_sid TEXT NOT NULL,
  event_seq BIGINT NOT NULL,
  url TEXT,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX conversation_deliveries_queue ON conversation_deliveries(queue, seq);
`,
  },
  {
    id: 7,
    sql: `
-- "Has this worker had this task before?" is asked for every candidate of every routing decision.
CREATE INDEX reservations_task_worker ON reservations(task_sid, worker_sid);
`,
  },
  {
    id: 8,
    sql: `
-- Flex Interactions: an interaction and its one channel, the tasks routed for it (one invite each),
-- its participants and transfers, and how far each workspace's events have been followed.
CREATE TABLE interactions (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  channel_sid TEXT NOT NULL,
  interaction_context_sid TEXT,
  webhook_ttid TEXT,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE TABLE interaction_channels (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  interaction_sid TEXT NOT NULL,
  type TEXT NOT NULL,
  initiated_by TEXT NOT NULL,
  status TEXT NOT NULL,
  error_code INTEGER,
  error_message TEXT,
  conversation_sid TEXT,
  workspace_sid TEXT,
  setup TEXT,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX interaction_channels_interaction ON interaction_channels(interaction_sid);
CREATE INDEX interaction_channels_status ON interaction_channels(status, date_updated);
CREATE TABLE interaction_invites (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  interaction_sid TEXT NOT NULL,
  channel_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL,
  task_sid TEXT NOT NULL UNIQUE,
  transfer_sid TEXT,
  routing TEXT NOT NULL,
  date_created BIGINT NOT NULL
);
CREATE INDEX interaction_invites_channel ON interaction_invites(channel_sid);
CREATE INDEX interaction_invites_workspace ON interaction_invites(workspace_sid);
CREATE TABLE interaction_participants (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  interaction_sid TEXT NOT NULL,
  channel_sid TEXT NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  media_properties TEXT,
  routing_properties TEXT,
  conversation_participant_sid TEXT,
  worker_sid TEXT,
  task_sid TEXT,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX interaction_participants_channel ON interaction_participants(channel_sid);
CREATE TABLE interaction_transfers (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  interaction_sid TEXT NOT NULL,
  channel_sid TEXT NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  from_participant TEXT NOT NULL,
  to_target TEXT NOT NULL,
  task_sid TEXT,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE TABLE interaction_cursors (
  workspace_sid TEXT PRIMARY KEY,
  seq BIGINT NOT NULL,
  event_date BIGINT NOT NULL
);
`,
  },
  {
    id: 9,
    sql: `
-- Web chat widgets: the routing of a web chat, named by the public SID a page embeds. A widget
-- goes with its workspace, so a page never starts chats into a workspace that is gone.
CREATE TABLE webchat_widgets (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL REFERENCES accounts(sid) ON DELETE CASCADE,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  workflow_sid TEXT,
  task_channel TEXT NOT NULL,
  friendly_name TEXT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX webchat_widgets_account ON webchat_widgets(account_sid);
`,
  },
  {
    id: 10,
    sql: `
-- Agent sign-in for the agent desktop: one username and password per worker, the password kept
-- only as a salted scrypt hash. Usernames are unique per account, ignoring case; a credential
-- goes with its worker (and so with its workspace).
CREATE TABLE agent_credentials (
  seq {{SEQ}},
  worker_sid TEXT NOT NULL UNIQUE REFERENCES workers(sid) ON DELETE CASCADE,
  account_sid TEXT NOT NULL REFERENCES accounts(sid) ON DELETE CASCADE,
  workspace_sid TEXT NOT NULL,
  username TEXT NOT NULL,
  username_key TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX agent_credentials_username ON agent_credentials(account_sid, username_key);
`,
  },
  {
    id: 11,
    sql: `
-- The origins a web chat widget's pages may call the public API from (CORS, and where a chat may
-- start); a widget with none allows any origin. Looked up by origin too, for requests that name no
-- widget (a preflight carries no body).
CREATE TABLE webchat_widget_origins (
  seq {{SEQ}},
  widget_sid TEXT NOT NULL REFERENCES webchat_widgets(sid) ON DELETE CASCADE,
  origin TEXT NOT NULL
);
CREATE UNIQUE INDEX webchat_widget_origins_widget ON webchat_widget_origins(widget_sid, origin);
CREATE INDEX webchat_widget_origins_origin ON webchat_widget_origins(origin);
`,
  },
  {
    id: 12,
    sql: `
-- Task transfers made through the worker SDK (task.transfer()): the task is offered to another
-- worker or queue while its holder keeps it. A reservation made for a transfer names it.
CREATE TABLE task_transfers (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  task_sid TEXT NOT NULL REFERENCES tasks(sid) ON DELETE CASCADE,
  initiating_reservation_sid TEXT NOT NULL,
  initiating_worker_sid TEXT NOT NULL,
  initiating_queue_sid TEXT,
  initiating_workflow_sid TEXT,
  transfer_to TEXT NOT NULL,
  transfer_type TEXT NOT NULL,
  transfer_mode TEXT NOT NULL,
  transfer_status TEXT NOT NULL,
  transfer_failed_reason TEXT,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX task_transfers_task ON task_transfers(task_sid, transfer_status);
ALTER TABLE reservations ADD COLUMN transfer_sid TEXT;
-- The contact_uri a worker was given with account credentials ('' for none): a token may drop it
-- and put it back, never set another (the worker's chat identity comes from it).
ALTER TABLE workers ADD COLUMN given_contact_uri TEXT;
`,
  },
  {
    id: 13,
    sql: `
-- A conversation-scoped webhook hears only what happens after it was added: the last event of its
-- conversation when it was created (NULL for webhooks made before this column: they hear everything).
ALTER TABLE conversation_webhooks ADD COLUMN after_seq BIGINT;
`,
  },
  {
    id: 14,
    sql: `
-- Several Conversation Services per account (the default is conversation_config's), each with its
-- configuration, push notification settings and webhooks; the table is rebuilt because SQLite cannot
-- drop the old UNIQUE (account_sid). Unique names are unique per service, as on Twilio.
CREATE TABLE conversation_services_next (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL REFERENCES accounts(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  default_conversation_creator_role_sid TEXT,
  default_conversation_role_sid TEXT,
  default_chat_service_role_sid TEXT,
  reachability_enabled INTEGER NOT NULL DEFAULT 0,
  notifications TEXT NOT NULL DEFAULT '{}',
  pre_webhook_url TEXT,
  post_webhook_url TEXT,
  webhook_method TEXT NOT NULL DEFAULT 'POST',
  webhook_filters TEXT NOT NULL DEFAULT '[]',
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
INSERT INTO conversation_services_next (sid, account_sid, friendly_name, date_created, date_updated)
  SELECT sid, account_sid, friendly_name, date_created, date_updated FROM conversation_services ORDER BY seq;
DROP TABLE conversation_services;
ALTER TABLE conversation_services_next RENAME TO conversation_services;
CREATE INDEX conversation_services_account ON conversation_services(account_sid, seq);
DROP INDEX conversations_unique_name;
CREATE UNIQUE INDEX conversations_unique_name ON conversations(chat_service_sid, unique_name);
CREATE INDEX conversations_service ON conversations(chat_service_sid, seq);
-- Push bindings (as the SDK registers them), gone with their service.
CREATE TABLE conversation_bindings (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  chat_service_sid TEXT NOT NULL REFERENCES conversation_services(sid) ON DELETE CASCADE,
  credential_sid TEXT,
  endpoint TEXT NOT NULL,
  identity TEXT NOT NULL,
  binding_type TEXT NOT NULL,
  address TEXT NOT NULL,
  message_types TEXT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX conversation_bindings_address ON conversation_bindings(chat_service_sid, binding_type, address);
CREATE INDEX conversation_bindings_identity ON conversation_bindings(chat_service_sid, identity);
`,
  },
  {
    id: 15,
    sql: `
-- Conversations roles and users (per service; a service's built-in roles are made on first use,
-- one per builtin name) and push credentials (per account; their secrets are never kept). A user
-- conversation's notification level lives on the participant it stands for.
CREATE TABLE conversation_roles (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  chat_service_sid TEXT NOT NULL REFERENCES conversation_services(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  type TEXT NOT NULL,
  permissions TEXT NOT NULL,
  builtin TEXT,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX conversation_roles_service ON conversation_roles(chat_service_sid, seq);
CREATE UNIQUE INDEX conversation_roles_builtin ON conversation_roles(chat_service_sid, builtin);
CREATE TABLE conversation_users (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  chat_service_sid TEXT NOT NULL REFERENCES conversation_services(sid) ON DELETE CASCADE,
  identity TEXT NOT NULL,
  friendly_name TEXT,
  attributes TEXT NOT NULL,
  role_sid TEXT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX conversation_users_identity ON conversation_users(chat_service_sid, identity);
CREATE INDEX conversation_users_service ON conversation_users(chat_service_sid, seq);
CREATE INDEX conversation_users_role ON conversation_users(role_sid);
CREATE TABLE conversation_credentials (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL REFERENCES accounts(sid) ON DELETE CASCADE,
  friendly_name TEXT,
  type TEXT NOT NULL,
  sandbox INTEGER NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX conversation_credentials_account ON conversation_credentials(account_sid, seq);
ALTER TABLE conversation_participants ADD COLUMN notification_level TEXT;
CREATE INDEX conversation_participants_role ON conversation_participants(role_sid);
`,
  },
  {
    id: 16,
    sql: `
-- The official Conversations SDK's live data: Sync events (per object, the event id is seq) and the
-- notifications pushed beside them (typing), written by one writer at a time (the 'sdk' cursor row's
-- lock), so readers see seqs in commit order. The objects' content is read from the tables themselves.
CREATE TABLE sdk_events (
  seq {{SEQ}},
  account_sid TEXT NOT NULL,
  object_sid TEXT,
  conversation_sid TEXT,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  date_created BIGINT NOT NULL
);
CREATE INDEX sdk_events_object ON sdk_events(object_sid, seq);
INSERT INTO conversation_cursors (name, seq) SELECT 'sdk', COALESCE(MAX(seq), 0) FROM conversation_events;
-- Media uploaded by the SDK (MCS), its bytes base64 in the row: every node serves what any node took.
CREATE TABLE sdk_media (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  chat_service_sid TEXT NOT NULL,
  author TEXT NOT NULL,
  category TEXT NOT NULL,
  content_type TEXT NOT NULL,
  filename TEXT,
  size BIGINT NOT NULL,
  content TEXT NOT NULL,
  conversation_sid TEXT,
  message_sid TEXT,
  date_created BIGINT NOT NULL
);
-- Which identities have an SDK connection open, per node, until expires_at (each node renews its own rows).
CREATE TABLE sdk_presence (
  node TEXT NOT NULL,
  chat_service_sid TEXT NOT NULL,
  identity TEXT NOT NULL,
  account_sid TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (node, chat_service_sid, identity)
);
CREATE INDEX sdk_presence_identity ON sdk_presence(chat_service_sid, identity);
`,
  },
  {
    id: 17,
    sql: `
-- A workspace's routing version moves with every routing commit; a node routes from memory only
-- while its memory carries the version the store holds (docs/architecture.md, "Routing state").
CREATE TABLE routing_versions (
  workspace_sid TEXT PRIMARY KEY,
  version BIGINT NOT NULL
);
`,
  },
  {
    id: 18,
    sql: `
-- A worker looking for work reads each of its queues' best waiting tasks in the FIFO order (priority,
-- then age) straight from an index, and the tasks addressed to it (RoutingTarget) from a partial
-- index: never every pending task of the workspace.
CREATE INDEX tasks_queue_fifo ON tasks(task_queue_sid, assignment_status, priority DESC, virtual_start_time, seq);
DROP INDEX tasks_waiting;
CREATE INDEX tasks_routing_target ON tasks(routing_target, assignment_status) WHERE routing_target IS NOT NULL;
`,
  },
  {
    id: 19,
    sql: `
-- What each routing version changed: the workers whose routing state moved, or "everything" (config).
-- A node whose memory is a few versions behind reads these workers again instead of the workspace.
CREATE TABLE routing_changes (
  workspace_sid TEXT NOT NULL,
  version BIGINT NOT NULL,
  workers TEXT NOT NULL,
  config INTEGER NOT NULL,
  PRIMARY KEY (workspace_sid, version)
);
`,
  },
  {
    id: 20,
    sql: `
-- The agent desktop: the canned responses an administrator writes for a workspace's agents, the
-- disposition codes they wrap up with, the desk's settings (the wrap-up time), and what each
-- wrap-up recorded: the customer panel's earlier conversations outlive the task (TaskRouter deletes
-- a closed task after 5 minutes). Each goes with its workspace.
CREATE TABLE agent_canned_responses (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  friendly_name TEXT NOT NULL,
  category TEXT,
  body TEXT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX agent_canned_responses_workspace ON agent_canned_responses(workspace_sid, seq);
CREATE TABLE agent_disposition_codes (
  seq {{SEQ}},
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  code TEXT NOT NULL,
  friendly_name TEXT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX agent_disposition_codes_code ON agent_disposition_codes(workspace_sid, code);
CREATE TABLE agent_desk_settings (
  workspace_sid TEXT PRIMARY KEY REFERENCES workspaces(sid) ON DELETE CASCADE,
  account_sid TEXT NOT NULL,
  wrapup_timeout INTEGER NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE TABLE agent_wrapups (
  seq {{SEQ}},
  task_sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  workspace_sid TEXT NOT NULL REFERENCES workspaces(sid) ON DELETE CASCADE,
  worker_sid TEXT NOT NULL,
  worker_name TEXT NOT NULL,
  interaction_sid TEXT,
  conversation_sid TEXT,
  channel_type TEXT NOT NULL,
  customer_address TEXT,
  customer_name TEXT,
  code TEXT,
  code_name TEXT,
  note TEXT,
  task_created BIGINT NOT NULL,
  date_created BIGINT NOT NULL,
  date_updated BIGINT NOT NULL
);
CREATE INDEX agent_wrapups_customer ON agent_wrapups(workspace_sid, customer_address, seq);
`,
  },
  {
    id: 21,
    sql: `
-- A web chat widget's look and its pre-chat form, set by the account's admin API: the title and
-- greeting a customer sees, two colours (the derived text colour keeps them readable), and the
-- form's fields (Flex Webchat's preEngagementConfig, as JSON). Null: the page's defaults.
ALTER TABLE webchat_widgets ADD COLUMN title TEXT;
ALTER TABLE webchat_widgets ADD COLUMN greeting TEXT;
ALTER TABLE webchat_widgets ADD COLUMN accent_color TEXT;
ALTER TABLE webchat_widgets ADD COLUMN header_color TEXT;
ALTER TABLE webchat_widgets ADD COLUMN pre_engagement_config TEXT;
-- A customer ending their web chat finds its interaction channel by the conversation.
CREATE INDEX interaction_channels_conversation ON interaction_channels(conversation_sid);
`,
  },
  {
    id: 22,
    sql: `
-- The email gateway's threading: every Message-ID it received or sent (without its angle brackets),
-- with the conversation and message it belongs to, so a mail's In-Reply-To / References find the
-- conversation, a mail sent twice lands once, and replies name the mail they answer. Recipients:
-- the addresses (JSON array) an inbound mail went to besides ours; NULL for what the gateway sent.
CREATE TABLE email_messages (
  seq {{SEQ}},
  account_sid TEXT NOT NULL,
  message_id TEXT NOT NULL,
  conversation_sid TEXT NOT NULL,
  message_sid TEXT NOT NULL,
  direction TEXT NOT NULL,
  recipients TEXT,
  date_created BIGINT NOT NULL,
  UNIQUE (account_sid, message_id)
);
CREATE INDEX email_messages_conversation ON email_messages(conversation_sid, seq);
CREATE INDEX email_messages_message ON email_messages(message_sid);
`,
  },
  {
    id: 23,
    // Messenger and WhatsApp Cloud API gateways: Meta's status webhooks name a message by its channel id;
    // Meta redelivers a webhook it got no 200 for, so the message ids landed are kept a while.
    sql: `
CREATE INDEX conversation_receipts_channel_message ON conversation_receipts(channel_message_sid);
CREATE TABLE meta_inbound_ids (
  id TEXT PRIMARY KEY,
  date_received BIGINT NOT NULL
);
CREATE INDEX meta_inbound_ids_received ON meta_inbound_ids(date_received);
`,
  },
  {
    id: 24,
    // Reserved for the supervisor board (filled in by the work under way; empty is a no-op).
    sql: ``,
  },
  {
    id: 25,
    sql: `
-- A workspace's events after a cursor, in order: what Flex's follower and the event bridge's pusher read after every
-- commit. Through (workspace_sid, event_date) they read every event of a time window and sorted it.
CREATE INDEX events_workspace_seq ON events(workspace_sid, seq);
`,
  },
  {
    id: 26,
    sql: `
-- Per queue, the tasks that ignore capacity: all a worker without room can take. Through tasks_queue_fifo it read past
-- the queue's whole backlog to find them (none, mostly) every time it took its last task. Same leading columns as
-- tasks_queue_fifo, so that SQLite's planner picks this smaller one when the query says ignore_capacity = 1.
CREATE INDEX tasks_queue_ignoring_capacity ON tasks(task_queue_sid, assignment_status, priority DESC, virtual_start_time, seq)
  WHERE ignore_capacity = 1;
`,
  },
];

/** The id of the last migration this code knows: a store whose schema_migrations lacks it is not ready (health). */
export const LATEST_MIGRATION = Math.max(...MIGRATIONS.map((m) => m.id));

export async function migrate(db: Database): Promise<void> {
  const seq = db.dialect === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
  await db.transaction(async (tx) => {
    // Several nodes may start at once on one PostgreSQL: one migrates, the others wait. The lock
    // comes first, before even the bookkeeping table is created.
    if (db.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(827364)');
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const done = new Set((await tx.all<{ id: number }>('SELECT id FROM schema_migrations')).map((r) => Number(r.id)));
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      for (const statement of splitStatements(m.sql.replaceAll('{{SEQ}}', seq))) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [m.id, Date.now()]);
    }
  });
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}
