import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';

const [backend] = backends();

describe('moving the clock of a running server', () => {
  let on: TestServer;
  let off: TestServer;
  before(async () => {
    on = await startServer(backend, { clockControl: true });
    off = await startServer(backend);
  });
  after(async () => {
    await on.close();
    await off.close();
  });

  test('POST /switchyard/v1/Clock advances time and fires what fell due', async () => {
    const tr = on.client.taskrouter.v1;
    const ws = await tr.workspaces.create({ friendlyName: 'clock', template: 'FIFO' });
    const task = await tr.workspaces(ws.sid).tasks.create({ timeout: 600 });
    const before = (await on.http('GET', '/switchyard/v1/Clock')).body.now_ms;
    const res = await on.http('POST', '/switchyard/v1/Clock', { body: 'AdvanceSeconds=600' });
    assert.equal(res.status, 200);
    assert.equal(res.body.now_ms - before, 600_000);
    assert.ok(res.body.timers_fired >= 1);
    const after = await tr.workspaces(ws.sid).tasks(task.sid).fetch();
    assert.equal(after.assignmentStatus, 'canceled');
    assert.equal(after.reason, 'Task TTL Exceeded');
  });

  test('it needs credentials and a valid amount', async () => {
    assert.equal((await on.http('POST', '/switchyard/v1/Clock', { body: 'AdvanceSeconds=1', auth: null })).status, 401);
    const bad = await on.http('POST', '/switchyard/v1/Clock', { body: 'AdvanceSeconds=-5' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 20001);
  });

  test('it does not exist unless enabled', async () => {
    const res = await off.http('POST', '/switchyard/v1/Clock', { body: 'AdvanceSeconds=1' });
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 20404);
  });
});
