import type { Ctx, Reply } from './context.ts';
import { invalidParameter } from '../core/errors.ts';

export interface PageRequest {
  pageSize: number;
  page: number;
  offset: number;
}

/** Far beyond any real list; keeps offsets exact integers in SQL. */
const MAX_OFFSET = 1_000_000_000;

const PAGING = new Set(['PageSize', 'Page', 'PageToken']);

/** Reads PageSize / Page / PageToken. The token is opaque to clients; ours carries the offset. */
export function pageRequest(ctx: Ctx, maxPageSize = 1000): PageRequest {
  const pageSize = ctx.query.int('PageSize', { min: 1, max: maxPageSize }) ?? 50;
  const page = ctx.query.int('Page', { min: 0, max: MAX_OFFSET }) ?? 0;
  const token = ctx.query.string('PageToken');
  let offset = page * pageSize;
  if (token !== undefined) {
    const m = /^PT(\d+)$/.exec(token);
    if (!m) throw invalidParameter(`Invalid PageToken parameter: '${token}'`);
    offset = Number(m[1]);
  }
  if (!Number.isSafeInteger(offset) || offset > MAX_OFFSET) throw invalidParameter('Invalid paging: the requested page is beyond any list');
  return { pageSize, page, offset };
}

/**
 * The list envelope. Items are fetched with one extra row so that we know whether a next page
 * exists without counting. Filters are echoed into every meta URL, as Twilio does.
 */
export function pageReply(ctx: Ctx, key: string, rows: unknown[], req: PageRequest): Reply {
  const hasMore = rows.length > req.pageSize;
  const items = hasMore ? rows.slice(0, req.pageSize) : rows;
  const filters = ctx.query.names().filter((n) => !PAGING.has(n));
  const url = (page: number, offset?: number) => {
    const q = new URLSearchParams();
    for (const n of filters) for (const v of ctx.query.all(n)) q.append(n, v);
    q.set('PageSize', String(req.pageSize));
    q.set('Page', String(page));
    if (offset !== undefined && offset > 0) q.set('PageToken', `PT${offset}`);
    return `${ctx.base}${ctx.path}?${q.toString()}`;
  };
  const prevOffset = Math.max(0, req.offset - req.pageSize);
  return {
    status: 200,
    body: {
      [key]: items,
      meta: {
        page: req.page,
        page_size: req.pageSize,
        first_page_url: url(0),
        previous_page_url: req.offset > 0 ? url(Math.max(0, req.page - 1), prevOffset) : null,
        next_page_url: hasMore ? url(req.page + 1, req.offset + req.pageSize) : null,
        key,
        url: url(req.page, req.offset),
      },
    },
  };
}
