import { invalidParameter } from '../core/errors.ts';
import type { Product, Route } from '../http/context.ts';
import type { ExplainService } from '../taskrouter/service/explain.ts';
import { widgetRoutes } from '../webchat/widget-routes.ts';
import type { WidgetService } from '../webchat/widgets.ts';

/** Switchyard's own API, beside Twilio's: explaining routing, web chat widgets, and (twin.ts) the clock, resets and seeds. */
export function switchyardProduct(opts: {
  explain: ExplainService;
  /** Web chat widgets (/v1/WebChat/Widgets). */
  widgets?: WidgetService;
  /** More routes of Switchyard's own API (agent credentials, the twin's), under the same Basic auth. */
  routes?: Route[];
}): Product {
  const routes: Route[] = [
    {
      method: 'GET',
      path: '/v1/Workspaces/:WorkspaceSid/Tasks/:TaskSid/Explain',
      handler: async (ctx) => {
        const workerSids = ctx.query.all('WorkerSid');
        for (const s of workerSids) if (!/^WK[0-9a-fA-F]{32}$/.test(s)) throw invalidParameter(`Invalid WorkerSid: ${s}`);
        return { body: await opts.explain.explain(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.TaskSid, workerSids) };
      },
    },
  ];
  if (opts.widgets) routes.push(...widgetRoutes(opts.widgets));
  if (opts.routes) routes.push(...opts.routes);
  return { name: 'switchyard', routes };
}
