import type { FastifyRequest } from 'fastify';
import { invalidParameter } from '../core/errors.ts';
import { Params } from '../http/params.ts';

/**
 * The board's POSTs take a form, as the rest of the API, or a JSON object of scalar values (handier
 * for a page's fetch): both become the same typed Params.
 */
export function bodyParams(req: FastifyRequest): Params {
  const body = req.body;
  if (body === undefined || body === null) return new Params(new URLSearchParams(), 'post body');
  if (body instanceof URLSearchParams) return new Params(body, 'post body');
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidParameter('The request body must be a form or a JSON object');
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.append(k, String(v));
    else if (v !== null) throw invalidParameter(`${k} must be a string`);
  }
  return new Params(out, 'post body');
}
