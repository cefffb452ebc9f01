// Deleting one runtime from Code Engine: its app (only with our mark), awaited until it is gone
// because Code Engine deletes asynchronously, then its generic secret (only with our mark) and
// its build with the build's runs. Never touches anything without our mark.

import { error } from '../../diag/diagnostic.js';
import type { Change } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome } from '../backend.js';
import { pruneBuildRuns } from './builds.js';
import type { ProjectClient } from './client.js';
import { appName, buildName, secretName } from './names.js';
import { isOwnedApp, isOwnedSecret } from './observe.js';

export interface RemoveInput {
  change: Change;
  ctx: ApplyContext;
  project: () => Promise<ProjectClient>;
  pollMs: number;
  /** Upper bound of the wait for the deleted app to answer 404. */
  deleteTimeoutMs: number;
  onAppDeleted?: () => void;
  onSecretDeleted?: (name: string) => void;
}

export async function removeRuntime(input: RemoveInput): Promise<ApplyOutcome> {
  const { change, ctx } = input;
  const o = change.observed;
  const stack = ctx.stack;
  const runtime = o?.runtime ?? change.address.replace(/^runtime\./, '');
  const project = await input.project();
  const app = appName(stack, runtime);
  if (o?.native?.app) {
    ctx.progress(`deleting app ${app}`);
    const cur = await project.apps.find(app);
    if (cur && isOwnedApp(cur.value, stack)) {
      await project.apps.delete(app, { ignoreNotFound: true });
      // Deletion is asynchronous on Code Engine: an apply right after must not POST into (409)
      // or patch a dying app, so the delete is done only once the app is gone.
      ctx.progress(`waiting for app ${app} to be gone`);
      const gone = await project.apps.waitUntilGone(app, {
        intervalMs: input.pollMs,
        timeoutMs: input.deleteTimeoutMs,
        signal: ctx.signal,
      });
      if (!gone)
        return {
          status: 'failed',
          retryable: true,
          diags: [
            error('ce.delete-timeout', `Code Engine app ${app} of ${change.address} is still being deleted`, {
              address: change.address,
              detail: `Code Engine deletes apps asynchronously; it was still there ${Math.round(input.deleteTimeoutMs / 1000)}s after the delete was accepted. Apply (or destroy) again to keep waiting; check the app with \`ibmcloud ce app get --name ${app}\`.`,
            }),
          ],
        };
    }
    input.onAppDeleted?.();
  }
  const sName = secretName(stack, runtime);
  const s = await project.secrets.find(sName);
  if (s && isOwnedSecret(s.value, stack)) {
    ctx.progress(`deleting secret ${sName}`);
    await project.secrets.delete(sName, { ignoreNotFound: true });
    input.onSecretDeleted?.(sName);
  }
  const build = buildName(stack, runtime);
  if (await project.builds.find(build)) {
    ctx.progress(`deleting build ${build}`);
    // Its finished runs first: nothing documents that a build's runs go with it.
    await pruneBuildRuns(project, build, 0);
    await project.builds.delete(build, { ignoreNotFound: true });
  }
  return { status: 'deleted', diags: [] };
}
