import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TwilioError, notFound, tooManyRequests } from '../core/errors.ts';
import { MAX_BODY } from '../conversations/service/messages.ts';
import { signInKey } from '../agent/index.ts';
import { isSid } from '../core/sid.ts';
import { bodyParams, publicRoutes, type PublicApi } from '../http/public-api.ts';
import { buildBoard } from './board.ts';
import { ChatWatch } from './chat-live.ts';
import { chatOf, chatView, join, leave, say } from './chats.ts';
import type { SupervisorDeps } from './deps.ts';
import { BoardHub, type LiveOptions } from './live.ts';
import { renew, signIn, supervisorFromBearer, type SupervisorSession } from './session.ts';
import { EventStream } from './stream.ts';

export const SUPERVISOR_PREFIX = '/switchyard/v1/Supervisor';
/** Event streams one supervisor may hold open on a node, of each kind (the board, monitored chats). */
export const STREAMS_PER_SUPERVISOR = 10;

/**
 * The supervisor board's endpoints, registered on the app itself beside the agent desktop's: they
 * take no account credentials. Signing in takes a supervisor's username and password; everything
 * else the supervisor token it returned (Authorization: Bearer). Sign-in and renewal are
 * rate-limited per address, failed sign-ins per username, as the agent desktop's are.
 */
export function supervisorRoutes(app: FastifyInstance, api: PublicApi, deps: SupervisorDeps, options: LiveOptions = {}) {
  const boards = new BoardHub(deps, options);
  const chats = new ChatWatch(deps, options);
  // Open event streams would keep the server's close waiting for them: they end first.
  app.addHook('preClose', async () => {
    boards.close();
    chats.close();
  });
  const open = new Map<string, number>();
  /** Counts a supervisor's open streams of one kind; refuses one too many. */
  const stream = (kind: string, s: SupervisorSession): EventStream => {
    const key = `${kind}|${s.workerSid}`;
    const n = open.get(key) ?? 0;
    if (n >= STREAMS_PER_SUPERVISOR) throw tooManyRequests(`Too Many Requests: ${n} ${kind} streams are open for this supervisor; close one first`);
    open.set(key, n + 1);
    const es = new EventStream();
    es.onClosed(() => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
    return es;
  };
  const taskSid = (req: FastifyRequest) => (req.params as { TaskSid: string }).TaskSid;

  publicRoutes(app, SUPERVISOR_PREFIX, api, () => undefined, (scope, limiter) => {
    const failures = limiter.failures('signInFailuresPerUser', 'failed sign-ins for this username', signInKey);
    scope.post('/Sessions', { onRequest: limiter.perAddress('signInPerAddress', 'sign-ins from this address'), preHandler: failures.refuseIfSpent }, async (req, reply) => {
      try {
        return await signIn(deps, req, reply);
      } catch (err) {
        if (err instanceof TwilioError && err.status === 401) await failures.fail(req);
        throw err;
      }
    });
    scope.post('/Tokens', { onRequest: limiter.perAddress('agentTokensPerAddress', 'token renewals from this address') }, (req, reply) => renew(deps, req, reply));

    scope.get('/Board', async (req, reply) => {
      const s = await supervisorFromBearer(deps, req);
      return json(reply, 200, await buildBoard(deps, s.accountSid, s.workspaceSid));
    });
    scope.get('/Board/Stream', async (req, reply) => {
      const s = await supervisorFromBearer(deps, req);
      const es = stream('board', s);
      boards.watch(s, es);
      return es.reply(reply);
    });
    scope.post('/Workers/:WorkerSid', async (req, reply) => {
      const s = await supervisorFromBearer(deps, req);
      const workerSid = (req.params as { WorkerSid: string }).WorkerSid;
      if (!isSid(workerSid, 'WK')) throw notFound(`/v1/Supervisor/Workers/${workerSid}`);
      const activitySid = bodyParams(req).sid('ActivitySid', 'WA', { required: true })!;
      // As the worker SDK's Supervisor.setWorkerActivity does it: through the workers service, as a token.
      const { worker, activity } = await deps.taskRouter.workers.update(s.accountSid, s.workspaceSid, workerSid, { activitySid, byToken: true });
      return json(reply, 200, {
        sid: worker.sid,
        friendly_name: worker.friendly_name,
        activity_sid: activity.sid,
        activity_name: activity.friendly_name,
        available: activity.available,
        activity_since: Number(worker.date_status_changed),
      });
    });

    scope.get('/Chats/:TaskSid', async (req, reply) => {
      const s = await supervisorFromBearer(deps, req);
      return json(reply, 200, await chatView(deps, s, await chatOf(deps, s, taskSid(req))));
    });
    scope.get('/Chats/:TaskSid/Stream', async (req, reply) => {
      const s = await supervisorFromBearer(deps, req);
      const chat = await chatOf(deps, s, taskSid(req));
      const es = stream('chat', s);
      chats.watch(s, chat, es);
      return es.reply(reply);
    });
    scope.post('/Chats/:TaskSid/Join', async (req, reply) => {
      const s = await supervisorFromBearer(deps, req);
      const chat = await chatOf(deps, s, taskSid(req));
      const { created } = await join(deps, s, chat);
      return json(reply, created ? 201 : 200, (await chatView(deps, s, chat)).meta);
    });
    scope.post('/Chats/:TaskSid/Leave', async (req, reply) => {
      const s = await supervisorFromBearer(deps, req);
      const chat = await chatOf(deps, s, taskSid(req));
      await leave(deps, s, chat);
      return json(reply, 200, (await chatView(deps, s, chat)).meta);
    });
    scope.post('/Chats/:TaskSid/Messages', async (req, reply) => {
      const s = await supervisorFromBearer(deps, req);
      const chat = await chatOf(deps, s, taskSid(req));
      const body = bodyParams(req).required('Body', { maxLength: MAX_BODY });
      return json(reply, 201, await say(deps, s, chat, body));
    });
  });
  return { boards, chats };
}

function json(reply: FastifyReply, status: number, body: unknown) {
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}
