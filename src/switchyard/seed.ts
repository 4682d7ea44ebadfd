import { invalidParameter } from '../core/errors.ts';
import type { Route } from '../http/context.ts';
import { applySeed, type SeedDeps } from './seed/apply.ts';
import { seedOrError } from './seed/document.ts';

/**
 * POST /switchyard/v1/Seed: applies a seed (the JSON document SWITCHYARD_SEED names, sent as application/json) to the
 * caller's account, and answers with every entry's SID by name. Applying it again changes nothing.
 */
export function seedRoutes(deps: SeedDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/Seed',
      handler: async (ctx) => {
        if (ctx.json === undefined) throw invalidParameter('Send the seed as a JSON document (Content-Type: application/json)');
        return { body: await applySeed(deps, ctx.accountSid, seedOrError(ctx.json)) };
      },
    },
  ];
}
