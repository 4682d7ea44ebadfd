import type { Route } from '../../http/context.ts';

/**
 * A route at account level (/v1/...) and its service-scoped twin (/v1/Services/:ChatServiceSid/...),
 * served by the same handler; the handler reads ctx.params.ChatServiceSid to tell them apart.
 */
export function twins(route: Route): Route[] {
  return [route, { ...route, path: route.path.replace(/^\/v1\//, '/v1/Services/:ChatServiceSid/') }];
}
