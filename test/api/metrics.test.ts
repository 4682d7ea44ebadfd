/**
 * GET /metrics, parsed as Prometheus text: the named metrics move as tasks are routed, reserved,
 * accepted and timed out, as callbacks fail, as requests are answered and sockets open.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { advance, makeWorkspace } from './routing-helpers.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format (0.0.4): `# TYPE name kind` lines and `name{label="value",...} number` samples. */
function parse(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    // Prometheus reads NaN in any case (prom-client writes Nan while the event-loop monitor has no sample yet).
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(m[3]), `a number: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return { types, samples };
}

async function scrape(t: TestServer, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.baseUrl}/metrics`, { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const { types, samples } = parse(await res.text());
  /** The value of the one sample with this name and (at least) these labels; 0 when there is none. */
  const value = (name: string, labels: Record<string, string> = {}) => {
    const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    assert.ok(found.length <= 1, `one sample of ${name} ${JSON.stringify(labels)}, found ${found.length}`);
    return found[0]?.value ?? 0;
  };
  return { types, samples, value };
}

for (const backend of backends())
  describe(`/metrics on ${backend.name}`, () => {
    let t: TestServer;
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver(() => ({ status: 500 }));
      t = await startServer(backend);
    });
    after(async () => {
      await t.close();
      await receiver.close();
    });

    test('the named metrics, of the right types, moving as tasks are routed', async () => {
      const f = await makeWorkspace(t);
      await f.w.update({ eventCallbackUrl: `${receiver.url}/events`, eventsFilter: 'task.created' });
      const queue = await f.queue('support');
      const workflow = await f.workflow({ filters: [], default_filter: { queue: queue.sid } }, { taskReservationTimeout: 30 });
      await f.worker('alice');
      const before = await scrape(t);
      for (const [name, type] of Object.entries({
        switchyard_http_requests_total: 'counter',
        switchyard_http_request_duration_seconds: 'histogram',
        switchyard_tasks: 'gauge',
        switchyard_reservations_total: 'counter',
        switchyard_assignment_latency_seconds: 'histogram',
        switchyard_outbox_backlog: 'gauge',
        switchyard_delivery_failures_total: 'counter',
        switchyard_websocket_connections: 'gauge',
        switchyard_store_up: 'gauge',
        nodejs_eventloop_lag_seconds: 'gauge',
        process_cpu_user_seconds_total: 'counter',
      }))
        assert.equal(before.types.get(name), type, name);
      assert.equal(before.value('switchyard_store_up'), 1);
      if (backend.name === 'postgres') assert.ok(before.value('switchyard_db_pool_clients', { state: 'total' }) >= 1, 'the pool has clients');
      else assert.equal(before.types.get('switchyard_db_pool_clients'), 'gauge');

      // Reserved at once: alice is available.
      const first = await f.task({ workflowSid: workflow.sid, attributes: '{}' });
      assert.equal(first.assignmentStatus, 'reserved');
      // Waits: alice is busy; bob becomes available 5 s later.
      const second = await f.task({ workflowSid: workflow.sid, attributes: '{}' });
      assert.equal(second.assignmentStatus, 'pending');
      const mid = await scrape(t);
      assert.equal(mid.value('switchyard_tasks', { task_queue_sid: queue.sid, assignment_status: 'reserved' }), 1);
      assert.equal(mid.value('switchyard_tasks', { task_queue_sid: queue.sid, assignment_status: 'pending' }), 1);
      assert.equal(mid.value('switchyard_reservations_total', { status: 'created' }) - before.value('switchyard_reservations_total', { status: 'created' }), 1);
      const tasksRoute = { method: 'POST', route: '/taskrouter/v1/Workspaces/:WorkspaceSid/Tasks', status_code: '201' };
      assert.equal(mid.value('switchyard_http_requests_total', tasksRoute) - before.value('switchyard_http_requests_total', tasksRoute), 2, 'counted by route pattern, not by URL');
      assert.equal(mid.value('switchyard_http_request_duration_seconds_count', tasksRoute), mid.value('switchyard_http_requests_total', tasksRoute));
      assert.equal(mid.value('switchyard_outbox_backlog', { kind: 'event_callback' }), 2, 'two task.created callbacks wait (nothing sends under manual timers)');

      t.clock.advance(5000);
      await f.worker('bob');
      const [res] = await f.reservations(first.sid);
      await f.w.tasks(first.sid).reservations(res.sid).update({ reservationStatus: 'accepted' });
      await advance(t, 31); // bob's reservation of the second task times out
      assert.deepEqual((await f.reservations(second.sid)).map((r) => r.reservationStatus), ['timeout']);
      await t.server.deliveries.flush(); // the receiver answers 500 to the first; the second waits behind it (in order)

      const later = await scrape(t);
      const delta = (name: string, labels: Record<string, string> = {}) => later.value(name, labels) - before.value(name, labels);
      assert.equal(delta('switchyard_reservations_total', { status: 'created' }), 2);
      assert.equal(delta('switchyard_reservations_total', { status: 'accepted' }), 1);
      assert.equal(delta('switchyard_reservations_total', { status: 'timeout' }), 1);
      assert.equal(delta('switchyard_assignment_latency_seconds_count'), 2);
      // The first was reserved as it was created, the second 5 s after.
      assert.equal(delta('switchyard_assignment_latency_seconds_bucket', { le: '0.005' }), 1);
      assert.equal(delta('switchyard_assignment_latency_seconds_bucket', { le: '2.5' }), 1);
      assert.equal(delta('switchyard_assignment_latency_seconds_bucket', { le: '5' }), 2);
      assert.equal(delta('switchyard_assignment_latency_seconds_sum'), 5);
      assert.equal(later.value('switchyard_tasks', { task_queue_sid: queue.sid, assignment_status: 'assigned' }), 1);
      assert.equal(later.value('switchyard_tasks', { task_queue_sid: queue.sid, assignment_status: 'reserved' }), 0, 'a status no task has any more is gone');
      assert.equal(receiver.requests.length, 1);
      assert.equal(delta('switchyard_delivery_failures_total', { kind: 'event_callback' }), 1);
      assert.equal(later.value('switchyard_outbox_backlog', { kind: 'event_callback' }), 2, 'both wait: the first to be retried, the second behind it');
    });

    test('open WebSockets are counted by endpoint', async () => {
      const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}/tsock/v3/wsconnect`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      try {
        assert.equal((await scrape(t)).value('switchyard_websocket_connections', { endpoint: 'twilsock' }), 1);
        assert.equal((await scrape(t)).value('switchyard_websocket_connections', { endpoint: 'event_bridge' }), 0);
      } finally {
        ws.close();
      }
    });
  });

describe('/metrics with SWITCHYARD_METRICS_TOKEN', () => {
  let t: TestServer;
  before(async () => (t = await startServer(backends()[0], { metricsToken: 'scrape-token-0123456789' })));
  after(() => t.close());

  test('asks for the bearer token; account credentials are not it', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${Buffer.from(`${t.account.accountSid}:${t.account.authToken}`).toString('base64')}`]) {
      const res = await fetch(`${t.baseUrl}/metrics`, { headers: authorization ? { authorization } : {} });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      assert.equal((await res.json()).code, 20003);
    }
    assert.ok((await scrape(t, { authorization: 'Bearer scrape-token-0123456789' })).value('switchyard_store_up') === 1);
    assert.equal((await fetch(`${t.baseUrl}/health/ready`)).status, 200, 'the probes stay open');
  });
});
