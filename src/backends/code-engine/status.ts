// Runtime status details that need one call per app (instances: restarts, start time). Used by
// the status verb only, never on the plan path, which must stay O(1) in the number of apps.

import type { ObservedResource } from '../../model/resources.js';
import type { ProjectClient } from './client.js';

export async function inspectInstances(
  project: ProjectClient,
  observed: readonly ObservedResource[],
): Promise<ObservedResource[]> {
  return Promise.all(
    observed.map(async (o) => {
      const app = o.native?.app;
      if (typeof app !== 'string') return o;
      const instances = await project.apps.listInstances(app).catch(() => undefined);
      if (!instances) return o;
      const restarts = instances.reduce((n, i) => n + (i.status_details?.restarts ?? 0), 0);
      const started = instances
        .map((i) => i.status_details?.user_container?.current_state?.started_at ?? i.created_at)
        .filter((t): t is string => !!t)
        .sort()[0];
      const running = instances.filter((i) => i.status === 'running').length;
      return {
        ...o,
        restarts,
        ...(started ? { startedAt: started } : {}),
        live: { ...o.live, instances: instances.length, runningInstances: running },
      };
    }),
  );
}
