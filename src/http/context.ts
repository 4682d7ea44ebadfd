import type { Params } from './params.ts';

/** What a resource handler sees of a request: already authenticated, parsed and typed. */
export interface Ctx {
  method: string;
  /** The product-relative path, e.g. /v1/Workspaces/WS... */
  path: string;
  params: Record<string, string>;
  body: Params;
  /** The parsed body of an application/json request (undefined for form bodies). */
  json?: unknown;
  query: Params;
  header(name: string): string | undefined;
  accountSid: string;
  /** Absolute base URL of the product as the caller reached it, e.g. http://127.0.0.1:3000/taskrouter */
  base: string;
}

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (ctx: Ctx) => Promise<Reply>;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Product-relative path with :Param segments, e.g. /v1/Workspaces/:Sid */
  path: string;
  handler: Handler;
}

export interface Product {
  /** Path prefix and twilio.com host name of the product, e.g. taskrouter */
  name: string;
  routes: Route[];
}
