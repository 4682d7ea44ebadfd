import type { Params } from '../http/params.ts';
import type { TokenSession } from './session.ts';

/** One envelope, authenticated: what the SDK asked for and on whose behalf. */
export interface Call {
  session: TokenSession;
  method: string;
  url: string;
  apiVersion: string;
  params: Params;
  ifMatch?: string;
}
