// Quota pre-flight of a Code Engine project (40 apps, 120 revisions across all apps), from the
// census the list calls already returned. Revisions are bounded from the apps list; only when
// that bound is near the quota are they counted exactly (one revisions list per app).

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import { CE_APPS_PER_PROJECT } from '../../config/index.js';
import type { ProjectCensus } from './observe.js';

export const CE_REVISIONS_PER_PROJECT = 120;

export interface QuotaNeed {
  /** Apps that will be created. */
  newApps: number;
  /** Apps of ours that will be deleted. */
  removedApps: number;
  /** Revisions the writes will add (one per create or app patch). */
  newRevisions: number;
}

export interface QuotaCheckInput {
  census: ProjectCensus;
  need: QuotaNeed;
  backend: string;
  project: string;
  /** Exact revision count of the project (called only when the bound is too high). */
  countRevisions: () => Promise<number>;
}

export async function quotaDiagnostics(input: QuotaCheckInput): Promise<Diagnostic[]> {
  const { census, need, backend } = input;
  const diags: Diagnostic[] = [];
  const apps = census.apps - need.removedApps + need.newApps;
  if (need.newApps > 0 && apps > CE_APPS_PER_PROJECT) {
    diags.push(
      error(
        'ce.quota-apps',
        `Code Engine project ${input.project} of backend ${backend} would hold ${apps} apps, above its quota of ${CE_APPS_PER_PROJECT}`,
        {
          detail: `The project already has ${census.apps} apps (contextforge's and others'); this plan creates ${need.newApps}. Nothing was written. Delete unused apps or move runtimes to another project.`,
        },
      ),
    );
  }
  if (need.newRevisions > 0 && census.revisionsUpperBound + need.newRevisions > CE_REVISIONS_PER_PROJECT) {
    const exact = await input.countRevisions();
    if (exact + need.newRevisions > CE_REVISIONS_PER_PROJECT) {
      diags.push(
        error(
          'ce.quota-revisions',
          `Code Engine project ${input.project} of backend ${backend} would hold ${exact + need.newRevisions} app revisions, above its quota of ${CE_REVISIONS_PER_PROJECT}`,
          {
            detail: `The project holds ${exact} revisions; this plan adds ${need.newRevisions}. Nothing was written. Delete old revisions (ibmcloud ce revision delete) or unused apps first.`,
          },
        ),
      );
    }
  }
  return diags;
}
