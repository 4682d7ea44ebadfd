/**
 * What the agent desktop is set up with and does beyond the SDKs: canned responses, disposition
 * codes and the wrap-up time (an administrator's, Basic auth), searched and read by agents (worker
 * token); the customer panel (who, where from, the first message of an offer, earlier conversations
 * and how they ended); the wrap-up stored on the task's attributes; warm transfers, ended or called
 * off by the agent who made them. Every answer checked over REST and in the store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { assertTwilioError } from '../support/twilio-error.ts';
import { flexWorkspace, members, routedTask, type FlexFixture } from './flex-helpers.ts';

const PASSWORD = 'desk password 12';

for (const backend of backends()) {
  describe(`agent desk: canned responses, disposition codes, customer panel, wrap-up, warm transfer (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
      t.clock.set(Date.now());
    });
    after(async () => {
      await t.close();
    });

    const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
    const admin = (method: string, path: string, body?: Record<string, string>, auth?: string) =>
      t.http(method, `/switchyard/v1${path}`, { body: body ? form(body) : undefined, auth });
    const agentCall = (method: string, path: string, token: string, body?: Record<string, string>) =>
      t.http(method, `/switchyard/v1/Agent${path}`, { auth: null, headers: { authorization: `Bearer ${token}` }, body: body ? form(body) : undefined });

    /** A flex workspace whose agents signed in; each one's worker token by name. */
    async function agents(names: string[], opts: { available?: boolean } = {}): Promise<{ f: FlexFixture; tokens: Record<string, string> }> {
      const f = await flexWorkspace(t, names, opts);
      const tokens: Record<string, string> = {};
      for (const name of names) {
        assert.equal((await admin('POST', `/Workspaces/${f.wsSid}/Workers/${f.agents[name]}/Credentials`, { Password: PASSWORD })).status, 201);
        const s = await t.http('POST', '/switchyard/v1/Agent/Sessions', { body: form({ AccountSid: t.account.accountSid, Username: name, Password: PASSWORD }), auth: null });
        assert.equal(s.status, 201);
        tokens[name] = s.body.worker_token;
      }
      return { f, tokens };
    }

    /** A chat from customer `identity` (named `name`), routed in `f`; accepted by `acceptBy` when given. */
    async function chat(f: FlexFixture, identity: string, name: string, acceptBy?: string) {
      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'chat', initiated_by: 'api', participants: [{ identity, name }] },
        routing: f.routing(),
      });
      const task = routedTask(created.routing);
      if (acceptBy) {
        const [offer] = await f.pending(task.sid);
        assert.equal(offer.workerSid, f.agents[acceptBy]);
        await f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      }
      return { interactionSid: created.sid, channelSid: (created.channel as { sid: string }).sid, taskSid: task.sid as string, conversationSid: task.attrs.conversationSid as string };
    }

    test('canned responses: created, listed, read, changed, deleted by an administrator; searched by agents of the workspace only', async () => {
      const { f, tokens } = await agents(['ann']);
      const base = `/Workspaces/${f.wsSid}/CannedResponses`;
      const made = await admin('POST', base, { FriendlyName: 'Greeting', Body: 'Hello {{customer.name}},\nhow can I help?', Category: 'Openers' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.match(made.body.sid, /^YC[0-9a-f]{32}$/);
      assert.deepEqual(
        [made.body.friendly_name, made.body.category, made.body.body, made.body.workspace_sid, made.body.url],
        ['Greeting', 'Openers', 'Hello {{customer.name}},\nhow can I help?', f.wsSid, `${t.baseUrl}/switchyard/v1${base}/${made.body.sid}`],
      );
      const refund = await admin('POST', base, { FriendlyName: 'Refund policy', Body: 'Refunds take 5_7 days (100% of the price).' });
      assert.equal(refund.status, 201);
      assert.equal(refund.body.category, null);

      const list = await admin('GET', `${base}?PageSize=1`);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.canned_responses.map((c: any) => c.sid), [made.body.sid]);
      assert.match(list.body.meta.next_page_url, /Page=1/);
      assert.equal((await admin('GET', `${base}/${made.body.sid}`)).body.friendly_name, 'Greeting');

      const changed = await admin('POST', `${base}/${made.body.sid}`, { Body: 'Hi {{customer.name}}!', Category: '' });
      assert.equal(changed.status, 200);
      assert.deepEqual([changed.body.friendly_name, changed.body.body, changed.body.category], ['Greeting', 'Hi {{customer.name}}!', null]);

      // The agent's search: by name, category or text, ignoring case; % and _ are letters, not wildcards.
      const search = async (q?: string) => {
        const res = await agentCall('GET', `/CannedResponses${q === undefined ? '' : `?Search=${encodeURIComponent(q)}`}`, tokens.ann);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body.canned_responses.map((c: any) => c.friendly_name);
      };
      assert.deepEqual(await search(), ['Greeting', 'Refund policy']);
      assert.deepEqual(await search('REFUND'), ['Refund policy']);
      assert.deepEqual(await search('hi {{'), ['Greeting']);
      assert.deepEqual(await search('100%'), ['Refund policy']);
      assert.deepEqual(await search('5_7'), ['Refund policy']);
      assert.deepEqual(await search('5%7'), []);
      assert.deepEqual(await search('nothing like it'), []);
      assert.equal((await t.http('GET', '/switchyard/v1/Agent/CannedResponses', { auth: null })).status, 401);

      // Another workspace's agent sees none of them; another account cannot reach them.
      const other = await agents(['bea']);
      assert.deepEqual((await agentCall('GET', '/CannedResponses', other.tokens.bea)).body.canned_responses, []);
      const stranger = await t.newAccount();
      const auth = 'Basic ' + Buffer.from(`${stranger.account.accountSid}:${stranger.account.authToken}`).toString('base64');
      assertTwilioError(await admin('GET', base, undefined, auth), 404, 20404);
      assertTwilioError(await admin('GET', `${base}/${made.body.sid}`, undefined, auth), 404, 20404);
      assertTwilioError(await admin('POST', base, { FriendlyName: 'x', Body: 'y' }, auth), 404, 20404);

      assert.equal((await admin('DELETE', `${base}/${refund.body.sid}`)).status, 204);
      assertTwilioError(await admin('GET', `${base}/${refund.body.sid}`), 404, 20404);
      assert.deepEqual(await search(), ['Greeting']);
    });

    test('disposition codes and the wrap-up time: set by an administrator, read by the desk', async () => {
      const { f, tokens } = await agents(['cal']);
      const codes = `/Workspaces/${f.wsSid}/DispositionCodes`;
      const resolved = await admin('POST', codes, { Code: 'resolved', FriendlyName: 'Resolved' });
      assert.equal(resolved.status, 201, JSON.stringify(resolved.body));
      assert.match(resolved.body.sid, /^YD[0-9a-f]{32}$/);
      const plain = await admin('POST', codes, { Code: 'follow-up' });
      assert.equal(plain.body.friendly_name, 'follow-up', 'the name defaults to the code');
      const clash = await admin('POST', codes, { Code: 'resolved', FriendlyName: 'Again' });
      assertTwilioError(clash, 400, 20001);
      assert.match(clash.body.message, /already a disposition code/);
      const renamed = await admin('POST', `${codes}/${plain.body.sid}`, { FriendlyName: 'Follow-up needed' });
      assert.deepEqual([renamed.body.code, renamed.body.friendly_name], ['follow-up', 'Follow-up needed']);
      assert.deepEqual((await admin('GET', codes)).body.disposition_codes.map((c: any) => c.code), ['resolved', 'follow-up']);

      const settings = `/Workspaces/${f.wsSid}/AgentDesktop`;
      assert.equal((await admin('GET', settings)).body.wrapup_timeout, 120, 'two minutes unless set');
      const set = await admin('POST', settings, { WrapUpTimeout: '45' });
      assert.equal(set.status, 200);
      assert.equal(set.body.wrapup_timeout, 45);
      assert.equal((await admin('POST', settings, { WrapUpTimeout: '0' })).body.wrapup_timeout, 0);
      await admin('POST', settings, { WrapUpTimeout: '30' });

      const deskView = await agentCall('GET', '/Desk', tokens.cal);
      assert.equal(deskView.status, 200);
      assert.deepEqual(deskView.body, {
        workspace_sid: f.wsSid,
        wrapup_timeout: 30,
        disposition_codes: [
          { code: 'resolved', friendly_name: 'Resolved' },
          { code: 'follow-up', friendly_name: 'Follow-up needed' },
        ],
      });
      assert.equal((await admin('DELETE', `${codes}/${plain.body.sid}`)).status, 204);
      assert.deepEqual((await agentCall('GET', '/Desk', tokens.cal)).body.disposition_codes, [{ code: 'resolved', friendly_name: 'Resolved' }]);
    });

    test('customer panel: the offer shows who and the first message; the customer’s earlier conversations and how they ended; only own or offered tasks', async () => {
      const { f, tokens } = await agents(['dan', 'eve']);
      await f.w.workers(f.agents.eve).update({ activitySid: f.act.offline });
      await admin('POST', `/Workspaces/${f.wsSid}/DispositionCodes`, { Code: 'resolved', FriendlyName: 'Resolved' });

      // The first chat: offered to dan, who sees the customer and their first message before accepting.
      const first = await chat(f, 'cust-ada', 'Ada Lovelace');
      await t.client.conversations.v1.conversations(first.conversationSid).messages.create({ author: 'cust-ada', body: 'My parcel is lost.\nOrder 42.' });
      const offered = await agentCall('GET', `/Tasks/${first.taskSid}/Contact`, tokens.dan);
      assert.equal(offered.status, 200, JSON.stringify(offered.body));
      assert.equal(offered.body.channel_type, 'chat');
      assert.deepEqual(offered.body.customer, { name: 'Ada Lovelace', address: 'cust-ada' });
      assert.equal(offered.body.first_message.body, 'My parcel is lost.\nOrder 42.');
      assert.equal(offered.body.first_message.author, 'cust-ada');
      assert.deepEqual(offered.body.history, []);
      assertTwilioError(await agentCall('GET', `/Tasks/${first.taskSid}/Contact`, tokens.eve), 403, 20403);

      // dan takes it and wraps it up with a code and a note.
      const [offer] = await f.pending(first.taskSid);
      await f.w.tasks(first.taskSid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      assert.equal((await agentCall('POST', `/Tasks/${first.taskSid}/EndChat`, tokens.dan)).status, 200);
      const wrapped = await agentCall('POST', `/Tasks/${first.taskSid}/WrapUp`, tokens.dan, { DispositionCode: 'resolved', Note: 'Sent a new parcel.' });
      assert.equal(wrapped.status, 200, JSON.stringify(wrapped.body));
      await f.w.tasks(first.taskSid).update({ assignmentStatus: 'completed' });

      // Her next chat: the panel shows the first one, who took it and how it ended.
      t.clock.advance(60_000);
      const second = await chat(f, 'cust-ada', 'Ada Lovelace', 'dan');
      const panel = await agentCall('GET', `/Tasks/${second.taskSid}/Contact`, tokens.dan);
      assert.equal(panel.status, 200);
      assert.equal(panel.body.first_message, null, 'nothing said yet');
      assert.deepEqual(
        panel.body.history.map((h: any) => [h.task_sid, h.channel_type, h.worker_name, h.code, h.outcome, h.note]),
        [[first.taskSid, 'chat', 'dan', 'resolved', 'Resolved', 'Sent a new parcel.']],
      );
      assert.ok(Date.parse(panel.body.history[0].date_ended) >= Date.parse(panel.body.history[0].date_started));
      // Another customer has no history.
      const other = await chat(f, 'cust-grace', 'Grace Hopper');
      await f.w.workers(f.agents.eve).update({ activitySid: f.act.available });
      const [graceOffer] = await f.pending(other.taskSid);
      const token = graceOffer.workerSid === f.agents.dan ? tokens.dan : tokens.eve;
      assert.deepEqual((await agentCall('GET', `/Tasks/${other.taskSid}/Contact`, token)).body.history, []);
    });

    test('wrap-up: the code on conversations.outcome and the whole under disposition; sent again it replaces; bad codes, notes and states refused', async () => {
      const { f, tokens } = await agents(['fay', 'gus']);
      await f.w.workers(f.agents.gus).update({ activitySid: f.act.offline });
      await admin('POST', `/Workspaces/${f.wsSid}/DispositionCodes`, { Code: 'resolved', FriendlyName: 'Resolved' });
      await admin('POST', `/Workspaces/${f.wsSid}/DispositionCodes`, { Code: 'escalated', FriendlyName: 'Escalated' });
      const c = await chat(f, 'cust-hal', 'Hal', 'fay');

      for (const [body, status, message] of [
        [{ DispositionCode: 'nope' }, 400, /not a disposition code/],
        [{ DispositionCode: 'x'.repeat(65) }, 400, /limit is 64/],
        [{ Note: 'n'.repeat(1001) }, 400, /limit is 1000/],
      ] as const) {
        const res = await agentCall('POST', `/Tasks/${c.taskSid}/WrapUp`, tokens.fay, body as Record<string, string>);
        assertTwilioError(res, status, 20001);
        assert.match(res.body.message, message);
      }
      assertTwilioError(await agentCall('POST', `/Tasks/${c.taskSid}/WrapUp`, tokens.gus, { DispositionCode: 'resolved' }), 403, 20403);
      assert.equal(JSON.parse((await f.w.tasks(c.taskSid).fetch()).attributes).disposition, undefined, 'nothing stored');

      // While assigned (before the chat ends) as well as wrapping.
      const early = await agentCall('POST', `/Tasks/${c.taskSid}/WrapUp`, tokens.fay, { DispositionCode: 'escalated' });
      assert.equal(early.status, 200);
      assert.equal(early.body.assignment_status, 'assigned');
      await agentCall('POST', `/Tasks/${c.taskSid}/EndChat`, tokens.fay);
      const res = await agentCall('POST', `/Tasks/${c.taskSid}/WrapUp`, tokens.fay, { DispositionCode: 'resolved', Note: '  Refunded.\nCustomer happy.  ' });
      assert.equal(res.status, 200);
      const attrs = JSON.parse((await f.w.tasks(c.taskSid).fetch()).attributes);
      assert.equal(attrs.conversations.outcome, 'Resolved');
      assert.equal(attrs.conversations.conversation_id, c.interactionSid, "Flex's own conversations keys stay");
      assert.equal(attrs.conversationSid, c.conversationSid);
      assert.deepEqual({ ...attrs.disposition, date: typeof attrs.disposition.date }, { code: 'resolved', name: 'Resolved', note: 'Refunded.\nCustomer happy.', worker_sid: f.agents.fay, date: 'string' });
      const rows = await t.server.db.all<{ code: string; note: string }>('SELECT code, note FROM agent_wrapups WHERE task_sid = ?', [c.taskSid]);
      assert.deepEqual(rows.map((r) => [r.code, r.note]), [['resolved', 'Refunded.\nCustomer happy.']], 'one record per task, the last wrap-up');

      // No code: the outcome goes, the note stays.
      await agentCall('POST', `/Tasks/${c.taskSid}/WrapUp`, tokens.fay, { Note: 'Ran out of time' });
      const none = JSON.parse((await f.w.tasks(c.taskSid).fetch()).attributes);
      assert.equal(none.conversations.outcome, undefined);
      assert.deepEqual([none.disposition.code, none.disposition.note], [null, 'Ran out of time']);

      // Completed: too late.
      await f.w.tasks(c.taskSid).update({ assignmentStatus: 'completed' });
      const late = await agentCall('POST', `/Tasks/${c.taskSid}/WrapUp`, tokens.fay, { DispositionCode: 'resolved' });
      assertTwilioError(late, 400, 20001);
      assert.match(late.body.message, /completed/);
    });

    test('warm transfer: both agents in the chat until the first ends the transfer; a transfer nobody took is called off; only the maker may', async () => {
      const { f, tokens } = await agents(['ida', 'jon']);
      await f.w.workers(f.agents.jon).update({ activitySid: f.act.offline });
      const c = await chat(f, 'cust-kay', 'Kay', 'ida');
      await f.w.workers(f.agents.jon).update({ activitySid: f.act.available });

      // What the first task knows of the customer (a backend's own keys too) goes with the transfer, as Flex copies it.
      const first = JSON.parse((await f.w.tasks(c.taskSid).fetch()).attributes);
      await f.w.tasks(c.taskSid).update({ attributes: JSON.stringify({ ...first, vip: true, pre_engagement_data: { topic: 'billing' } }) });

      const bad = await agentCall('POST', `/Tasks/${c.taskSid}/Transfer`, tokens.ida, { To: f.agents.jon, Type: 'lukewarm' });
      assertTwilioError(bad, 400, 20001);
      assert.match(bad.body.message, /cold, warm/);

      const warm = await agentCall('POST', `/Tasks/${c.taskSid}/Transfer`, tokens.ida, { To: f.agents.jon, Type: 'warm' });
      assert.equal(warm.status, 201, JSON.stringify(warm.body));
      assert.deepEqual([warm.body.type, warm.body.status, warm.body.to], ['warm', 'active', f.agents.jon]);
      // Ending it before anyone accepted is refused; the offer goes to jon.
      assertTwilioError(await agentCall('POST', `/Tasks/${c.taskSid}/Transfers/${warm.body.sid}`, tokens.ida, { Status: 'completed' }), 400, 20001);
      const [offer] = await f.pending(warm.body.transfer_task_sid);
      assert.equal(offer.workerSid, f.agents.jon);
      const carried = JSON.parse((await f.w.tasks(warm.body.transfer_task_sid).fetch()).attributes);
      assert.deepEqual([carried.customerName, carried.vip, carried.pre_engagement_data], ['Kay', true, { topic: 'billing' }]);
      assert.deepEqual([carried.transferredFrom, carried.transferType, carried.initiatedBy, carried.conversations.initiated_by], [f.agents.ida, 'warm', undefined, undefined]);
      assert.notEqual(carried.flexChannelInviteSid, first.flexChannelInviteSid, "the transfer's own invite, not the first task's");
      await f.w.tasks(warm.body.transfer_task_sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      assert.deepEqual(await members(t, c.conversationSid), ['cust-kay', 'ida', 'jon'], 'both agents with the customer');
      assert.equal(await f.status(c.taskSid), 'assigned');

      // jon did not make it: as unknown to him as to anyone; a made-up SID is 404 too.
      assertTwilioError(await agentCall('POST', `/Tasks/${warm.body.transfer_task_sid}/Transfers/${warm.body.sid}`, tokens.jon, { Status: 'completed' }), 404, 20404);
      assertTwilioError(await agentCall('POST', `/Tasks/${c.taskSid}/Transfers/UX${'0'.repeat(32)}`, tokens.ida, { Status: 'completed' }), 404, 20404);
      assertTwilioError(await agentCall('POST', `/Tasks/${c.taskSid}/Transfers/${warm.body.sid}`, tokens.ida, { Status: 'done' }), 400, 20001);

      const done = await agentCall('POST', `/Tasks/${c.taskSid}/Transfers/${warm.body.sid}`, tokens.ida, { Status: 'completed' });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.status, 'completed');
      assert.equal(await f.status(c.taskSid), 'wrapping');
      assert.deepEqual(await members(t, c.conversationSid), ['cust-kay', 'jon']);

      // jon transfers on to the queue (ida is wrapping: nobody takes it) and calls it off.
      const cold = await agentCall('POST', `/Tasks/${warm.body.transfer_task_sid}/Transfer`, tokens.jon, { To: f.queueSid });
      assert.equal(cold.status, 201);
      assert.equal(cold.body.type, 'cold', 'cold unless asked');
      const off = await agentCall('POST', `/Tasks/${warm.body.transfer_task_sid}/Transfers/${cold.body.sid}`, tokens.jon, { Status: 'failed' });
      assert.equal(off.status, 200);
      assert.equal(off.body.status, 'failed');
      assert.equal(await f.status(cold.body.transfer_task_sid), 'canceled');
      assert.equal(await f.status(warm.body.transfer_task_sid), 'assigned', 'jon keeps the chat');
    });

    test('bad input: Twilio error bodies, never a 500, nothing stored', async () => {
      const { f, tokens } = await agents(['kit']);
      const ws = f.wsSid;
      const rows: { why: string; method?: string; path: string; body?: Record<string, string>; status: number; message?: RegExp }[] = [
        { why: 'canned without a name', path: `/Workspaces/${ws}/CannedResponses`, body: { Body: 'x' }, status: 400, message: /FriendlyName/ },
        { why: 'canned without a body', path: `/Workspaces/${ws}/CannedResponses`, body: { FriendlyName: 'x' }, status: 400, message: /Body/ },
        { why: 'canned with a blank body', path: `/Workspaces/${ws}/CannedResponses`, body: { FriendlyName: 'x', Body: '  ' }, status: 400, message: /Body/ },
        { why: 'canned with a huge body', path: `/Workspaces/${ws}/CannedResponses`, body: { FriendlyName: 'x', Body: 'b'.repeat(1601) }, status: 400, message: /limit is 1600/ },
        { why: 'canned with a long name', path: `/Workspaces/${ws}/CannedResponses`, body: { FriendlyName: 'n'.repeat(65), Body: 'b' }, status: 400, message: /limit is 64/ },
        { why: 'canned with a control character', path: `/Workspaces/${ws}/CannedResponses`, body: { FriendlyName: 'a\tb', Body: 'b' }, status: 400, message: /control/ },
        { why: 'canned in an unknown workspace', path: `/Workspaces/WS${'0'.repeat(32)}/CannedResponses`, body: { FriendlyName: 'x', Body: 'y' }, status: 404 },
        { why: 'canned in a malformed workspace', path: '/Workspaces/nope/CannedResponses', body: { FriendlyName: 'x', Body: 'y' }, status: 404 },
        { why: 'unknown canned', method: 'GET', path: `/Workspaces/${ws}/CannedResponses/YC${'0'.repeat(32)}`, status: 404 },
        { why: 'malformed canned', method: 'DELETE', path: `/Workspaces/${ws}/CannedResponses/nope`, status: 404 },
        { why: 'code without Code', path: `/Workspaces/${ws}/DispositionCodes`, body: { FriendlyName: 'x' }, status: 400, message: /Code/ },
        { why: 'code with spaces', path: `/Workspaces/${ws}/DispositionCodes`, body: { Code: 'two words' }, status: 400, message: /Invalid Code/ },
        { why: 'code too long', path: `/Workspaces/${ws}/DispositionCodes`, body: { Code: 'c'.repeat(65) }, status: 400, message: /Invalid Code/ },
        { why: 'code with a blank name', path: `/Workspaces/${ws}/DispositionCodes`, body: { Code: 'ok', FriendlyName: ' ' }, status: 400, message: /FriendlyName/ },
        { why: 'unknown code', method: 'GET', path: `/Workspaces/${ws}/DispositionCodes/YD${'0'.repeat(32)}`, status: 404 },
        { why: 'negative wrap-up time', path: `/Workspaces/${ws}/AgentDesktop`, body: { WrapUpTimeout: '-1' }, status: 400, message: /WrapUpTimeout/ },
        { why: 'wrap-up time past an hour', path: `/Workspaces/${ws}/AgentDesktop`, body: { WrapUpTimeout: '3601' }, status: 400, message: /WrapUpTimeout/ },
        { why: 'wrap-up time not a number', path: `/Workspaces/${ws}/AgentDesktop`, body: { WrapUpTimeout: 'soon' }, status: 400, message: /WrapUpTimeout/ },
      ];
      for (const r of rows) {
        const res = await admin(r.method ?? 'POST', r.path, r.body);
        assert.equal(res.status, r.status, `${r.why}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message', 'more_info', 'status'], r.why);
        if (r.message) assert.match(res.body.message, r.message, r.why);
      }
      const json = await t.http('POST', `/switchyard/v1/Workspaces/${ws}/CannedResponses`, { body: '{"FriendlyName": 1, "Body": "x"}', headers: { 'content-type': 'application/json' } });
      assertTwilioError(json, 400, 20001);
      for (const table of ['agent_canned_responses', 'agent_disposition_codes', 'agent_desk_settings']) {
        const n = await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE workspace_sid = ?`, [ws]);
        assert.equal(Number(n!.n), 0, table);
      }

      // The agent's routes: tokens, task SIDs, bodies.
      const agentRows: { why: string; method?: string; path: string; token?: string | null; body?: Record<string, string>; status: number }[] = [
        { why: 'desk without a token', method: 'GET', path: '/Desk', token: null, status: 401 },
        { why: 'contact without a token', method: 'GET', path: `/Tasks/WT${'0'.repeat(32)}/Contact`, token: null, status: 401 },
        { why: 'contact of an unknown task', method: 'GET', path: `/Tasks/WT${'0'.repeat(32)}/Contact`, status: 404 },
        { why: 'contact of a malformed task', method: 'GET', path: '/Tasks/nope/Contact', status: 404 },
        { why: 'wrap-up of an unknown task', path: `/Tasks/WT${'0'.repeat(32)}/WrapUp`, body: { Note: 'x' }, status: 404 },
        { why: 'transfer update of an unknown task', path: `/Tasks/WT${'0'.repeat(32)}/Transfers/UX${'0'.repeat(32)}`, body: { Status: 'failed' }, status: 404 },
        { why: 'a search past its limit', method: 'GET', path: `/CannedResponses?Search=${'s'.repeat(201)}`, status: 400 },
      ];
      for (const r of agentRows) {
        const res =
          r.token === null
            ? await t.http(r.method ?? 'POST', `/switchyard/v1/Agent${r.path}`, { auth: null })
            : await agentCall(r.method ?? 'POST', r.path, r.token ?? tokens.kit, r.body);
        assert.equal(res.status, r.status, `${r.why}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message', 'more_info', 'status'], r.why);
      }
    });
  });
}
