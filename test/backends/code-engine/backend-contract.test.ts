// The shared backend contract suite against the Code Engine backend, through the production
// client, on the local emulator (simulation mode: apps turn ready without running an image).
import { randomBytes } from 'node:crypto';
import { createBackend, stackPrefix } from '../../../src/backends/code-engine/index.js';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../../src/emulators/code-engine/index.js';
import type { CodeEngineBackend } from '../../../src/generated/config.js';
import { compileDesired } from '../../../src/plan/desired.js';
import { buildConfig, ECHO_ENTRY, profile, runtime } from '../../plan/config-builder.js';
import { runContractSuite } from '../contract/suite.js';
import { rawApi } from './backend-support.js';

let emu: CodeEngineEmulator | undefined;
let open = 0;
const SECRET = 'contract-secret-value-0002';

async function emulator(): Promise<CodeEngineEmulator> {
  emu ??= await startCodeEngineEmulator({ timing: { appReadyDelayMs: 100 }, log: () => undefined });
  return emu;
}

function backendConfig(e: CodeEngineEmulator): CodeEngineBackend {
  return {
    type: 'ibm_code_engine',
    region: 'us-south',
    project_id: e.projects[0].id,
    api_key: 'contract-key',
    service_url: e.url,
    iam_url: e.iamUrl,
    per_deployment_limits: { cpu: '0.25', memory: '1G' },
  };
}

async function names(e: CodeEngineEmulator, kind: 'apps' | 'secrets'): Promise<string[]> {
  const r = await rawApi(e, 'GET', `/projects/${e.projects[0].id}/${kind}?limit=100`);
  return ((r.body as Record<string, Array<{ name: string }>>)[kind] ?? []).map((x) => x.name);
}

runContractSuite({
  name: 'code engine (emulator)',
  makeBackend: async () => {
    const e = await emulator();
    const b = await createBackend('ce', backendConfig(e), {
      stack: 'contract',
      configDir: process.cwd(),
      sensitiveValues: new Set([SECRET]),
    });
    const close = b.close?.bind(b);
    // The suite closes every backend it made, the main one last: stop the emulator with the last
    // so the process exits.
    open += 1;
    b.close = async () => {
      await close?.();
      open -= 1;
      if (open === 0) await emu?.close();
    };
    return b;
  },
  makeDesired: ({ stack, runtime: name, variant }) => {
    const config = buildConfig({
      stack,
      backends: {
        ce: {
          type: 'ibm_code_engine',
          region: 'us-south',
          project_id: 'p',
          api_key: 'k',
          per_deployment_limits: { cpu: '0.25', memory: '1G' },
        },
      },
      profiles: { open: profile('open', { network: { egress_allowed: true } }) },
      defaultProfile: 'open',
      catalog: [ECHO_ENTRY],
      runtimes: [
        runtime({
          name,
          catalog: 'echo',
          backend: 'ce',
          env: { VARIANT: String(variant ?? 0) },
          secrets: { API_TOKEN: SECRET },
        }),
      ],
    });
    const r = compileDesired(config);
    if (!r.value?.length) throw new Error(`harness config does not compile: ${JSON.stringify(r.diags)}`);
    return r.value[0];
  },
  uniqueStack: () => `cfc-${randomBytes(4).toString('hex')}`,
  cleanupStack: async (stack) => {
    const e = await emulator();
    const pid = e.projects[0].id;
    for (const n of (await names(e, 'apps')).filter((x) => x.startsWith(stackPrefix(stack))))
      await rawApi(e, 'DELETE', `/projects/${pid}/apps/${n}`);
    for (const n of (await names(e, 'secrets')).filter((x) => x.startsWith(stackPrefix(stack))))
      await rawApi(e, 'DELETE', `/projects/${pid}/secrets/${n}`);
  },
  makeForeign: async ({ stack, runtime: name }) => {
    // Our exact name scheme, but created by someone else: no CONTEXTFORGE_STACK mark.
    const e = await emulator();
    const pid = e.projects[0].id;
    const app = `${stackPrefix(stack)}${name}`;
    const r = await rawApi(e, 'POST', `/projects/${pid}/apps`, {
      name: app,
      image_reference: 'icr.io/x/y:1',
      scale_cpu_limit: '0.25',
      scale_memory_limit: '1G',
    });
    if (r.status !== 201) throw new Error(`foreign app not created: ${r.status}`);
    return {
      exists: async () => (await rawApi(e, 'GET', `/projects/${pid}/apps/${app}`)).status === 200,
      remove: async () => {
        await rawApi(e, 'DELETE', `/projects/${pid}/apps/${app}`);
      },
    };
  },
  applyTimeoutMs: 30_000,
});
