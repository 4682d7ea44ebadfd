import { invalidParameter } from '../core/errors.ts';
import { JSON_LIMITS, parseJson } from '../core/input.ts';
import { isSid } from '../core/sid.ts';

/**
 * Typed access to Twilio-style parameters: PascalCase names, form-encoded values, arrays as
 * repeated keys, dotted names kept as they are. Every accessor rejects bad input with 20001.
 */
export class Params {
  constructor(
    private readonly source: URLSearchParams,
    private readonly where: 'post body' | 'query',
  ) {}

  has(name: string): boolean {
    return this.source.has(name);
  }

  names(): string[] {
    return [...new Set(this.source.keys())];
  }

  all(name: string): string[] {
    return this.source.getAll(name);
  }

  string(name: string, opts: { required?: boolean; nonEmpty?: boolean; maxLength?: number; allowEmpty?: boolean } = {}): string | undefined {
    const value = this.source.get(name);
    if (value === null) {
      if (opts.required) throw invalidParameter(`Missing required parameter ${name} in the ${this.where}`);
      return undefined;
    }
    if ((opts.required || opts.nonEmpty) && value.trim() === '' && !opts.allowEmpty) throw invalidParameter(`${name} must not be empty`);
    if (opts.maxLength !== undefined && value.length > opts.maxLength)
      throw invalidParameter(`${name} is ${value.length} characters long; the limit is ${opts.maxLength}`);
    return value;
  }

  required(name: string, opts: { maxLength?: number } = {}): string {
    return this.string(name, { ...opts, required: true }) as string;
  }

  bool(name: string): boolean | undefined {
    const value = this.source.get(name);
    if (value === null) return undefined;
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw invalidParameter(`Invalid ${name} parameter: '${value}' is not a boolean (true or false)`);
  }

  int(name: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const value = this.source.get(name);
    if (value === null) return undefined;
    if (!/^-?\d+$/.test(value.trim())) throw invalidParameter(`Invalid ${name} parameter: '${value}' is not an integer`);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw invalidParameter(`Invalid ${name} parameter: ${value} is too large`);
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max))
      throw invalidParameter(`Invalid ${name} parameter: ${n} is outside ${opts.min ?? '-∞'}..${opts.max ?? '∞'}`);
    return n;
  }

  enum<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.source.get(name);
    if (value === null) return undefined;
    const match = values.find((v) => v.toLowerCase() === value.toLowerCase());
    if (!match) throw invalidParameter(`Invalid ${name} parameter: '${value}' is not one of ${values.join(', ')}`);
    return match;
  }

  sid(name: string, prefix: string, opts: { required?: boolean } = {}): string | undefined {
    const value = this.string(name, opts);
    if (value === undefined) return undefined;
    if (!isSid(value, prefix)) throw invalidParameter(`Invalid ${name} parameter: '${value}' is not a ${prefix} SID`);
    return value;
  }

  url(name: string): string | undefined {
    const value = this.source.get(name);
    if (value === null || value === '') return value === '' ? '' : undefined;
    let ok = false;
    try {
      const u = new URL(value);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) throw invalidParameter(`Invalid ${name} parameter: '${value}' is not an absolute http(s) URL`);
    return value;
  }

  /** A parameter carrying JSON text (within core's JSON limits); returns the raw text and the parsed value. */
  json(name: string, opts: { required?: boolean; maxLength?: number; object?: boolean } = {}): { text: string; value: unknown } | undefined {
    const text = this.string(name, { required: opts.required, maxLength: opts.maxLength ?? JSON_LIMITS.parameterLength });
    if (text === undefined) return undefined;
    const value = parseJson(text, `${name} parameter`);
    if (opts.object && (value === null || typeof value !== 'object' || Array.isArray(value)))
      throw invalidParameter(`Invalid ${name} parameter: must be a JSON object`);
    return { text, value };
  }
}

/** Names are optional on update but, when given, must say something. */
export function name(p: Params, param = 'FriendlyName'): string | undefined {
  return p.string(param, { nonEmpty: true, maxLength: 64 });
}
