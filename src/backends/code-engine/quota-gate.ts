// The apply-time quota gate of one Code Engine backend: before each write it reserves room in
// the project's app and revision quotas, from the census of the last observe (or one list call
// when apply runs without it), and refuses the write that would exceed them. No API write here.

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import { CE_APPS_PER_PROJECT } from '../../config/index.js';
import type { ProjectClient } from './client.js';
import { revisionNumber, type ProjectCensus } from './observe.js';
import { CE_REVISIONS_PER_PROJECT } from './quota.js';

/** Revisions of the named apps, one list call per app (only near the revision quota). */
export async function countRevisions(project: ProjectClient, names: readonly string[]): Promise<number> {
  const counts = await Promise.all(names.map((n) => project.apps.listRevisions(n).then((r) => r.length)));
  return counts.reduce((a, b) => a + b, 0);
}

export class QuotaGate {
  private census: ProjectCensus | undefined;
  private censusPromise: Promise<ProjectCensus> | undefined;
  private exactRevisions: Promise<number> | undefined;
  private readonly reserved = { apps: 0, revisions: 0 };

  /** Starts a new run from a fresh census (observe's own list answers): nothing reserved yet. */
  reset(census: ProjectCensus): void {
    this.census = census;
    this.exactRevisions = undefined;
    this.reserved.apps = 0;
    this.reserved.revisions = 0;
  }

  /** One app fewer in the project (after a delete). */
  removed(): void {
    if (this.census) this.census.apps = Math.max(0, this.census.apps - 1);
  }

  /** Reserves room for one write or returns why there is none. */
  async reserve(project: ProjectClient, kind: 'create' | 'patch', address: string): Promise<Diagnostic | undefined> {
    const c = await this.current(project);
    if (kind === 'create' && c.apps + this.reserved.apps + 1 > CE_APPS_PER_PROJECT) {
      return error(
        'ce.quota-apps',
        `creating ${address} would exceed the ${CE_APPS_PER_PROJECT}-app quota of the Code Engine project`,
        {
          address,
          detail: `The project holds ${c.apps} apps. Nothing was written. Delete unused apps or move runtimes to another project.`,
        },
      );
    }
    if (c.revisionsUpperBound + this.reserved.revisions + 1 > CE_REVISIONS_PER_PROJECT) {
      this.exactRevisions ??= countRevisions(project, c.appNames);
      const exact = await this.exactRevisions;
      if (exact + this.reserved.revisions + 1 > CE_REVISIONS_PER_PROJECT) {
        return error(
          'ce.quota-revisions',
          `${kind === 'create' ? 'creating' : 'patching'} ${address} would exceed the ${CE_REVISIONS_PER_PROJECT}-revision quota of the Code Engine project`,
          {
            address,
            detail: `The project holds ${exact} revisions. Nothing was written. Delete old revisions or unused apps first.`,
          },
        );
      }
    }
    if (kind === 'create') this.reserved.apps += 1;
    this.reserved.revisions += 1;
    return undefined;
  }

  private current(project: ProjectClient): Promise<ProjectCensus> {
    if (this.census) return Promise.resolve(this.census);
    this.censusPromise ??= project.apps.list().then((apps) => {
      const census: ProjectCensus = {
        apps: apps.length,
        revisionsUpperBound: apps.reduce(
          (n, a) => n + Math.max(1, revisionNumber(a.status_details?.latest_created_revision)),
          0,
        ),
        appNames: apps.map((a) => a.name),
      };
      this.census = census;
      this.censusPromise = undefined;
      return census;
    });
    return this.censusPromise;
  }
}
