import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { advance, makeWorkspace } from './routing-helpers.ts';

/** Workflow evaluation end to end: filters, targets, timeouts, skip_if, known workers, re-evaluation. */
for (const backend of backends()) {
  describe(`routing: workflows (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('target timeouts are cumulative task ages: Q1/Q2/Q3 at 10/10/10 move the task at 10 and 20, and at 30 it leaves the workflow canceled', async () => {
      const f = await makeWorkspace(t);
      const [q1, q2, q3] = [await f.queue('Q1', "x == 'none'"), await f.queue('Q2', "x == 'none'"), await f.queue('Q3', "x == 'none'")];
      const wf = await f.workflow({
        filters: [{ filter_friendly_name: 'All', expression: '1==1', targets: [{ queue: q1.sid, timeout: 10 }, { queue: q2.sid, timeout: 10 }, { queue: q3.sid, timeout: 10 }] }],
      });
      const task = await f.task({ workflowSid: wf.sid });
      assert.equal(await f.queueOf(task.sid), q1.sid);
      await advance(t, 9);
      assert.equal(await f.queueOf(task.sid), q1.sid, 'age 9: still Q1');
      await advance(t, 1);
      assert.equal(await f.queueOf(task.sid), q2.sid, 'age 10: Q2');
      await advance(t, 9);
      assert.equal(await f.queueOf(task.sid), q2.sid, 'age 19: still Q2');
      await advance(t, 1);
      assert.equal(await f.queueOf(task.sid), q3.sid, 'age 20: Q3');
      assert.equal(await f.status(task.sid), 'pending');
      await advance(t, 10);
      const done = await f.w.tasks(task.sid).fetch();
      assert.equal(done.assignmentStatus, 'canceled', 'age 30: out of the workflow');
      assert.match(done.reason ?? '', /Workflow timeout/);
      const events = await f.events(task.sid);
      const wfTimeout = events.filter((e) => e.event_type === 'workflow.timeout');
      assert.equal(wfTimeout.length, 1, 'one workflow.timeout row in the events table');
      assert.equal(wfTimeout[0].data.TaskSid, task.sid);
      assert.equal(events.filter((e) => e.event_type === 'task-queue.timeout').length, 3);
      assert.equal(events.filter((e) => e.event_type === 'task-queue.moved').length, 2);
      assert.equal(events.filter((e) => e.event_type === 'task-queue.entered').length, 3);
      assert.equal(events.at(-1)?.event_type, 'task.canceled');
    });

    test('after the last target the task moves to the next MATCHING filter; default_filter only catches tasks that match nothing', async () => {
      const f = await makeWorkspace(t);
      const [qa, qb, qc, qd] = [await f.queue('A', "x == 'none'"), await f.queue('B', "x == 'none'"), await f.queue('C', "x == 'none'"), await f.queue('D', "x == 'none'")];
      const wf = await f.workflow({
        filters: [
          { filter_friendly_name: 'first', expression: "type == 'sales'", targets: [{ queue: qa.sid, timeout: 10 }] },
          { filter_friendly_name: 'not me', expression: "type == 'support'", targets: [{ queue: qb.sid, timeout: 10 }] },
          { filter_friendly_name: 'also sales', expression: "type IN ['sales', 'billing']", targets: [{ queue: qc.sid, timeout: 10 }] },
        ],
        default_filter: { queue: qd.sid },
      });
      const sales = await f.task({ workflowSid: wf.sid, attributes: JSON.stringify({ type: 'sales' }) });
      const other = await f.task({ workflowSid: wf.sid, attributes: JSON.stringify({ type: 'hr' }) });
      assert.equal(await f.queueOf(sales.sid), qa.sid);
      assert.equal(await f.queueOf(other.sid), qd.sid, 'matches nothing: default_filter');
      await advance(t, 10);
      assert.equal(await f.queueOf(sales.sid), qc.sid, "skips 'not me', which does not match");
      const matched = (await f.events(sales.sid)).filter((e) => e.event_type === 'workflow.target-matched').map((e) => e.data.WorkflowFilterName);
      assert.deepEqual(matched, ['first', 'also sales']);
      await advance(t, 10);
      assert.equal(await f.status(sales.sid), 'canceled', 'timed out of its last matching filter: never falls into default_filter');
      await advance(t, 3600);
      assert.equal(await f.status(other.sid), 'pending', 'default_filter has no timeout: the task waits for its TTL');
      assert.equal(await f.queueOf(other.sid), qd.sid);
    });

    test('a task matching no filter in a workflow without default_filter is canceled at once', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q');
      const wf = await f.workflow({ filters: [{ expression: "type == 'x'", targets: [{ queue: q.sid }] }] });
      const task = await f.w.tasks(((await f.task({ workflowSid: wf.sid, attributes: '{"type":"y"}' })) as { sid: string }).sid).fetch();
      assert.equal(task.assignmentStatus, 'canceled');
      assert.match(task.reason ?? '', /matched no Workflow filter/);
    });

    test('a target deadline passing while a reservation is pending: the task moves when the reservation ends', async () => {
      const f = await makeWorkspace(t);
      const q1 = await f.queue('Q1', "team == 'one'");
      const q2 = await f.queue('Q2', "team == 'two'");
      const q3 = await f.queue('Q3', "x == 'none'");
      const wf = await f.workflow(
        { filters: [{ expression: '1==1', targets: [{ queue: q1.sid, timeout: 10 }, { queue: q2.sid, timeout: 20 }, { queue: q3.sid }] }] },
        { taskReservationTimeout: 15 },
      );
      const one = await f.worker('one', { team: 'one' });
      await f.worker('one-b', { team: 'one' });
      const two = await f.worker('two', { team: 'two' }, { activitySid: f.act.offline });
      const task = await f.task({ workflowSid: wf.sid });
      const [res] = await f.pending(task.sid);
      assert.equal(res.workerSid, one.sid);
      await advance(t, 10);
      assert.equal(await f.queueOf(task.sid), q1.sid, 'deadline passed, but an offer is pending: no move');
      assert.equal(await f.status(task.sid), 'reserved');
      await advance(t, 5);
      assert.equal((await f.w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'timeout');
      assert.equal(await f.queueOf(task.sid), q2.sid, 'the offer ended past the deadline: moved on at once, one-b is not tried in Q1');
      assert.equal(await f.status(task.sid), 'pending');
      // Q2's deadline is age 30 (10 + 20), counted from creation, not from the move.
      await f.w.workers(two.sid).update({ activitySid: f.act.unavailable });
      await advance(t, 14);
      assert.equal(await f.queueOf(task.sid), q2.sid);
      await advance(t, 1);
      assert.equal(await f.queueOf(task.sid), q3.sid);
    });

    test('re-evaluation after reject and after timeout: the next worker while within the target, the next target after it', async () => {
      const f = await makeWorkspace(t);
      const q1 = await f.queue('Q1', "team == 'one'");
      const q2 = await f.queue('Q2', "team == 'two'");
      const wf = await f.workflow(
        { filters: [{ expression: '1==1', targets: [{ queue: q1.sid, timeout: 20 }, { queue: q2.sid }] }] },
        { taskReservationTimeout: 8 },
      );
      const a = await f.worker('a', { team: 'one' });
      const b = await f.worker('b', { team: 'one' });
      const c = await f.worker('c', { team: 'one' });
      const d = await f.worker('d', { team: 'two' });
      const task = await f.task({ workflowSid: wf.sid });
      const [ra] = await f.pending(task.sid);
      assert.equal(ra.workerSid, a.sid);
      await advance(t, 2);
      await f.w.tasks(task.sid).reservations(ra.sid).update({ reservationStatus: 'rejected' });
      const [rb] = await f.pending(task.sid);
      assert.equal(rb.workerSid, b.sid, 'rejected at age 2: next worker of Q1');
      await advance(t, 8);
      const [rc] = await f.pending(task.sid);
      assert.equal(rc.workerSid, c.sid, 'timed out at age 10: next worker of Q1');
      assert.equal((await f.w.workers(b.sid).fetch()).activityName, 'Offline');
      await advance(t, 8);
      const [rc2] = await f.pending(task.sid);
      assert.equal(rc2?.workerSid, undefined, 'timed out at age 18: nobody left in Q1');
      assert.equal(await f.queueOf(task.sid), q1.sid);
      await advance(t, 2);
      const [rd] = await f.pending(task.sid);
      assert.equal(rd.workerSid, d.sid, 'age 20: Q2');
    });

    test('a reject after the target deadline moves the task to the next target, not to the next worker of the old one', async () => {
      const f = await makeWorkspace(t);
      const q1 = await f.queue('Q1', "team == 'one'");
      const q2 = await f.queue('Q2', "team == 'two'");
      const wf = await f.workflow(
        { filters: [{ expression: '1==1', targets: [{ queue: q1.sid, timeout: 10 }, { queue: q2.sid }] }] },
        { taskReservationTimeout: 60 },
      );
      const a = await f.worker('a', { team: 'one' });
      await f.worker('b', { team: 'one' });
      const d = await f.worker('d', { team: 'two' });
      const task = await f.task({ workflowSid: wf.sid });
      const [ra] = await f.pending(task.sid);
      assert.equal(ra.workerSid, a.sid);
      await advance(t, 12);
      await f.w.tasks(task.sid).reservations(ra.sid).update({ reservationStatus: 'rejected' });
      assert.equal(await f.queueOf(task.sid), q2.sid);
      assert.deepEqual((await f.pending(task.sid)).map((r) => r.workerSid), [d.sid]);
    });

    test('an offer ending past several deadlines: each passed target gets one immediate try, then the task moves on at once', async () => {
      const f = await makeWorkspace(t);
      const q1 = await f.queue('Q1', "team == 'one'");
      const q2 = await f.queue('Q2', "team == 'two'");
      const q3 = await f.queue('Q3', "team == 'three'");
      const wf = await f.workflow(
        { filters: [{ expression: '1==1', targets: [{ queue: q1.sid, timeout: 10 }, { queue: q2.sid, timeout: 10 }, { queue: q3.sid }] }] },
        { taskReservationTimeout: 120 },
      );
      const one = await f.worker('one', { team: 'one' });
      const three = await f.worker('three', { team: 'three' });
      const task = await f.task({ workflowSid: wf.sid });
      const [res] = await f.pending(task.sid);
      assert.equal(res.workerSid, one.sid);
      await advance(t, 25);
      assert.equal(await f.queueOf(task.sid), q1.sid);
      // Rejected at age 25: Q1 (deadline 10) and Q2 (deadline 20) are both over; Q2 has nobody free.
      await f.w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'rejected' });
      assert.equal(await f.queueOf(task.sid), q3.sid, 'no tick needed: Q2 was already over');
      assert.deepEqual((await f.pending(task.sid)).map((r) => r.workerSid), [three.sid]);
      const entered = (await f.events(task.sid)).filter((e) => e.event_type === 'task-queue.entered').map((e) => e.data.TaskQueueSid);
      assert.deepEqual(entered, [q1.sid, q2.sid, q3.sid]);

      // Had Q2 somebody free, the task would have stopped there.
      const two = await f.worker('two', { team: 'two' });
      const again = await f.task({ workflowSid: wf.sid });
      const [r1] = await f.pending(again.sid);
      assert.equal(r1.workerSid, one.sid);
      await advance(t, 25);
      await f.w.tasks(again.sid).reservations(r1.sid).update({ reservationStatus: 'rejected' });
      assert.equal(await f.queueOf(again.sid), q2.sid);
      assert.deepEqual((await f.pending(again.sid)).map((r) => r.workerSid), [two.sid]);
    });

    test("a target's priority overrides the task's; targets without one keep it", async () => {
      const f = await makeWorkspace(t);
      const [q1, q2] = [await f.queue('Q1', "x == 'none'"), await f.queue('Q2', "x == 'none'")];
      const wf = await f.workflow({
        filters: [
          { expression: "kind == 'vip'", targets: [{ queue: q1.sid, priority: 50, timeout: 10 }, { queue: q2.sid }] },
          { expression: "kind == 'std'", targets: [{ queue: q1.sid, timeout: 10 }, { queue: q2.sid, priority: '5' }] },
        ],
      });
      const vip = await f.task({ workflowSid: wf.sid, attributes: '{"kind":"vip"}', priority: 1 });
      const std = await f.task({ workflowSid: wf.sid, attributes: '{"kind":"std"}', priority: 1 });
      assert.equal((await f.w.tasks(vip.sid).fetch()).priority, 50);
      assert.equal((await f.w.tasks(std.sid).fetch()).priority, 1);
      await advance(t, 10);
      assert.equal((await f.w.tasks(vip.sid).fetch()).priority, 50, 'the next target sets none: kept');
      assert.equal((await f.w.tasks(std.sid).fetch()).priority, 5, 'written as a string, as Twilio examples do');
    });

    test('target expressions compare task.* with worker.*', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('All');
      const wf = await f.workflow({
        filters: [{ expression: '1==1', targets: [{ queue: q.sid, expression: 'worker.level >= task.min_level AND task.lang IN worker.languages' }] }],
      });
      await f.worker('junior-es', { level: 1, languages: ['es'] });
      await f.worker('senior-en', { level: 5, languages: ['en'] });
      const seniorEs = await f.worker('senior-es', { level: 5, languages: ['es', 'en'] });
      const task = await f.task({ workflowSid: wf.sid, attributes: JSON.stringify({ min_level: 3, lang: 'es' }) });
      const offers = await f.pending(task.sid);
      assert.deepEqual(offers.map((r) => r.workerSid), [seniorEs.sid]);
      const nobody = await f.task({ workflowSid: wf.sid, attributes: JSON.stringify({ min_level: 9, lang: 'es' }) });
      assert.equal(nobody.assignmentStatus, 'pending');
    });

    test('order_by worker.level DESC picks the highest level; ties go to the longest idle; no attribute sorts last', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('All', '1==1', { maxReservedWorkers: 4 });
      const wf = await f.workflow({ filters: [{ expression: '1==1', targets: [{ queue: q.sid, order_by: 'worker.level DESC' }] }] });
      const none = await f.worker('none', {});
      const low = await f.worker('low', { level: 1 });
      const highOld = await f.worker('high-old', { level: 7 });
      const highNew = await f.worker('high-new', { level: 7 });
      const task = await f.task({ workflowSid: wf.sid });
      const offers = await f.pending(task.sid);
      assert.equal(offers.length, 4);
      // Created at the same instant: the reservation SIDs cannot order them, the expected set can.
      const single = await makeWorkspace(t);
      const sq = await single.queue('All');
      const swf = await single.workflow({ filters: [{ expression: '1==1', targets: [{ queue: sq.sid, order_by: 'worker.level DESC' }] }] });
      await single.worker('none', {});
      await single.worker('low', { level: 1 });
      const sOld = await single.worker('high-old', { level: 7 });
      const sNew = await single.worker('high-new', { level: 7 });
      const first = await single.task({ workflowSid: swf.sid });
      assert.equal((await single.pending(first.sid))[0].workerSid, sOld.sid, 'level 7, idle longest');
      const second = await single.task({ workflowSid: swf.sid });
      assert.equal((await single.pending(second.sid))[0].workerSid, sNew.sid, 'the other level 7');
      const third = await single.task({ workflowSid: swf.sid });
      const [r3] = await single.pending(third.sid);
      assert.notEqual(r3.workerSid, sOld.sid);
      assert.equal((await single.w.workers(r3.workerSid).fetch()).friendlyName, 'low', 'level 1 before the worker without a level');
      assert.deepEqual(new Set(offers.map((r) => r.workerSid)), new Set([none.sid, low.sid, highOld.sid, highNew.sid]));
    });

    test('skip_if workers.available == 0 skips an empty target at once, without waiting for its timeout', async () => {
      const f = await makeWorkspace(t);
      const empty = await f.queue('Empty', "team == 'ghost'");
      const backup = await f.queue('Backup', "team == 'backup'");
      await f.worker('ghost', { team: 'ghost' }, { activitySid: f.act.offline });
      const b = await f.worker('b', { team: 'backup' });
      const wf = await f.workflow({
        filters: [{ expression: '1==1', targets: [{ queue: empty.sid, timeout: 300, skip_if: 'workers.available == 0' }, { queue: backup.sid }] }],
      });
      const task = await f.task({ workflowSid: wf.sid });
      assert.equal(task.assignmentStatus, 'reserved');
      assert.equal(await f.queueOf(task.sid), backup.sid);
      assert.equal((await f.pending(task.sid))[0].workerSid, b.sid);
    });

    test('skip_if on the last target: a skipped filter counts as unmatched (default_filter may take it); with nowhere to go the task is removed with workflow.skipped', async () => {
      const f = await makeWorkspace(t);
      const empty = await f.queue('Empty', "team == 'ghost'");
      const fallback = await f.queue('Fallback', "team == 'none'");
      const withDefault = await f.workflow({
        filters: [{ expression: '1==1', targets: [{ queue: empty.sid, skip_if: 'workers.available == 0' }] }],
        default_filter: { queue: fallback.sid },
      });
      const withoutDefault = await f.workflow({ filters: [{ expression: '1==1', targets: [{ queue: empty.sid, skip_if: '1==1' }] }] });
      const a = await f.task({ workflowSid: withDefault.sid });
      assert.equal(await f.queueOf(a.sid), fallback.sid);
      const b = await f.w.tasks((await f.task({ workflowSid: withoutDefault.sid })).sid).fetch();
      assert.equal(b.assignmentStatus, 'canceled');
      assert.ok((await f.events(b.sid)).some((e) => e.event_type === 'workflow.skipped'));
    });

    test('known_worker_sid and known_worker_friendly_name route to the named worker; an unknown name waits for the timeout', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('All');
      const other = await f.queue('Others', "x == 'none'");
      const bySid = await f.workflow({ filters: [{ expression: '1==1', targets: [{ queue: q.sid, known_worker_sid: 'task.last_agent', timeout: 30 }, { queue: other.sid }] }] });
      const byName = await f.workflow({ filters: [{ expression: '1==1', targets: [{ queue: q.sid, known_worker_friendly_name: 'task.agent_name', timeout: 30 }, { queue: other.sid }] }] });
      await f.worker('longest-idle');
      const alice = await f.worker('alice');
      const bob = await f.worker('bob');
      const t1 = await f.task({ workflowSid: bySid.sid, attributes: JSON.stringify({ last_agent: bob.sid }) });
      assert.equal((await f.pending(t1.sid))[0].workerSid, bob.sid);
      const t2 = await f.task({ workflowSid: byName.sid, attributes: JSON.stringify({ agent_name: 'alice' }) });
      assert.equal((await f.pending(t2.sid))[0].workerSid, alice.sid);
      const t3 = await f.task({ workflowSid: byName.sid, attributes: JSON.stringify({ agent_name: 'nobody' }) });
      const t4 = await f.task({ workflowSid: bySid.sid, attributes: '{}' });
      // A known worker outside the target's queue is not offered the task either.
      const outsider = await f.worker('outsider', { outside: true });
      await f.w.taskQueues(q.sid).update({ targetWorkers: 'outside != true' });
      const t5 = await f.task({ workflowSid: bySid.sid, attributes: JSON.stringify({ last_agent: outsider.sid }) });
      for (const x of [t3, t4, t5]) assert.equal(x.assignmentStatus, 'pending', 'the longest-idle worker is not offered it');
      await advance(t, 30);
      for (const x of [t3, t4, t5]) assert.equal(await f.queueOf(x.sid), other.sid);
    });

    test('ReEvaluateTasks=true moves pending tasks to the new configuration; false (the default) leaves them', async () => {
      const f = await makeWorkspace(t);
      const oldQ = await f.queue('Old', "x == 'none'");
      const newQ = await f.queue('New', "team == 'new'");
      const keep = await f.workflow({ default_filter: { queue: oldQ.sid } });
      const move = await f.workflow({ default_filter: { queue: oldQ.sid } });
      const kept = await f.task({ workflowSid: keep.sid });
      const moved = await f.task({ workflowSid: move.sid });
      const config = JSON.stringify({ task_routing: { default_filter: { queue: newQ.sid } } });
      await f.w.workflows(keep.sid).update({ configuration: config });
      await f.w.workflows(move.sid).update({ configuration: config, reEvaluateTasks: 'true' });
      assert.equal(await f.queueOf(kept.sid), oldQ.sid);
      assert.equal(await f.queueOf(moved.sid), newQ.sid);
      const fresh = await f.task({ workflowSid: keep.sid });
      assert.equal(await f.queueOf(fresh.sid), newQ.sid, 'new tasks use the new configuration');
      // A worker for the new queue takes the moved task; the kept one still waits in the old queue.
      const n = await f.worker('n', { team: 'new' }, { capacity: { default: 5 } });
      assert.ok((await f.w.workers(n.sid).reservations.list()).some((r) => r.taskSid === moved.sid));
      assert.equal(await f.status(kept.sid), 'pending');
    });

    test('updating the attributes of a pending task routes it again from the top', async () => {
      const f = await makeWorkspace(t);
      const en = await f.queue('English', "langs HAS 'en'");
      const es = await f.queue('Spanish', "langs HAS 'es'");
      const wf = await f.workflow({
        filters: [
          { expression: "lang == 'es'", targets: [{ queue: es.sid }] },
          { expression: "lang == 'en'", targets: [{ queue: en.sid }] },
        ],
      });
      const maria = await f.worker('maria', { langs: ['es'] });
      const task = await f.task({ workflowSid: wf.sid, attributes: JSON.stringify({ lang: 'en' }) });
      assert.equal(task.assignmentStatus, 'pending');
      assert.equal(await f.queueOf(task.sid), en.sid);
      await f.w.tasks(task.sid).update({ attributes: JSON.stringify({ lang: 'es' }) });
      assert.equal(await f.queueOf(task.sid), es.sid);
      assert.equal((await f.pending(task.sid))[0]?.workerSid, maria.sid);
      // Reserved tasks are not re-routed by an attribute change.
      await f.w.tasks(task.sid).update({ attributes: JSON.stringify({ lang: 'en' }) });
      assert.equal(await f.queueOf(task.sid), es.sid);
      assert.equal(await f.status(task.sid), 'reserved');
    });

    test('an attribute update re-evaluates a waiting task without restarting its escalation: passed targets get one try, then it resumes on time', async () => {
      const f = await makeWorkspace(t);
      const q1 = await f.queue('Q1', "team == 'one'");
      const q2 = await f.queue('Q2', "x == 'none'");
      const q3 = await f.queue('Q3', "x == 'none'");
      const wf = await f.workflow({
        filters: [
          {
            expression: '1==1',
            targets: [
              { queue: q1.sid, timeout: 10, expression: 'task.vip == true' },
              { queue: q2.sid, timeout: 10 },
              { queue: q3.sid, timeout: 10 },
            ],
          },
        ],
      });
      const one = await f.worker('one', { team: 'one' });
      const plain = await f.task({ workflowSid: wf.sid, attributes: '{"vip":false}' });
      const vip = await f.task({ workflowSid: wf.sid, attributes: '{"vip":false}' });
      await advance(t, 15);
      assert.equal(await f.queueOf(plain.sid), q2.sid);
      // Still not a match for Q1: back in Q2 at once, and Q2 still ends at age 20, not 15 + 20.
      await f.w.tasks(plain.sid).update({ attributes: '{"vip":false,"note":"called back"}' });
      assert.equal(await f.queueOf(plain.sid), q2.sid);
      await advance(t, 5);
      assert.equal(await f.queueOf(plain.sid), q3.sid, 'age 20: Q3, as if nothing had been updated');
      // Now matching Q1's target expression: the earlier target's one try succeeds.
      await f.w.tasks(vip.sid).update({ attributes: '{"vip":true}' });
      assert.equal(await f.queueOf(vip.sid), q1.sid);
      assert.deepEqual((await f.pending(vip.sid)).map((r) => r.workerSid), [one.sid]);
    });
  });

  describe(`routing: time of day (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('taskrouter.dayOfWeek and taskrouter.currentTime (UTC) choose the filter and the worker', async () => {
      const f = await makeWorkspace(t);
      const weekend = await f.queue('Weekend', "x == 'none'");
      const office = await f.queue('Office', "shift IN ['day', 'late']");
      const night = await f.queue('Night', "x == 'none'");
      const wf = await f.workflow({
        filters: [
          { filter_friendly_name: 'weekend', expression: "taskrouter.dayOfWeek IN ['Sat', 'Sun']", targets: [{ queue: weekend.sid }] },
          {
            filter_friendly_name: 'office hours',
            expression: 'taskrouter.currentTime >= 0800 AND taskrouter.currentTime < 1830',
            targets: [{ queue: office.sid, expression: "(worker.shift == 'day' AND taskrouter.currentTime < 1400) OR (worker.shift == 'late' AND taskrouter.currentTime >= 1400)" }],
          },
        ],
        default_filter: { queue: night.sid },
      });
      const day = await f.worker('day', { shift: 'day' }, { capacity: { default: 10 } });
      const late = await f.worker('late', { shift: 'late' }, { capacity: { default: 10 } });

      t.clock.set(Date.UTC(2026, 1, 6, 10, 30)); // Friday 10:30 UTC
      const morning = await f.task({ workflowSid: wf.sid });
      assert.equal(await f.queueOf(morning.sid), office.sid);
      assert.equal((await f.pending(morning.sid))[0].workerSid, day.sid);

      t.clock.set(Date.UTC(2026, 1, 6, 15, 0)); // Friday 15:00 UTC
      const afternoon = await f.task({ workflowSid: wf.sid });
      assert.equal((await f.pending(afternoon.sid))[0].workerSid, late.sid);

      t.clock.set(Date.UTC(2026, 1, 6, 18, 30)); // Friday 18:30 UTC: closed
      const evening = await f.task({ workflowSid: wf.sid });
      assert.equal(await f.queueOf(evening.sid), night.sid);

      t.clock.set(Date.UTC(2026, 1, 7, 11, 0)); // Saturday 11:00 UTC
      const saturday = await f.task({ workflowSid: wf.sid });
      assert.equal(await f.queueOf(saturday.sid), weekend.sid);
      const filters = (await f.events(saturday.sid)).filter((e) => e.event_type === 'workflow.target-matched').map((e) => e.data.WorkflowFilterName);
      assert.deepEqual(filters, ['weekend']);
    });
  });
}
