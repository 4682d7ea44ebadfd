import { invalidParameter } from '../core/errors.ts';
import type { Ctx } from '../http/context.ts';
import { Params } from '../http/params.ts';

/** An admin request's fields: a form (as Twilio's API) or a JSON object of strings, the same Params either way. */
export function fields(ctx: Ctx): Params {
  if (ctx.json === undefined) return ctx.body;
  if (!ctx.json || typeof ctx.json !== 'object' || Array.isArray(ctx.json)) throw invalidParameter('The request body must be a form or a JSON object');
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(ctx.json as Record<string, unknown>)) {
    if (typeof v !== 'string') throw invalidParameter(`${k} must be a string`);
    out.append(k, v);
  }
  return new Params(out, 'post body');
}
