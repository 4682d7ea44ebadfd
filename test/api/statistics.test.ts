import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const zero = { avg: 0, min: 0, max: 0, total: 0 };
const NO_QUEUE = 'WQ' + '0'.repeat(32);

for (const backend of backends()) {
  describe(`statistics (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    const tick = () => t.server.taskRouter.engine.tick();
    const seconds = async (s: number) => {
      t.clock.advance(s * 1000);
      await tick();
    };

    /** A workspace with an SMS queue routed to by a workflow, and its activities by name. */
    async function setup() {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: `S${Math.random()}` });
      const w = tr.workspaces(ws.sid);
      const acts = Object.fromEntries((await w.activities.list()).map((a) => [a.friendlyName, a.sid]));
      const queue = await w.taskQueues.create({ friendlyName: 'SMS', targetWorkers: "skills HAS 'sms'" });
      const workflow = await w.workflows.create({
        friendlyName: 'All to SMS',
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
        taskReservationTimeout: 30,
      });
      const worker = async (name: string, activity: string, skills: string[] = ['sms']) => {
        const created = await w.workers.create({ friendlyName: name, attributes: JSON.stringify({ skills }), activitySid: acts[activity] });
        return { sid: created.sid, at: t.clock.now() };
      };
      return { ws, w, acts, queue, workflow, worker };
    }

    test('real-time: tasks by status and priority, longest waiting, workers by activity, per queue, per TaskChannel', async () => {
      const { ws, w, acts, queue, workflow, worker } = await setup();
      const empty = await w.taskQueues.create({ friendlyName: 'Empty', targetWorkers: "skills HAS 'none'" });
      const a0 = await worker('a0', 'Available');
      const a1 = await worker('a1', 'Offline');
      await worker('a2', 'Available', []);

      const t1 = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'sms', priority: 5 });
      const [r1] = await w.tasks(t1.sid).reservations.list();
      await w.tasks(t1.sid).reservations(r1.sid).update({ reservationStatus: 'accepted' });
      await seconds(10);
      const t2 = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'sms' }); // a0's sms channel is full
      assert.equal(t2.assignmentStatus, 'pending');
      await seconds(5);
      const t3 = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'default' });
      assert.equal(t3.assignmentStatus, 'reserved');
      await seconds(20);

      const activities = (counts: Record<string, number>) =>
        ['Offline', 'Available', 'Unavailable'].map((name) => ({ friendly_name: name, workers: counts[name] ?? 0, sid: acts[name] }));

      const rt = await w.realTimeStatistics().fetch();
      assert.deepEqual(rt.tasksByStatus, { pending: 1, reserved: 1, assigned: 1, wrapping: 0 });
      assert.deepEqual(rt.tasksByPriority, { '0': 2, '5': 1 });
      assert.equal(rt.totalTasks, 3);
      assert.equal(rt.longestTaskWaitingSid, t2.sid);
      assert.equal(rt.longestTaskWaitingAge, 25);
      assert.equal(rt.totalWorkers, 3);
      assert.deepEqual(rt.activityStatistics, activities({ Offline: 1, Available: 2 }));

      const q = await w.taskQueues(queue.sid).realTimeStatistics().fetch();
      assert.deepEqual(q.tasksByStatus, { pending: 1, reserved: 1, assigned: 1, wrapping: 0 });
      assert.equal(q.totalTasks, 3);
      assert.equal(q.longestTaskWaitingSid, t2.sid);
      assert.equal(q.longestTaskWaitingAge, 25);
      assert.equal(q.longestRelativeTaskSidInQueue, t2.sid);
      assert.equal(q.longestRelativeTaskAgeInQueue, 25);
      assert.equal(q.totalEligibleWorkers, 2, 'a0 and a1 match the queue, whatever their activity');
      assert.equal(q.totalAvailableWorkers, 1);
      assert.deepEqual(q.activityStatistics, activities({ Offline: 1, Available: 1 }));

      // TaskChannel narrows tasks to the channel, and workers to those who can take work on it.
      await w.workers(a1.sid).workerChannels('sms').update({ available: false });
      const sms = await w.taskQueues(queue.sid).realTimeStatistics().fetch({ taskChannel: 'sms' });
      assert.deepEqual(sms.tasksByStatus, { pending: 1, reserved: 0, assigned: 1, wrapping: 0 });
      assert.deepEqual(sms.tasksByPriority, { '0': 1, '5': 1 });
      assert.equal(sms.totalTasks, 2);
      assert.equal(sms.longestTaskWaitingSid, t2.sid);
      assert.equal(sms.totalEligibleWorkers, 1);
      assert.equal(sms.totalAvailableWorkers, 1);
      const channels = await w.taskChannels.list();
      const defaultChannel = channels.find((c) => c.uniqueName === 'default')!;
      const byDefault = await w.realTimeStatistics().fetch({ taskChannel: defaultChannel.sid });
      assert.deepEqual(byDefault.tasksByStatus, { pending: 0, reserved: 1, assigned: 0, wrapping: 0 });
      assert.equal(byDefault.longestTaskWaitingSid, t3.sid);
      assert.equal(byDefault.longestTaskWaitingAge, 20);
      assert.equal(byDefault.totalWorkers, 3);
      assert.equal((await w.realTimeStatistics().fetch({ taskChannel: 'sms' })).totalWorkers, 2);

      const wf = await w.workflows(workflow.sid).realTimeStatistics().fetch();
      assert.deepEqual(wf.tasksByStatus, { pending: 1, reserved: 1, assigned: 1, wrapping: 0 });
      assert.equal(wf.totalTasks, 3);
      assert.equal(wf.longestTaskWaitingAge, 25);

      const workers = await w.workers.realTimeStatistics().fetch();
      assert.equal(workers.totalWorkers, 3);
      assert.deepEqual(workers.activityStatistics, activities({ Offline: 1, Available: 2 }));
      const members = await w.workers.statistics().fetch({ taskQueueSid: queue.sid });
      assert.equal(members.realtime.total_workers, 2);
      assert.equal((await w.workers.statistics().fetch({ friendlyName: 'A2' })).realtime.total_workers, 1);

      // The bulk endpoint: a JSON body listing queues; an unknown queue gets zeros.
      const bulk = await w.taskQueues.bulkRealTimeStatistics.create({ QueueSids: [queue.sid, empty.sid, NO_QUEUE] });
      assert.equal(bulk.taskQueueResponseCount, 3);
      assert.deepEqual(bulk.taskQueueData[0], {
        task_queue_sid: queue.sid,
        longest_task_waiting_age: 25,
        longest_task_waiting_sid: t2.sid,
        total_tasks: 3,
        total_eligible_workers: 2,
        total_available_workers: 1,
        tasks_by_status: { pending: 1, reserved: 1, assigned: 1, wrapping: 0 },
        tasks_by_priority: { '0': 2, '5': 1 },
        activity_statistics: activities({ Offline: 1, Available: 1 }),
      });
      const nothing = {
        longest_task_waiting_age: 0,
        longest_task_waiting_sid: null,
        total_tasks: 0,
        total_eligible_workers: 0,
        total_available_workers: 0,
        tasks_by_status: { pending: 0, reserved: 0, assigned: 0, wrapping: 0 },
        tasks_by_priority: {},
        activity_statistics: activities({}),
      };
      assert.deepEqual(bulk.taskQueueData[1], { task_queue_sid: empty.sid, ...nothing });
      assert.deepEqual(bulk.taskQueueData[2], { task_queue_sid: NO_QUEUE, ...nothing });
      assert.equal(bulk.workspaceSid, ws.sid);

      // Every queue's statistics, a page at a time; FriendlyName picks one.
      const all = await w.taskQueues.statistics.list();
      assert.deepEqual(all.map((s) => s.taskQueueSid), [queue.sid, empty.sid]);
      assert.equal(all[0].realtime.total_tasks, 3);
      assert.equal(all[0].realtime.longest_relative_task_sid_in_queue, t2.sid);
      assert.equal(all[0].cumulative.tasks_entered, 3);
      assert.equal(all[1].realtime.total_tasks, 0);
      const one = await w.taskQueues.statistics.list({ friendlyName: 'Empty' });
      assert.deepEqual(one.map((s) => s.taskQueueSid), [empty.sid]);
      const paged = await w.taskQueues.statistics.page({ pageSize: 1 });
      assert.equal(paged.instances.length, 1);
      assert.ok(paged.nextPageUrl);

      // With nothing waiting, there is no longest waiting task.
      await w.tasks(t2.sid).update({ assignmentStatus: 'canceled' });
      const [r3] = await w.tasks(t3.sid).reservations.list();
      await w.tasks(t3.sid).reservations(r3.sid).update({ reservationStatus: 'accepted' });
      await w.tasks(t3.sid).update({ assignmentStatus: 'wrapping' });
      const later = await w.realTimeStatistics().fetch();
      assert.deepEqual(later.tasksByStatus, { pending: 0, reserved: 0, assigned: 1, wrapping: 1 });
      assert.equal(later.longestTaskWaitingAge, 0);
      assert.equal(later.longestTaskWaitingSid, null);
      assert.equal(later.totalTasks, 2, 'canceled tasks are no longer counted');
      void a0;
    });

    test('cumulative: reservations, tasks, waits, SplitByWaitTime, TaskChannel, worker activity durations and the window', async () => {
      const { w, acts, queue, workflow, worker } = await setup();
      const a0 = await worker('a0', 'Available');
      t.clock.advance(1000);
      const a1 = await worker('a1', 'Offline');
      t.clock.advance(1000);
      const t0 = t.clock.now();

      const A = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'sms' });
      const [res1] = await w.tasks(A.sid).reservations.list();
      assert.equal(res1.workerSid, a0.sid);
      await seconds(10);
      await w.tasks(A.sid).reservations(res1.sid).update({ reservationStatus: 'rejected' });
      await seconds(10);
      await w.workers(a1.sid).update({ activitySid: acts.Available }); // T0+20: A is offered to a1
      const res2 = (await w.tasks(A.sid).reservations.list({ reservationStatus: 'pending' }))[0];
      assert.equal(res2.workerSid, a1.sid);
      await seconds(5);
      await w.tasks(A.sid).reservations(res2.sid).update({ reservationStatus: 'accepted' }); // waited 25 s
      await seconds(5);
      const B = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'sms' }); // T0+30, to a0
      assert.equal(B.assignmentStatus, 'reserved');
      await seconds(30); // a0 lets it time out and goes Offline
      assert.equal((await w.workers(a0.sid).fetch()).activityName, 'Offline');
      await seconds(10);
      await w.tasks(B.sid).update({ assignmentStatus: 'canceled' }); // waited 40 s
      await seconds(10);
      await w.tasks(A.sid).update({ assignmentStatus: 'completed' }); // T0+80
      const C = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'default' }); // to a1
      assert.equal(C.assignmentStatus, 'reserved');
      await seconds(10);
      await w.tasks(C.sid).remove(); // its reservation is canceled
      const now = t.clock.now();
      assert.equal(now, t0 + 90_000);

      const c = await w.cumulativeStatistics().fetch({ splitByWaitTime: '10,30' });
      assert.deepEqual(c.toJSON(), {
        accountSid: t.account.accountSid,
        avgTaskAcceptanceTime: 25,
        startTime: new Date(now - 15 * 60_000),
        endTime: new Date(now),
        reservationsCreated: 4,
        reservationsAccepted: 1,
        reservationsRejected: 1,
        reservationsTimedOut: 1,
        reservationsCanceled: 1,
        reservationsRescinded: 0,
        splitByWaitTime: {
          '10': { above: { tasks_canceled: 1, reservations_accepted: 1 }, below: { tasks_canceled: 0, reservations_accepted: 0 } },
          '30': { above: { tasks_canceled: 1, reservations_accepted: 0 }, below: { tasks_canceled: 0, reservations_accepted: 1 } },
        },
        waitDurationUntilAccepted: { avg: 25, min: 25, max: 25, total: 25 },
        waitDurationUntilCanceled: { avg: 40, min: 40, max: 40, total: 40 },
        tasksCanceled: 1,
        tasksCompleted: 1,
        tasksCreated: 3,
        tasksDeleted: 1,
        tasksMoved: 0,
        tasksTimedOutInWorkflow: 0,
        workspaceSid: c.workspaceSid,
        url: c.url,
      });
      assert.equal(c.splitByWaitTime !== null, true);
      assert.equal((await w.cumulativeStatistics().fetch()).splitByWaitTime, null, 'no thresholds asked, none given');

      // Per TaskChannel.
      const sms = await w.cumulativeStatistics().fetch({ taskChannel: 'sms' });
      assert.equal(sms.reservationsCreated, 3);
      assert.equal(sms.reservationsCanceled, 0);
      assert.equal(sms.tasksCreated, 2);
      assert.equal(sms.tasksDeleted, 0);
      const byDefault = await w.cumulativeStatistics().fetch({ taskChannel: 'default' });
      assert.equal(byDefault.reservationsCreated, 1);
      assert.equal(byDefault.reservationsCanceled, 1);
      assert.equal(byDefault.tasksCreated, 1);
      assert.equal(byDefault.tasksDeleted, 1);
      assert.deepEqual(byDefault.waitDurationUntilAccepted, zero);

      // Per queue: tasks entered, and the wait since entering the queue.
      const q = await w.taskQueues(queue.sid).cumulativeStatistics().fetch();
      assert.equal(q.tasksEntered, 3);
      assert.equal(q.reservationsCreated, 4);
      assert.deepEqual(q.waitDurationInQueueUntilAccepted, { avg: 25, min: 25, max: 25, total: 25 });
      assert.deepEqual(q.waitDurationUntilCanceled, { avg: 40, min: 40, max: 40, total: 40 });
      assert.equal(q.splitByWaitTime, null);
      const qs = await w.taskQueues(queue.sid).statistics().fetch({ splitByWaitTime: '30' });
      assert.deepEqual(Object.keys(qs.cumulative.split_by_wait_time), ['30']);
      assert.equal(qs.realtime.total_tasks, 0);

      // Per workflow.
      const wf = await w.workflows(workflow.sid).cumulativeStatistics().fetch();
      assert.equal(wf.tasksEntered, 3);
      assert.equal(wf.tasksCanceled, 1);
      assert.equal(wf.tasksCompleted, 1);
      assert.equal(wf.avgTaskAcceptanceTime, 25);
      const wfs = await w.workflows(workflow.sid).statistics().fetch();
      assert.equal(wfs.cumulative.tasks_entered, 3);
      assert.equal(wfs.realtime.total_tasks, 0);

      // Per worker: reservations and time in each activity.
      const durations = (d: Record<string, [number, number, number, number]>) =>
        ['Offline', 'Available', 'Unavailable'].map((name) => {
          const [avg, min, max, total] = d[name] ?? [0, 0, 0, 0];
          return { sid: acts[name], friendly_name: name, avg, min, max, total };
        });
      const s0 = await w.workers(a0.sid).statistics().fetch();
      const a0Available = (t0 + 60_000 - a0.at) / 1000;
      assert.deepEqual(s0.cumulative, {
        start_time: iso(now - 15 * 60_000),
        end_time: iso(now),
        activity_durations: durations({ Available: [a0Available, a0Available, a0Available, a0Available], Offline: [30, 30, 30, 30] }),
        reservations_created: 2,
        reservations_accepted: 0,
        reservations_rejected: 1,
        reservations_timed_out: 1,
        reservations_canceled: 0,
        reservations_rescinded: 0,
      });
      const s1 = await w.workers(a1.sid).statistics().fetch();
      assert.equal(s1.cumulative.reservations_created, 2);
      assert.equal(s1.cumulative.reservations_accepted, 1);
      assert.equal(s1.cumulative.reservations_canceled, 1);
      const a1Offline = (t0 + 20_000 - a1.at) / 1000;
      assert.deepEqual(s1.cumulative.activity_durations, durations({ Offline: [a1Offline, a1Offline, a1Offline, a1Offline], Available: [70, 70, 70, 70] }));
      const s1sms = await w.workers(a1.sid).statistics().fetch({ taskChannel: 'sms' });
      assert.equal(s1sms.cumulative.reservations_created, 1);

      const all = await w.workers.cumulativeStatistics().fetch();
      assert.equal(all.reservationsCreated, 4);
      assert.equal(all.reservationsTimedOut, 1);
      assert.deepEqual(
        all.activityDurations,
        durations({
          Available: [Math.floor((a0Available + 70) / 2), Math.min(a0Available, 70), Math.max(a0Available, 70), a0Available + 70],
          Offline: [Math.floor((a1Offline + 30) / 2), Math.min(a1Offline, 30), Math.max(a1Offline, 30), a1Offline + 30],
        }),
      );
      const ws = await w.workers.statistics().fetch({ taskQueueName: 'SMS' });
      assert.equal(ws.cumulative.reservations_created, 4);
      assert.equal(ws.realtime.total_workers, 2);

      // The window: a part of the past chosen by dates (inclusive at both ends)...
      const part = await w.cumulativeStatistics().fetch({ startDate: new Date(t0), endDate: new Date(t0 + 25_000) });
      assert.equal(part.startTime.getTime(), t0);
      assert.equal(part.endTime.getTime(), t0 + 25_000);
      assert.equal(part.reservationsCreated, 2);
      assert.equal(part.reservationsRejected, 1);
      assert.equal(part.reservationsAccepted, 1);
      assert.equal(part.tasksCreated, 1);
      assert.equal(part.tasksCanceled, 0);
      const a0Part = await w.workers(a0.sid).statistics().fetch({ startDate: new Date(t0 + 50_000), endDate: new Date(t0 + 70_000) });
      assert.deepEqual(a0Part.cumulative.activity_durations, durations({ Available: [10, 10, 10, 10], Offline: [10, 10, 10, 10] }));

      // ...and, sixteen minutes on, the default 15 minutes no longer reach those events.
      t.clock.advance(16 * 60_000);
      const late = await w.cumulativeStatistics().fetch();
      assert.equal(late.reservationsCreated, 0);
      assert.equal(late.tasksCreated, 0);
      assert.deepEqual(late.waitDurationUntilAccepted, zero);
      const wider = await w.cumulativeStatistics().fetch({ minutes: 30 });
      assert.equal(wider.reservationsCreated, 4);
      assert.equal(wider.tasksCreated, 3);
      const lateWorker = await w.workers(a0.sid).statistics().fetch();
      assert.deepEqual(lateWorker.cumulative.activity_durations, durations({ Offline: [900, 900, 900, 900] }));
    });

    test('cumulative: tasks moved between queues, timed out of their workflow, reservations rescinded', async () => {
      const { w, acts } = await setup();
      const first = await w.taskQueues.create({ friendlyName: 'First', targetWorkers: "skills HAS 'first'" });
      const second = await w.taskQueues.create({ friendlyName: 'Second', targetWorkers: "skills HAS 'second'" });
      const pair = await w.taskQueues.create({ friendlyName: 'Pair', targetWorkers: "skills HAS 'pair'", maxReservedWorkers: 2 });
      const escalate = await w.workflows.create({
        friendlyName: 'Escalate',
        configuration: JSON.stringify({
          task_routing: {
            filters: [{ filter_friendly_name: 'all', expression: '1==1', targets: [{ queue: first.sid, timeout: 10 }, { queue: second.sid, timeout: 20 }] }],
          },
        }),
      });
      const toPair = await w.workflows.create({
        friendlyName: 'Pair',
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: pair.sid } } }),
      });
      for (const name of ['p0', 'p1'])
        await w.workers.create({ friendlyName: name, attributes: JSON.stringify({ skills: ['pair'] }), activitySid: acts.Available });

      const x = await w.tasks.create({ workflowSid: escalate.sid });
      await seconds(10); // First times out: on to Second
      assert.equal((await w.tasks(x.sid).fetch()).taskQueueSid, second.sid);
      await seconds(20); // Second times out: out of the workflow
      assert.equal((await w.tasks(x.sid).fetch()).assignmentStatus, 'canceled');

      const y = await w.tasks.create({ workflowSid: toPair.sid });
      const offers = await w.tasks(y.sid).reservations.list();
      assert.equal(offers.length, 2);
      await w.tasks(y.sid).reservations(offers[0].sid).update({ reservationStatus: 'accepted' });

      const c = await w.cumulativeStatistics().fetch();
      assert.equal(c.tasksMoved, 1);
      assert.equal(c.tasksTimedOutInWorkflow, 1);
      assert.equal(c.tasksCanceled, 1);
      assert.deepEqual(c.waitDurationUntilCanceled, { avg: 30, min: 30, max: 30, total: 30 });
      assert.equal(c.reservationsCreated, 2);
      assert.equal(c.reservationsAccepted, 1);
      assert.equal(c.reservationsRescinded, 1);
      const firstStats = await w.taskQueues(first.sid).cumulativeStatistics().fetch();
      assert.equal(firstStats.tasksEntered, 1);
      assert.equal(firstStats.tasksMoved, 1, 'moved out of First');
      assert.equal(firstStats.tasksCanceled, 0);
      const secondStats = await w.taskQueues(second.sid).cumulativeStatistics().fetch();
      assert.equal(secondStats.tasksEntered, 1);
      assert.equal(secondStats.tasksMoved, 0);
      assert.equal(secondStats.tasksCanceled, 1);
      const wf = await w.workflows(escalate.sid).cumulativeStatistics().fetch();
      assert.equal(wf.tasksEntered, 1);
      assert.equal(wf.tasksTimedOutInWorkflow, 1);
      assert.equal(wf.reservationsCreated, 0);
      const pairStats = await w.taskQueues(pair.sid).cumulativeStatistics().fetch();
      assert.equal(pairStats.reservationsRescinded, 1);
      assert.deepEqual(pairStats.waitDurationUntilAccepted, zero, 'accepted at once');
    });

    test('bad parameters get Twilio 400s; unknown resources 404s', async () => {
      const { ws, queue, workflow } = await setup();
      const base = `/taskrouter/v1/Workspaces/${ws.sid}`;
      const bad: [string, string, RegExp][] = [
        ['GET', '/CumulativeStatistics?Minutes=30&StartDate=2026-01-15T08:00:00Z', /Minutes/],
        ['GET', '/CumulativeStatistics?StartDate=yesterday', /StartDate/],
        ['GET', '/CumulativeStatistics?EndDate=2026-02-31T00:00:00Z', /EndDate/],
        ['GET', '/CumulativeStatistics?StartDate=2025-11-01T00:00:00Z', /30 days/],
        ['GET', '/CumulativeStatistics?StartDate=2026-01-15T08:00:00Z&EndDate=2026-01-15T07:00:00Z', /StartDate/],
        ['GET', '/CumulativeStatistics?Minutes=0', /Minutes/],
        ['GET', '/CumulativeStatistics?Minutes=ten', /Minutes/],
        ['GET', '/CumulativeStatistics?SplitByWaitTime=5,abc', /SplitByWaitTime/],
        ['GET', '/Statistics?TaskChannel=fax', /TaskChannel/],
        ['GET', '/RealTimeStatistics?TaskChannel=fax', /TaskChannel/],
        ['GET', `/TaskQueues/${queue.sid}/RealTimeStatistics?TaskChannel=fax`, /TaskChannel/],
        ['GET', `/Workflows/${workflow.sid}/CumulativeStatistics?Minutes=5&EndDate=2026-01-15T08:00:00Z`, /Minutes/],
        ['GET', '/TaskQueues/Statistics?SplitByWaitTime=-5', /SplitByWaitTime/],
        ['GET', '/Workers/CumulativeStatistics?StartDate=2026-13-01', /StartDate/],
        ['GET', '/Workers/Statistics?TaskQueueSid=nope', /TaskQueueSid/],
      ];
      for (const [method, path, message] of bad) {
        const res = await t.http(method, base + path);
        assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 20001);
        assert.match(res.body.message, message, path);
        assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message', 'more_info', 'status']);
      }
      const json = { 'content-type': 'application/json' };
      const bulk = (body: string) => t.http('POST', `${base}/TaskQueues/RealTimeStatistics`, { body, headers: json });
      for (const body of ['{}', '{"QueueSids": []}', '{"QueueSids": ["nope"]}', '{"QueueSids": "WQ"}', '[]', `{"QueueSids": ${JSON.stringify(Array.from({ length: 51 }, () => queue.sid))}}`]) {
        const res = await bulk(body);
        assert.equal(res.status, 400, body);
        assert.equal(res.body.code, 20001);
      }
      const ok = await bulk(JSON.stringify({ queueSids: [queue.sid] }));
      assert.equal(ok.status, 200, 'the spelling in Twilio\'s curl example works too');
      assert.equal(ok.body.task_queue_response_count, 1);

      for (const path of [
        `/TaskQueues/${NO_QUEUE}/Statistics`,
        `/Workflows/WW${'0'.repeat(32)}/RealTimeStatistics`,
        `/Workers/WK${'0'.repeat(32)}/Statistics`,
        `/Workers/Statistics?TaskQueueName=Nope`,
      ]) {
        const res = await t.http('GET', base + path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body.code, 20404);
      }
      const other = await t.newAccount();
      await assert.rejects(other.client.taskrouter.v1.workspaces(ws.sid).realTimeStatistics().fetch(), { status: 404 });
    });

    test('static statistics paths are not taken for SIDs, and the SID routes still work', async () => {
      const { w, queue } = await setup();
      const worker = await w.workers.create({ friendlyName: 'solo' });
      assert.equal((await w.workers(worker.sid).fetch()).friendlyName, 'solo');
      assert.equal((await w.taskQueues(queue.sid).fetch()).friendlyName, 'SMS');
      const updated = await w.taskQueues(queue.sid).update({ friendlyName: 'Texts' });
      assert.equal(updated.friendlyName, 'Texts');
      const stats = await w.workers.statistics().fetch();
      assert.equal(stats.realtime.total_workers, 1);
    });
  });
}
