import { invalidParameter } from '../../core/errors.ts';
import { JSON_LIMITS, parseJson, refuseNul } from '../../core/input.ts';
import type { TwilsockSession } from '../../twilsock/session.ts';
import { decode, type UpstreamRequest, type UpstreamResponse } from '../../twilsock/upstream.ts';
import type { SdkPrincipal } from './principal.ts';

/** What a handler of a tunnelled SDK request sees: who asks, and the request, parsed. */
export interface SdkCtx {
  principal: SdkPrincipal;
  session: TwilsockSession<SdkPrincipal>;
  req: UpstreamRequest;
  params: Record<string, string>;
  body: SdkBody;
  /** https://<host the SDK addressed>, for links it follows back through the socket. */
  base: string;
}

export type SdkHandler = (ctx: SdkCtx) => Promise<UpstreamResponse>;

export interface SdkRoute {
  method: UpstreamRequest['method'];
  /** With :Param segments, e.g. /Client/v2/Services/:ServiceSid/Conversations/:Sid */
  path: string;
  handler: SdkHandler;
}

/** The routes of one tunnelled service, matched segment by segment (each decoded on its own). */
export class SdkRouter {
  private readonly table: { route: SdkRoute; parts: string[] }[];

  constructor(routes: SdkRoute[]) {
    this.table = routes.map((route) => ({ route, parts: route.path.split('/') }));
  }

  /** The route and its parameters; 'method' when only the method is wrong; null when nothing matches. */
  match(method: string, path: string): { route: SdkRoute; params: Record<string, string> } | 'method' | null {
    const parts = path.replace(/\/+$/, '').split('/');
    let wrongMethod = false;
    for (const { route, parts: pattern } of this.table) {
      if (pattern.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        if (pattern[i].startsWith(':')) {
          params[pattern[i].slice(1)] = decode(parts[i], 'path');
          ok = parts[i] !== '';
        } else ok = pattern[i] === parts[i];
      }
      if (!ok) continue;
      if (route.method === method) return { route, params };
      wrongMethod = true;
    }
    return wrongMethod ? 'method' : null;
  }
}

/**
 * The body of a tunnelled request: JSON (the client API and Sync), or a form (typing). Keys are the
 * SDK's snake_case names; every accessor refuses a wrong type with 20001.
 */
export class SdkBody {
  private constructor(private readonly values: Record<string, unknown>) {}

  static of(req: UpstreamRequest): SdkBody {
    if (req.body === '') return new SdkBody({});
    if (/^application\/x-www-form-urlencoded/i.test(req.contentType)) {
      const form = new URLSearchParams(req.body);
      const out: Record<string, unknown> = {};
      for (const [k, v] of form) {
        refuseNul(v, k);
        out[k] = v;
      }
      return new SdkBody(out);
    }
    const v = parseJson(req.body, 'request body');
    if (v === null) return new SdkBody({});
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidParameter('Invalid request body: must be a JSON object');
    return new SdkBody(v as Record<string, unknown>);
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** A string; null counts as absent unless `nullable`. */
  string(name: string, opts: { maxLength?: number; required?: boolean } = {}): string | undefined {
    const v = this.values[name];
    if (v === undefined || v === null) {
      if (opts.required) throw invalidParameter(`Missing required parameter ${name}`);
      return undefined;
    }
    if (typeof v !== 'string') throw invalidParameter(`Invalid ${name}: must be a string`);
    if (opts.maxLength !== undefined && v.length > opts.maxLength) throw invalidParameter(`${name} is ${v.length} characters long; the limit is ${opts.maxLength}`);
    return v;
  }

  /** JSON text (attributes), within the JSON limits; `maxLength` is the resource's own limit. */
  jsonText(name: string, maxLength: number = JSON_LIMITS.parameterLength): string | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (text.length > maxLength) throw invalidParameter(`${name} is ${text.length} characters long; the limit is ${maxLength}`);
    parseJson(text, name);
    return text;
  }

  /** A non-negative integer, or null when the body says null (undefined when absent). */
  index(name: string): number | null | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (v === null) return null;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalidParameter(`Invalid ${name}: must be a non-negative integer`);
    return n;
  }

  strings(name: string): string[] | undefined {
    const v = this.values[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidParameter(`Invalid ${name}: must be an array of strings`);
    return v as string[];
  }

  object(name: string): Record<string, unknown> | undefined {
    const v = this.values[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidParameter(`Invalid ${name}: must be an object`);
    return v as Record<string, unknown>;
  }

  /** The raw value (Sync's `data`, the subscription requests). */
  raw(name: string): unknown {
    return this.values[name];
  }
}

/** 200 with a JSON body (201 for created). */
export const ok = (body: unknown, status = 200): UpstreamResponse => ({ status, body });
