import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isoDate } from '../../../core/clock.ts';
import { TwilioError, invalidParameter, notFound, payloadTooLarge } from '../../../core/errors.ts';
import { parseJson } from '../../../core/input.ts';
import { authTokenOf } from '../../../store/outbox.ts';
import { TokenRefused } from '../../../twilsock/endpoint.ts';
import { participants } from '../../model.ts';
import type { SdkApi } from '../api.ts';
import { authenticate, type SdkPrincipal } from '../principal.ts';
import { MAX_MEDIA_BYTES, insertMedia, mediaContent, mediaRow, type MediaRow } from './store.ts';

export const MEDIA_PREFIX = '/mcs/v1/Services';
/** How long a content URL handed out works (Twilio: a few minutes). */
const TEMPORARY_URL_MS = 5 * 60_000;

/**
 * The media service the SDK uploads to and reads from over plain HTTP (links.media_service, the
 * X-Twilio-Token header carrying its access token): POST Media takes the bytes with their
 * Content-Type (Filename and Category in the query), GET Media/{Sid} describes one with a
 * temporary content URL (signed, so an <img> can load it without the token), POST MediaSet
 * describes several. Media are read by their uploader and by the participants of the conversation
 * whose message carries them. CORS is open: every call carries a token.
 */
export function mediaRoutes(app: FastifyInstance, api: SdkApi): void {
  app.register(
    async (scope) => {
      await scope.register(cors, { origin: true, methods: ['GET', 'POST'], allowedHeaders: ['X-Twilio-Token', 'Content-Type'], maxAge: 600, strictPreflight: false });
      // The body is the file as it is, whatever its type (the app's own parsers read forms and JSON).
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_MEDIA_BYTES }, (_req, body, done) => done(null, body));
      scope.setErrorHandler(async (error: Error & { code?: string; statusCode?: number }, req, reply) => {
        if (error instanceof TwilioError) return send(reply, error);
        if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, payloadTooLarge());
        if (typeof error.statusCode === 'number' && error.statusCode < 500) return send(reply, new TwilioError(20001, 400, error.message));
        req.log.error(error);
        return send(reply, new TwilioError(20500, 500, 'An internal server error occurred'));
      });

      scope.post('/:ServiceSid/Media', async (req, reply) => {
        const p = await principalOf(api, req);
        const bytes = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
        if (bytes.length === 0) throw invalidParameter('The media is empty');
        const q = req.query as Record<string, string | undefined>;
        const category = q.Category ?? 'media';
        if (!['media', 'body', 'history'].includes(category)) throw invalidParameter("Invalid Category: must be media, body or history");
        const filename = q.Filename ?? null;
        if (filename !== null && filename.length > 256) throw invalidParameter('Filename is longer than 256 characters');
        const contentType = (req.headers['content-type'] ?? 'application/octet-stream').slice(0, 256);
        const row = await insertMedia(
          api.db,
          { account_sid: p.accountSid, chat_service_sid: p.serviceSid, author: p.identity, category, content_type: contentType, filename, size: bytes.length, date_created: api.clock.now() },
          bytes,
        );
        return reply.code(201).send(await record(api, req, row));
      });

      scope.get('/:ServiceSid/Media/:Sid', async (req) => {
        const p = await principalOf(api, req);
        return record(api, req, await readableMedia(api, p, (req.params as { Sid: string }).Sid));
      });

      scope.post('/:ServiceSid/MediaSet', async (req) => {
        const p = await principalOf(api, req);
        const text = req.body instanceof Buffer ? req.body.toString('utf8') : '';
        const query = parseJson(text, 'request body') as { command?: unknown; list?: unknown };
        if (!query || query.command !== 'get' || !Array.isArray(query.list) || query.list.length > 100)
          throw invalidParameter("Invalid request body: must be {command: 'get', list: [{media_sid}...]} with at most 100 items");
        const out = [];
        for (const item of query.list as { media_sid?: unknown }[]) {
          const sid = typeof item?.media_sid === 'string' ? item.media_sid : '';
          try {
            out.push({ code: 200, media_record: await record(api, req, await readableMedia(api, p, sid)) });
          } catch (err) {
            if (!(err instanceof TwilioError)) throw err;
            out.push({ code: err.status, media_record: { sid } });
          }
        }
        return out;
      });

      scope.get('/:ServiceSid/Media/:Sid/Content', async (req, reply) => {
        const { ServiceSid: serviceSid, Sid: sid } = req.params as { ServiceSid: string; Sid: string };
        const q = req.query as Record<string, string | undefined>;
        let row: MediaRow | undefined;
        if (req.headers['x-twilio-token']) row = await readableMedia(api, await principalOf(api, req), sid);
        else {
          row = await mediaRow(api.db, serviceSid, sid);
          if (!row || !(await signatureHolds(api, row, q.Expires, q.Signature))) throw new TwilioError(20403, 403, 'The content URL is not valid (or no longer)');
        }
        const bytes = await mediaContent(api.db, row.sid);
        if (!bytes) throw notFound(req.url.split('?')[0]);
        return reply
          .header('content-type', row.content_type)
          .header('cache-control', 'private, max-age=300')
          .header('content-disposition', row.filename ? `inline; filename*=UTF-8''${encodeURIComponent(row.filename)}` : 'inline')
          .send(bytes);
      });
    },
    { prefix: MEDIA_PREFIX },
  );
}

function send(reply: FastifyReply, e: TwilioError) {
  return reply.code(e.status).type('application/json').send(JSON.stringify({ code: e.code, message: e.message, more_info: e.moreInfo, status: e.status }));
}

/** The caller's access token (X-Twilio-Token), for the service in the path. */
async function principalOf(api: SdkApi, req: FastifyRequest): Promise<SdkPrincipal> {
  const token = req.headers['x-twilio-token'];
  let p: SdkPrincipal;
  try {
    p = await authenticate(api.conversations, typeof token === 'string' ? token : '', null);
  } catch (err) {
    if (err instanceof TokenRefused) throw new TwilioError(err.errorCode, 401, err.message);
    throw err;
  }
  if ((req.params as { ServiceSid: string }).ServiceSid !== p.serviceSid) throw notFound(req.url.split('?')[0]);
  return p;
}

/** Media the principal may read: its own uploads, and those of messages in conversations it is in. */
async function readableMedia(api: SdkApi, p: SdkPrincipal, sid: string): Promise<MediaRow> {
  const row = await mediaRow(api.db, p.serviceSid, sid);
  if (!row || row.account_sid !== p.accountSid) throw notFound(`${MEDIA_PREFIX}/${p.serviceSid}/Media/${sid}`);
  if (row.author === p.identity) return row;
  if (row.conversation_sid && (await participants.first(api.db, ['conversation_sid = ?', row.conversation_sid], ['identity = ?', p.identity]))) return row;
  throw new TwilioError(20403, 403, `Media ${sid} is not readable by '${p.identity}'`);
}

async function signature(api: SdkApi, row: MediaRow, expires: string): Promise<string | undefined> {
  const key = await authTokenOf(api.db, row.account_sid);
  return key === undefined ? undefined : createHmac('sha256', key).update(`${row.sid}:${expires}`).digest('base64url');
}

async function signatureHolds(api: SdkApi, row: MediaRow, expires: string | undefined, given: string | undefined): Promise<boolean> {
  if (!expires || !/^\d{1,13}$/.test(expires) || Number(expires) < api.clock.now() || !given) return false;
  const expected = await signature(api, row, expires);
  if (expected === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A media record as MCS gives it, with a content URL that works for a few minutes without the token. */
async function record(api: SdkApi, req: FastifyRequest, row: MediaRow) {
  const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? req.protocol;
  const base = `${proto}://${req.headers.host}${MEDIA_PREFIX}/${row.chat_service_sid}/Media/${row.sid}`;
  const expires = String(api.clock.now() + TEMPORARY_URL_MS);
  const sig = await signature(api, row, expires);
  return {
    sid: row.sid,
    account_sid: row.account_sid,
    service_sid: row.chat_service_sid,
    channel_sid: row.conversation_sid,
    message_sid: row.message_sid,
    author: row.author,
    category: row.category,
    content_type: row.content_type,
    filename: row.filename,
    size: Number(row.size),
    date_created: isoDate(row.date_created),
    date_upload_updated: isoDate(row.date_created),
    date_updated: isoDate(row.date_created),
    is_multipart_upstream: false,
    url: base,
    links: {
      content: `${MEDIA_PREFIX}/${row.chat_service_sid}/Media/${row.sid}/Content`,
      content_direct_temporary: sig ? `${base}/Content?Expires=${expires}&Signature=${sig}` : null,
    },
  };
}
