// The image a runtime runs on Code Engine and the app it wants: a docker source's image as is, a
// GitHub source's the build image of its pinned commit (builds.ts names it). Pure: it resolves no
// ref; upsert.ts pins a ref still unpinned for one change and passes the commit in.

import { GATEWAY_DEPLOY_ADDRESS, type DesiredResource } from '../../model/resources.js';
import { repoUrl } from '../../sources/github/repo.js';
import { builtImage } from './builds.js';
import { desiredApp, type ManagedApp } from './desired-app.js';
import type { CodeEngineEnv } from './env.js';
import { withGatewayFields } from './gateway-app.js';

type SourceEnv = Pick<CodeEngineEnv, 'config' | 'configDir' | 'github'>;

/** Where a GitHub source's repository is and which ref (or commit) of it; none for other sources. */
export function sourceKey(env: SourceEnv, d: DesiredResource): { url: string; ref: string } | undefined {
  const s = d.spec.source;
  if (s.type !== 'github') return undefined;
  return {
    url: repoUrl({ repo: s.repo, baseUrl: env.github?.base_url, configDir: env.configDir }),
    ref: s.commit ?? s.ref,
  };
}

/** The image a runtime runs: its docker image, or the build of its pinned (or `resolved`) commit. */
export function imageOf(
  env: Pick<CodeEngineEnv, 'config'>,
  d: DesiredResource,
  resolved?: string,
): { image?: string; commit?: string } {
  const s = d.spec.source;
  if (s.type === 'docker') return { image: s.image };
  if (s.type !== 'github') return {};
  const ref = s.commit ?? s.ref;
  const commit = /^[0-9a-f]{40}$/.test(ref) ? ref : resolved;
  return commit ? { image: builtImage(env.config, d.spec.catalog, commit), commit } : {};
}

/** The managed app fields a runtime wants, or why it cannot run on Code Engine. */
export function wantApp(
  env: Pick<CodeEngineEnv, 'config'>,
  d: DesiredResource,
  resolved?: string,
): { app?: ManagedApp; problem?: string } {
  const img = imageOf(env, d, resolved);
  if (!img.image) return { problem: 'the commit of its GitHub source is not resolved' };
  const r = desiredApp({ desired: d, config: env.config, image: img.image });
  // The deployed gateway (gateway.deploy) is a runtime's app plus its role mark and upstreams.
  if (r.value && d.address === GATEWAY_DEPLOY_ADDRESS) return { app: withGatewayFields(r.value, d) };
  return { app: r.value, problem: r.problem };
}
