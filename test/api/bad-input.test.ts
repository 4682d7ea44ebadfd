import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertTwilioError } from '../support/twilio-error.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';

/**
 * Bad input against the TaskRouter configuration API, one row per mistake a caller can make.
 *
 * Every row must be answered as Twilio answers it: the expected 4xx (never a 500), a body that is
 * exactly Twilio's error shape `{code, message, more_info, status}`, and no trace in the store:
 * every table is snapshotted before and after the request and must be identical, so a half-done
 * write that is not rolled back fails the row even when the status is right.
 *
 * Rows marked "Fails today" are server bugs, kept failing on purpose until the server is fixed.
 *
 * Paths, bodies and header values name the resources made in `before` by placeholders
 * (`{ws}`, `{queue}`, ...; see `Ids`), substituted when the row runs.
 */

/** The resources the setup makes, by placeholder name. */
interface Ids {
  /** The workspace most rows hit. */
  ws: string;
  /** Its Offline activity: the workspace's default and timeout activity. */
  offline: string;
  /** Its Available activity: `alice` is in it. */
  available: string;
  /** A queue of `ws`, routed to by `workflow`. */
  queue: string;
  workflow: string;
  /** Two workers of `ws`: alice (Available) and bob (Offline). */
  alice: string;
  bob: string;
  /** One of alice's worker channels. */
  aliceChannel: string;
  /** The `default` task channel of `ws`. */
  defaultChannel: string;
  /** Another workspace of the same account, with its own queue. */
  otherWs: string;
  otherQueue: string;
  otherActivity: string;
  /** A workspace of another account. */
  foreignWs: string;
}

interface Row {
  /** Why this input is bad; the test's name. */
  why: string;
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** Relative to /taskrouter/v1. */
  path: string;
  /** The raw request body; sent as application/x-www-form-urlencoded unless headers say otherwise. */
  body?: string;
  headers?: Record<string, string>;
  /** Whose credentials: ours (default), none, our account SID with a wrong token, another account's, or a username with a NUL in it. */
  auth?: 'none' | 'wrong' | 'other' | 'nul';
  status: number;
  code: number;
  /** What the message must say, where that matters (e.g. where in an expression the error is). */
  message?: RegExp;
}

const W = '/Workspaces/{ws}';
const NO = (prefix: string) => prefix + '0'.repeat(32); // a well-formed SID that names nothing
const JSON_CT = { 'content-type': 'application/json' };

/** Form-encodes fields, leaving `{placeholder}`s readable (they are substituted before sending). */
function form(fields: Record<string, string>): string {
  const enc = (s: string) =>
    s
      .split(/(\{[A-Za-z]+\})/)
      .map((part, i) => (i % 2 === 1 ? part : encodeURIComponent(part)))
      .join('');
  return Object.entries(fields)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
}

/** A workflow configuration routing everything to `queue`, with optional extras on the filter. */
const routeTo = (queue: string, filter: Record<string, unknown> = {}) =>
  JSON.stringify({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue }], ...filter }], default_filter: { queue } } });

const rows: Row[] = [
  // --- Malformed requests: the parser must answer 400, never pass garbage through or crash.
  // Fails today: URLSearchParams keeps a bad escape as literal text, so these create '%ZZ' / 'carol%'.
  { why: 'garbage percent-encoding', method: 'POST', path: '/Workspaces', body: 'FriendlyName=%ZZ', status: 400, code: 20001 },
  { why: 'truncated percent-encoding', method: 'POST', path: `${W}/Workers`, body: 'FriendlyName=carol%', status: 400, code: 20001 },
  { why: 'garbage percent-encoding in the query string', method: 'GET', path: `${W}/Workers?FriendlyName=%ZZ`, status: 400, code: 20001 },
  // Fails today: Fastify answers these itself, with its own body ({error, code: 'FST_ERR_...', statusCode}).
  { why: 'garbage percent-encoding in the path', method: 'GET', path: '/Workspaces/%ZZ', status: 400, code: 20001 },
  { why: 'a path SID of 200 characters names nothing', method: 'GET', path: `/Workspaces/${'x'.repeat(200)}`, status: 404, code: 20404 },
  // Fails today on PostgreSQL (500: text cannot hold NUL); SQLite stores it.
  { why: 'a NUL character in a friendly name', method: 'POST', path: `${W}/Workers`, body: 'FriendlyName=caro%00l', status: 400, code: 20001 },
  { why: 'a JSON body where a form is expected: no FriendlyName in the form', method: 'POST', path: '/Workspaces', body: '{"FriendlyName":"Json"}', headers: JSON_CT, status: 400, code: 20001 },
  { why: 'a JSON body for a worker: no FriendlyName in the form', method: 'POST', path: `${W}/Workers`, body: '{"FriendlyName":"carol"}', headers: JSON_CT, status: 400, code: 20001 },
  { why: 'invalid JSON with content-type application/json', method: 'POST', path: '/Workspaces', body: '{"FriendlyName":', headers: JSON_CT, status: 400, code: 20001 },
  { why: 'a body over the 4 MB limit', method: 'POST', path: '/Workspaces', body: 'FriendlyName=' + 'x'.repeat(4 * 1024 * 1024), status: 413, code: 20001 },

  // --- Missing or empty required parameters.
  { why: 'workspace without FriendlyName', method: 'POST', path: '/Workspaces', body: '', status: 400, code: 20001, message: /FriendlyName/ },
  { why: 'workspace with an empty FriendlyName', method: 'POST', path: '/Workspaces', body: 'FriendlyName=', status: 400, code: 20001 },
  // Fails today: create refuses an empty FriendlyName, but update sets it.
  { why: 'worker rename to an empty FriendlyName', method: 'POST', path: `${W}/Workers/{bob}`, body: 'FriendlyName=', status: 400, code: 20001 },
  { why: 'workspace FriendlyName over 64 characters', method: 'POST', path: '/Workspaces', body: 'FriendlyName=' + 'x'.repeat(65), status: 400, code: 20001 },
  { why: 'activity without FriendlyName', method: 'POST', path: `${W}/Activities`, body: 'Available=true', status: 400, code: 20001, message: /FriendlyName/ },
  { why: 'queue without FriendlyName', method: 'POST', path: `${W}/TaskQueues`, body: 'TargetWorkers=1%3D%3D1', status: 400, code: 20001, message: /FriendlyName/ },
  { why: 'workflow without FriendlyName', method: 'POST', path: `${W}/Workflows`, body: form({ Configuration: routeTo('{queue}') }), status: 400, code: 20001, message: /FriendlyName/ },
  { why: 'workflow without Configuration', method: 'POST', path: `${W}/Workflows`, body: 'FriendlyName=NoConfig', status: 400, code: 20001, message: /Configuration/ },
  { why: 'worker without FriendlyName', method: 'POST', path: `${W}/Workers`, body: 'Attributes=%7B%7D', status: 400, code: 20001, message: /FriendlyName/ },
  { why: 'task channel without FriendlyName', method: 'POST', path: `${W}/TaskChannels`, body: 'UniqueName=email', status: 400, code: 20001, message: /FriendlyName/ },
  { why: 'task channel without UniqueName', method: 'POST', path: `${W}/TaskChannels`, body: 'FriendlyName=Email', status: 400, code: 20001, message: /UniqueName/ },

  // --- Attributes: a JSON object of at most 4096 characters.
  { why: 'worker create with Attributes that are not JSON', method: 'POST', path: `${W}/Workers`, body: form({ FriendlyName: 'carol', Attributes: '{bad' }), status: 400, code: 20001 },
  { why: 'worker update with Attributes that are not JSON', method: 'POST', path: `${W}/Workers/{alice}`, body: form({ Attributes: '{"skills":' }), status: 400, code: 20001 },
  { why: 'worker Attributes that are a JSON array', method: 'POST', path: `${W}/Workers`, body: form({ FriendlyName: 'carol', Attributes: '[1,2]' }), status: 400, code: 20001 },
  { why: 'worker Attributes that are a JSON string', method: 'POST', path: `${W}/Workers/{alice}`, body: form({ Attributes: '"sms"' }), status: 400, code: 20001 },
  { why: 'worker Attributes that are JSON null', method: 'POST', path: `${W}/Workers/{alice}`, body: form({ Attributes: 'null' }), status: 400, code: 20001 },
  { why: 'worker Attributes over 4096 characters', method: 'POST', path: `${W}/Workers`, body: form({ FriendlyName: 'carol', Attributes: JSON.stringify({ pad: 'x'.repeat(4090) }) }), status: 400, code: 20001, message: /4096/ },

  // --- Workflow configuration.
  { why: 'Configuration that is not JSON', method: 'POST', path: `${W}/Workflows`, body: form({ FriendlyName: 'Bad', Configuration: '{task_routing' }), status: 400, code: 20001 },
  { why: 'Configuration without task_routing', method: 'POST', path: `${W}/Workflows`, body: form({ FriendlyName: 'Bad', Configuration: '{"filters":[]}' }), status: 400, code: 20001, message: /task_routing/ },
  { why: 'Configuration routing to a queue that does not exist (create)', method: 'POST', path: `${W}/Workflows`, body: form({ FriendlyName: 'Bad', Configuration: routeTo(NO('WQ')) }), status: 400, code: 20001 },
  // The workflow row is updated before the queue check: only a rollback keeps it unchanged.
  { why: 'Configuration routing to a queue that does not exist (update)', method: 'POST', path: `${W}/Workflows/{workflow}`, body: form({ FriendlyName: 'Renamed', Configuration: routeTo(NO('WQ')) }), status: 400, code: 20001 },
  { why: "Configuration routing to another workspace's queue", method: 'POST', path: `${W}/Workflows/{workflow}`, body: form({ Configuration: routeTo('{otherQueue}') }), status: 400, code: 20001 },
  { why: 'Configuration with a zero target timeout', method: 'POST', path: `${W}/Workflows`, body: form({ FriendlyName: 'Bad', Configuration: JSON.stringify({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue: '{queue}', timeout: 0 }] }] } }) }), status: 400, code: 20001, message: /timeout/ },
  { why: 'Configuration with a negative target timeout', method: 'POST', path: `${W}/Workflows/{workflow}`, body: form({ Configuration: JSON.stringify({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue: '{queue}', timeout: '-5' }] }] } }) }), status: 400, code: 20001, message: /timeout/ },
  { why: 'Configuration with a bad filter expression', method: 'POST', path: `${W}/Workflows`, body: form({ FriendlyName: 'Bad', Configuration: routeTo('{queue}', { expression: 'skills HAS' }) }), status: 400, code: 20001, message: /expression/ },
  { why: 'Configuration with neither filters nor default_filter', method: 'POST', path: `${W}/Workflows`, body: form({ FriendlyName: 'Bad', Configuration: '{"task_routing":{"filters":[]}}' }), status: 400, code: 20001 },
  // Valid in every other respect, so only the size can be what is refused.
  { why: 'Configuration over 1,038,576 bytes', method: 'POST', path: `${W}/Workflows`, body: form({ FriendlyName: 'Huge', Configuration: routeTo('{queue}', { filter_friendly_name: 'x'.repeat(1_040_000) }) }), status: 400, code: 20001, message: /1038576|1,038,576|limit/ },

  // --- SIDs of the wrong kind, in parameters (400) and in paths (404).
  { why: 'worker update with ActivitySid of a queue', method: 'POST', path: `${W}/Workers/{alice}`, body: 'ActivitySid={queue}', status: 400, code: 20001 },
  { why: 'worker create with ActivitySid of a queue', method: 'POST', path: `${W}/Workers`, body: 'FriendlyName=carol&ActivitySid={queue}', status: 400, code: 20001 },
  { why: 'worker create with an ActivitySid of no activity', method: 'POST', path: `${W}/Workers`, body: `FriendlyName=carol&ActivitySid=${NO('WA')}`, status: 400, code: 20001 },
  { why: 'DefaultActivitySid that is not a WA SID', method: 'POST', path: W, body: 'DefaultActivitySid={queue}', status: 400, code: 20001 },
  { why: 'TimeoutActivitySid of a worker', method: 'POST', path: W, body: 'TimeoutActivitySid={alice}', status: 400, code: 20001 },
  { why: 'DefaultActivitySid of no activity', method: 'POST', path: W, body: `FriendlyName=Renamed&DefaultActivitySid=${NO('WA')}`, status: 400, code: 20001 },
  { why: 'queue ReservationActivitySid of a worker', method: 'POST', path: `${W}/TaskQueues/{queue}`, body: 'ReservationActivitySid={alice}', status: 400, code: 20001 },
  { why: "queue AssignmentActivitySid of another workspace's activity", method: 'POST', path: `${W}/TaskQueues`, body: 'FriendlyName=Q2&AssignmentActivitySid={otherActivity}', status: 400, code: 20001 },
  { why: 'a worker SID as the workspace in the path', method: 'GET', path: '/Workspaces/{alice}', status: 404, code: 20404 },
  { why: 'update of a worker SID as the workspace', method: 'POST', path: '/Workspaces/{alice}', body: 'FriendlyName=x', status: 404, code: 20404 },
  { why: 'a queue SID as an activity in the path', method: 'GET', path: `${W}/Activities/{queue}`, status: 404, code: 20404 },
  { why: 'delete of a workflow SID as a queue', method: 'DELETE', path: `${W}/TaskQueues/{workflow}`, status: 404, code: 20404 },

  // --- Expressions: the message says where the mistake is.
  { why: 'queue create with a bad TargetWorkers', method: 'POST', path: `${W}/TaskQueues`, body: form({ FriendlyName: 'Q2', TargetWorkers: 'skills HAS' }), status: 400, code: 20001, message: /TargetWorkers.*position \d+/ },
  { why: 'queue update with a bad TargetWorkers', method: 'POST', path: `${W}/TaskQueues/{queue}`, body: form({ TargetWorkers: 'level > 3 AND' }), status: 400, code: 20001, message: /position \d+/ },
  { why: 'workers list with a bad TargetWorkersExpression', method: 'GET', path: `${W}/Workers?TargetWorkersExpression=${encodeURIComponent('skills HAS "sms" ))')}`, status: 400, code: 20001, message: /TargetWorkersExpression.*position \d+/ },
  { why: 'queue list with EvaluateWorkerAttributes that are not JSON', method: 'GET', path: `${W}/TaskQueues?EvaluateWorkerAttributes=%7Bbad`, status: 400, code: 20001 },

  // --- Enums, booleans, integers, URLs.
  { why: 'TaskOrder=RANDOM', method: 'POST', path: `${W}/TaskQueues/{queue}`, body: 'TaskOrder=RANDOM', status: 400, code: 20001 },
  { why: 'PrioritizeQueueOrder=X', method: 'POST', path: W, body: 'PrioritizeQueueOrder=X', status: 400, code: 20001 },
  { why: 'Template=X', method: 'POST', path: '/Workspaces', body: 'FriendlyName=Templated&Template=X', status: 400, code: 20001 },
  { why: 'MultiTaskEnabled=maybe', method: 'POST', path: W, body: 'MultiTaskEnabled=maybe', status: 400, code: 20001 },
  { why: 'activity create with Available=maybe', method: 'POST', path: `${W}/Activities`, body: 'FriendlyName=Lunch&Available=maybe', status: 400, code: 20001 },
  // Available=yes is a documented truth value on the list (list-filters.test.ts); a malformed SID is not.
  { why: 'workers list with ActivitySid=WAxxx', method: 'GET', path: `${W}/Workers?ActivitySid=WAxxx`, status: 400, code: 20001 },
  { why: 'MaxReservedWorkers=0', method: 'POST', path: `${W}/TaskQueues/{queue}`, body: 'MaxReservedWorkers=0', status: 400, code: 20001 },
  { why: 'MaxReservedWorkers=51', method: 'POST', path: `${W}/TaskQueues`, body: 'FriendlyName=Q2&MaxReservedWorkers=51', status: 400, code: 20001 },
  { why: 'MaxReservedWorkers=abc', method: 'POST', path: `${W}/TaskQueues/{queue}`, body: 'MaxReservedWorkers=abc', status: 400, code: 20001 },
  { why: 'TaskReservationTimeout=0', method: 'POST', path: `${W}/Workflows/{workflow}`, body: 'TaskReservationTimeout=0', status: 400, code: 20001 },
  { why: 'TaskReservationTimeout=86401', method: 'POST', path: `${W}/Workflows`, body: form({ FriendlyName: 'Slow', Configuration: routeTo('{queue}'), TaskReservationTimeout: '86401' }), status: 400, code: 20001 },
  { why: 'worker channel Capacity=-1', method: 'POST', path: `${W}/Workers/{alice}/Channels/{aliceChannel}`, body: 'Capacity=-1', status: 400, code: 20001 },
  { why: 'PageSize=0', method: 'GET', path: '/Workspaces?PageSize=0', status: 400, code: 20001 },
  { why: 'PageSize=1001', method: 'GET', path: `${W}/Workers?PageSize=1001`, status: 400, code: 20001 },
  { why: 'PageSize=abc', method: 'GET', path: `${W}/TaskQueues?PageSize=abc`, status: 400, code: 20001 },
  { why: 'Page=-1', method: 'GET', path: `${W}/Activities?Page=-1`, status: 400, code: 20001 },
  // Fail today with a 500: the offset reaches the SQL text as 5e+21.
  { why: 'a Page too large to be an offset (workspaces)', method: 'GET', path: '/Workspaces?Page=99999999999999999999', status: 400, code: 20001 },
  { why: 'a Page too large to be an offset (workers)', method: 'GET', path: `${W}/Workers?Page=99999999999999999999`, status: 400, code: 20001 },
  { why: 'a PageToken the server never issued', method: 'GET', path: `${W}/Activities?PageToken=PT99999999999999999999999`, status: 400, code: 20001 },
  { why: 'EventCallbackUrl=not-a-url', method: 'POST', path: W, body: 'EventCallbackUrl=not-a-url', status: 400, code: 20001 },
  { why: 'EventCallbackUrl=ftp://x', method: 'POST', path: W, body: form({ EventCallbackUrl: 'ftp://x' }), status: 400, code: 20001 },
  { why: 'AssignmentCallbackUrl=not-a-url', method: 'POST', path: `${W}/Workflows/{workflow}`, body: 'AssignmentCallbackUrl=not-a-url', status: 400, code: 20001 },
  { why: 'an EventsFilter naming an unknown event type', method: 'POST', path: W, body: 'EventsFilter=task.created,task.exploded', status: 400, code: 20001, message: /task\.exploded/ },
  { why: 'workspace create with an unknown event type', method: 'POST', path: '/Workspaces', body: 'FriendlyName=Events&EventsFilter=worker.sneezed', status: 400, code: 20001 },

  // --- Uniqueness and naming rules.
  { why: 'worker create with a friendly name differing only in case', method: 'POST', path: `${W}/Workers`, body: 'FriendlyName=ALICE', status: 400, code: 20001 },
  { why: 'worker rename to a friendly name differing only in case', method: 'POST', path: `${W}/Workers/{bob}`, body: 'FriendlyName=Alice', status: 400, code: 20001 },
  { why: 'activity create with an existing name in another case', method: 'POST', path: `${W}/Activities`, body: 'FriendlyName=available', status: 400, code: 20001 },
  { why: 'queue create with an existing name', method: 'POST', path: `${W}/TaskQueues`, body: 'FriendlyName=Everyone', status: 400, code: 20001 },
  { why: 'workflow create with an existing name', method: 'POST', path: `${W}/Workflows`, body: form({ FriendlyName: 'Route', Configuration: routeTo('{queue}') }), status: 400, code: 20001 },
  { why: 'task channel with an existing UniqueName', method: 'POST', path: `${W}/TaskChannels`, body: 'FriendlyName=Voice+2&UniqueName=voice', status: 400, code: 20001 },
  { why: 'task channel UniqueName starting with a digit', method: 'POST', path: `${W}/TaskChannels`, body: 'FriendlyName=First&UniqueName=1st', status: 400, code: 20001 },
  { why: 'task channel UniqueName with a hyphen', method: 'POST', path: `${W}/TaskChannels`, body: 'FriendlyName=Web&UniqueName=web-chat', status: 400, code: 20001 },

  // --- Changes the model forbids.
  { why: "an activity's Available cannot change", method: 'POST', path: `${W}/Activities/{available}`, body: 'Available=false', status: 400, code: 20001 },
  { why: "deleting the workspace's default activity", method: 'DELETE', path: `${W}/Activities/{offline}`, status: 400, code: 20001 },
  { why: 'deleting an activity a worker is in', method: 'DELETE', path: `${W}/Activities/{available}`, status: 400, code: 20001 },
  { why: 'deleting a queue a workflow routes to', method: 'DELETE', path: `${W}/TaskQueues/{queue}`, status: 400, code: 20001 },
  { why: 'deleting the default task channel by SID', method: 'DELETE', path: `${W}/TaskChannels/{defaultChannel}`, status: 400, code: 20001 },
  { why: 'deleting the default task channel by unique name', method: 'DELETE', path: `${W}/TaskChannels/default`, status: 400, code: 20001 },

  // --- Unknown resources.
  { why: 'an unknown path', method: 'GET', path: '/Nope', status: 404, code: 20404 },
  { why: 'an unknown sub-resource', method: 'GET', path: `${W}/Nope`, status: 404, code: 20404 },
  { why: 'an unknown workspace', method: 'GET', path: `/Workspaces/${NO('WS')}`, status: 404, code: 20404 },
  { why: 'an unknown workspace, for a create inside it', method: 'POST', path: `/Workspaces/${NO('WS')}/Workers`, body: 'FriendlyName=ghost', status: 404, code: 20404 },
  { why: 'an unknown activity', method: 'GET', path: `${W}/Activities/${NO('WA')}`, status: 404, code: 20404 },
  { why: 'an unknown task channel', method: 'GET', path: `${W}/TaskChannels/${NO('TC')}`, status: 404, code: 20404 },
  { why: 'an unknown task channel unique name', method: 'POST', path: `${W}/TaskChannels/fax`, body: 'FriendlyName=Fax', status: 404, code: 20404 },
  { why: 'an unknown queue', method: 'POST', path: `${W}/TaskQueues/${NO('WQ')}`, body: 'FriendlyName=x', status: 404, code: 20404 },
  { why: 'an unknown workflow', method: 'DELETE', path: `${W}/Workflows/${NO('WW')}`, status: 404, code: 20404 },
  { why: 'an unknown worker', method: 'GET', path: `${W}/Workers/${NO('WK')}`, status: 404, code: 20404 },
  { why: 'an unknown worker, for its channels', method: 'GET', path: `${W}/Workers/${NO('WK')}/Channels`, status: 404, code: 20404 },
  { why: 'an unknown worker channel', method: 'POST', path: `${W}/Workers/{alice}/Channels/${NO('WC')}`, body: 'Capacity=2', status: 404, code: 20404 },
  { why: "another worker's channel", method: 'GET', path: `${W}/Workers/{bob}/Channels/{aliceChannel}`, status: 404, code: 20404 },
  { why: 'a known queue under the wrong workspace', method: 'GET', path: '/Workspaces/{otherWs}/TaskQueues/{queue}', status: 404, code: 20404 },

  // --- Methods the resource does not have.
  { why: 'PUT on a collection', method: 'PUT', path: '/Workspaces', body: 'FriendlyName=x', status: 405, code: 20004 },
  { why: 'PATCH on an instance', method: 'PATCH', path: W, body: 'FriendlyName=x', status: 405, code: 20004 },
  { why: 'PUT on a worker', method: 'PUT', path: `${W}/Workers/{alice}`, body: 'FriendlyName=x', status: 405, code: 20004 },
  { why: 'PATCH on the workers collection', method: 'PATCH', path: `${W}/Workers`, status: 405, code: 20004 },
  { why: 'DELETE on a collection', method: 'DELETE', path: `${W}/TaskQueues`, status: 405, code: 20004 },
  { why: 'DELETE on a worker channel', method: 'DELETE', path: `${W}/Workers/{alice}/Channels/{aliceChannel}`, status: 405, code: 20004 },
  { why: 'POST on the worker channels collection', method: 'POST', path: `${W}/Workers/{alice}/Channels`, body: 'Capacity=2', status: 405, code: 20004 },

  // --- If-Match: the worker's ETag is its version (0 after the setup).
  { why: 'worker update with a stale If-Match', method: 'POST', path: `${W}/Workers/{alice}`, body: 'FriendlyName=alicia', headers: { 'if-match': '"7"' }, status: 412, code: 20412 },
  { why: 'worker delete with a stale If-Match', method: 'DELETE', path: `${W}/Workers/{alice}`, headers: { 'if-match': '7' }, status: 412, code: 20412 },

  // --- Credentials.
  { why: 'no credentials on a list', method: 'GET', path: '/Workspaces', auth: 'none', status: 401, code: 20003 },
  { why: 'no credentials on a create', method: 'POST', path: '/Workspaces', body: 'FriendlyName=Anonymous', auth: 'none', status: 401, code: 20003 },
  { why: 'a wrong token on a delete', method: 'DELETE', path: W, auth: 'wrong', status: 401, code: 20003 },
  { why: 'a wrong token on an update', method: 'POST', path: `${W}/Workers/{alice}`, body: 'FriendlyName=hacked', auth: 'wrong', status: 401, code: 20003 },
  { why: 'a wrong token with an otherwise bad body too: authentication comes first', method: 'POST', path: `${W}/Workers`, body: 'Attributes=%7Bbad', auth: 'wrong', status: 401, code: 20003 },
  // Found by the fuzz test: PostgreSQL answered 500 (text cannot hold NUL) when looking the username up.
  { why: 'a NUL in the username of Basic credentials', method: 'GET', path: '/Workspaces', auth: 'nul', status: 401, code: 20003 },

  // --- Another account's workspace does not exist for us, and ours not for it.
  { why: "fetching another account's workspace", method: 'GET', path: '/Workspaces/{foreignWs}', status: 404, code: 20404 },
  { why: "updating another account's workspace", method: 'POST', path: '/Workspaces/{foreignWs}', body: 'FriendlyName=Mine+now', status: 404, code: 20404 },
  { why: "deleting another account's workspace", method: 'DELETE', path: '/Workspaces/{foreignWs}', status: 404, code: 20404 },
  { why: "creating a worker in another account's workspace", method: 'POST', path: '/Workspaces/{foreignWs}/Workers', body: 'FriendlyName=mole', status: 404, code: 20404 },
  { why: 'the other account deleting our worker', method: 'DELETE', path: `${W}/Workers/{alice}`, auth: 'other', status: 404, code: 20404 },
];

/** The tables the configuration API writes. The snapshot covers every table in the store, these included. */
const CONFIGURATION_TABLES = [
  'workspaces',
  'activities',
  'task_channels',
  'task_queues',
  'workflows',
  'workflow_queues',
  'workers',
  'worker_channels',
];

/** Every table of the store (derived state such as workflow revisions or events must not move either). */
async function tableNames(t: TestServer): Promise<string[]> {
  const db = t.server.db;
  const rows =
    db.dialect === 'sqlite'
      ? await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      : await db.all<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()');
  return rows.map((r) => r.name).sort();
}

/** Full rows of every table, each table's rows in a stable order (not every table has a `seq`). */
async function snapshot(t: TestServer, tables: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of tables) out[table] = (await t.server.db.all(`SELECT * FROM ${table}`)).map((r) => JSON.stringify(r)).sort();
  return out;
}

function substitute(text: string, ids: Ids): string {
  return text.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => {
    if (!(name in ids)) throw new Error(`Unknown placeholder {${name}}`);
    return ids[name as keyof Ids];
  });
}

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

for (const backend of backends()) {
  describe(`bad input is refused with a Twilio error and changes nothing (${backend.name})`, () => {
    let t: TestServer;
    let ids: Ids;
    let otherAuth: string;
    let tables: string[];

    before(async () => {
      t = await startServer(backend);
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: 'Bad input' });
      const w = tr.workspaces(ws.sid);
      const activities = await w.activities.list();
      const sidOf = (name: string) => activities.find((a) => a.friendlyName === name)!.sid;
      const queue = await w.taskQueues.create({ friendlyName: 'Everyone', targetWorkers: '1==1' });
      const workflow = await w.workflows.create({
        friendlyName: 'Route',
        configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }),
      });
      const alice = await w.workers.create({ friendlyName: 'alice', activitySid: sidOf('Available'), attributes: '{"skills":["sms"]}' });
      const bob = await w.workers.create({ friendlyName: 'bob' });
      const [aliceChannel] = await w.workers(alice.sid).workerChannels.list();
      const defaultChannel = (await w.taskChannels.list()).find((c) => c.uniqueName === 'default')!;
      const otherWs = await tr.workspaces.create({ friendlyName: 'Other' });
      const otherQueue = await tr.workspaces(otherWs.sid).taskQueues.create({ friendlyName: 'Elsewhere' });
      const [otherActivity] = await tr.workspaces(otherWs.sid).activities.list();
      const other = await t.newAccount();
      const foreignWs = await other.client.taskrouter.v1.workspaces.create({ friendlyName: 'Foreign' });
      otherAuth = basic(other.account.accountSid, other.account.authToken);
      ids = {
        ws: ws.sid,
        offline: sidOf('Offline'),
        available: sidOf('Available'),
        queue: queue.sid,
        workflow: workflow.sid,
        alice: alice.sid,
        bob: bob.sid,
        aliceChannel: aliceChannel.sid,
        defaultChannel: defaultChannel.sid,
        otherWs: otherWs.sid,
        otherQueue: otherQueue.sid,
        otherActivity: otherActivity.sid,
        foreignWs: foreignWs.sid,
      };
      assert.equal(ws.defaultActivitySid, ids.offline, 'the setup relies on Offline being the default activity');
      tables = await tableNames(t);
      for (const table of CONFIGURATION_TABLES) assert.ok(tables.includes(table), `table ${table} exists`);
    });
    after(() => t.close());

    test(`the table has at least 45 rows (${rows.length})`, () => {
      assert.ok(rows.length >= 45);
    });

    for (const row of rows) {
      test(`${row.method} ${row.path.split('?')[0].replace(/(.)\1{9,}/g, '$1…')}: ${row.why} → ${row.status}/${row.code}`, async () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(row.headers ?? {})) headers[k] = substitute(v, ids);
        const auth =
          row.auth === 'none' ? null
          : row.auth === 'wrong' ? basic(t.account.accountSid, 'not-the-token')
          : row.auth === 'other' ? otherAuth
          : row.auth === 'nul' ? basic(`${t.account.accountSid}\u0000`, 'x')
          : undefined; // the harness's default: our account
        const before = await snapshot(t, tables);
        const res = await t.http(row.method, '/taskrouter/v1' + substitute(row.path, ids), {
          body: row.body === undefined ? undefined : substitute(row.body, ids),
          headers,
          auth,
        });
        assertTwilioError(res, row.status, row.code, row.message);

        assert.deepEqual(await snapshot(t, tables), before, 'the stored state is unchanged');
      });
    }
  });
}
