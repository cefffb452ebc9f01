// The contract suite against the real Docker engine, with desired resources compiled from a
// hand-built config (the fixture "everything" image, published on 127.0.0.1 only).
import { createBackend } from '../../../src/backends/docker/index.js';
import { compileDesired } from '../../../src/plan/desired.js';
import { buildConfig, ECHO_ENTRY, profile, runtime } from '../../plan/config-builder.js';
import { docker, removeByLabel, requireDocker, testLabels, uniqueName } from '../../support/docker.js';
import { EVERYTHING_IMAGE, ensureFixtureImages } from '../../support/images.js';
import { runContractSuite } from './suite.js';

const OPEN = profile('open', {
  network: { egress_allowed: true, ingress_ports: [3001] },
  resources: { max_memory: '256m', max_pids: 200 },
});
const runId = uniqueName('contract');

runContractSuite({
  name: 'docker',
  available: async () => {
    if (!(await requireDocker('backend contract: docker'))) return false;
    await ensureFixtureImages();
    return true;
  },
  makeBackend: () =>
    createBackend(
      'local',
      { type: 'docker', allow_local_images: true },
      { stack: 'contract', configDir: process.cwd(), sensitiveValues: new Set(['contract-secret-value-0001']) },
    ),
  makeDesired: ({ stack, runtime: name, variant }) => {
    const config = buildConfig({
      stack,
      backends: { local: { type: 'docker', allow_local_images: true } },
      profiles: { open: OPEN },
      defaultProfile: 'open',
      catalog: [
        { ...ECHO_ENTRY, source: { type: 'docker', image: EVERYTHING_IMAGE, args: ['streamableHttp'], pull: 'never' } },
      ],
      runtimes: [
        runtime({
          name,
          catalog: 'echo',
          backend: 'local',
          env: { VARIANT: String(variant ?? 0) },
          secrets: { API_TOKEN: 'contract-secret-value-0001' },
        }),
      ],
    });
    const r = compileDesired(config);
    if (!r.value?.length) throw new Error(`harness config does not compile: ${JSON.stringify(r.diags)}`);
    return r.value[0];
  },
  uniqueStack: () => uniqueName('cfc'),
  cleanupStack: async (stack) => {
    await removeByLabel({ 'dev.contextforge.stack': stack });
  },
  makeForeign: async ({ stack, runtime: name }) => {
    // Same naming scheme and even a stack label, but no managed-by mark: not ours.
    const c = await docker().createContainer({
      Image: EVERYTHING_IMAGE,
      name: `${stack}-${name}-foreign`,
      Labels: { ...testLabels(runId), 'dev.contextforge.stack': stack, 'dev.contextforge.address': `runtime.${name}` },
      HostConfig: { NetworkMode: 'none' },
    });
    return {
      exists: async () => {
        try {
          await c.inspect();
          return true;
        } catch {
          return false;
        }
      },
      remove: async () => {
        await c.remove({ force: true }).catch(() => undefined);
      },
    };
  },
});
