/**
 * A workflow configuration as a seed writes it: Twilio's document, with each target's `queue` (and the
 * default_filter's) naming a task queue by friendly_name; a WQ SID is taken as it is.
 */
export type RawConfiguration = { task_routing?: { filters?: unknown; default_filter?: unknown } } & Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Every queue the configuration names, with where. */
export function queueRefs(config: RawConfiguration): { path: string; value: string }[] {
  const out: { path: string; value: string }[] = [];
  const routing = config.task_routing;
  if (!isObject(routing)) return out;
  if (Array.isArray(routing.filters))
    routing.filters.forEach((f, i) => {
      if (isObject(f) && Array.isArray(f.targets))
        f.targets.forEach((t, j) => {
          if (isObject(t) && typeof t.queue === 'string') out.push({ path: `task_routing.filters[${i}].targets[${j}].queue`, value: t.queue });
        });
    });
  const d = routing.default_filter;
  if (isObject(d) && typeof d.queue === 'string') out.push({ path: 'task_routing.default_filter.queue', value: d.queue });
  return out;
}

/** A copy of the configuration with each queue name replaced by what `sid` gives for it. */
export function withQueueSids(config: RawConfiguration, sid: (name: string) => string): RawConfiguration {
  const copy = structuredClone(config);
  const routing = copy.task_routing;
  if (!isObject(routing)) return copy;
  const swap = (t: unknown) => {
    if (isObject(t) && typeof t.queue === 'string') t.queue = sid(t.queue);
  };
  if (Array.isArray(routing.filters)) for (const f of routing.filters) if (isObject(f) && Array.isArray(f.targets)) f.targets.forEach(swap);
  swap(routing.default_filter);
  return copy;
}
