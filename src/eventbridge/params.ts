import { invalidParameter } from '../core/errors.ts';
import { Params } from '../http/params.ts';

/**
 * The envelope's `params` are JavaScript values (the SDK sends `Attributes` as an object, flags
 * as booleans), while the TaskRouter validators read form parameters. Objects become their JSON
 * text, arrays repeated keys, everything else its string, so the same validators (and the same
 * error messages) apply as over REST. The envelope was parsed by core's parseJson: no NUL, no
 * nesting deep enough to overflow JSON.stringify.
 */
export function envelopeParams(params: unknown): Params {
  const out = new URLSearchParams();
  if (params === undefined || params === null) return new Params(out, 'post body');
  if (typeof params !== 'object' || Array.isArray(params)) throw invalidParameter('The envelope field params must be an object');
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      out.append(name, typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
  }
  return new Params(out, 'post body');
}
