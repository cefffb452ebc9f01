// The tool-surface step of planning a stack (issue 13), shared by `plan` and the one pass of
// `apply`: compare the plan's artifacts with contextforge.lock and, for those that change, show
// what the new artifact lists (discovered in a sandbox); approval rules on surface changes
// apply. Prints nothing: the lock file's own diagnostics are returned.

import { resolveArtifacts } from '../backends/artifacts.js';
import { discoverSurface } from '../backends/sandbox.js';
import type { LoadedConfig } from '../config/index.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import { catalogChanges, catalogPinsOf } from '../lock/catalog.js';
import { lockPathFor, readLock } from '../lock/file.js';
import { isRuntimeAddress, type DesiredResource, type Plan } from '../model/resources.js';
import { discoverSurfaces, holdSurfaceChanges } from './surface.js';

export async function addSurfaces(input: {
  config: LoadedConfig;
  plan: Plan;
  desired: readonly DesiredResource[];
  /** false (`--no-discover`): no sandbox is started. */
  discover: boolean;
}): Promise<Diagnostic[]> {
  const { config, plan } = input;
  // Runtimes only: the gateway deployed to Code Engine (gateway.deploy) is this product itself.
  const desired = input.desired.filter((d) => isRuntimeAddress(d.address));
  const lock = readLock(lockPathFor(config.path));
  const pins = await resolveArtifacts(desired, { backends: config.backends });
  const ctx = { backends: config.backends, configDir: config.dir };
  const reports = await discoverSurfaces({
    plan,
    desired,
    lock: lock.value,
    pins,
    discover: input.discover ? (d) => discoverSurface(d, ctx) : undefined,
  });
  if (reports.length) plan.surfaces = reports;
  // A registry that changed an entry since the lock pinned it shows here until the lock is refreshed.
  const catalog = catalogChanges(lock.value?.catalog, catalogPinsOf(config), lock.value !== undefined);
  if (catalog.length) plan.catalog = catalog;
  holdSurfaceChanges(plan, desired, config.approval);
  return lock.diags;
}
