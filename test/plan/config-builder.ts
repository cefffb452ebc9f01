// Builds LoadedConfig objects by hand for plan/apply unit tests (no file loading): a small
// stack with a docker backend, the standard/restricted profiles and one catalog entry, which
// each test extends. Values here are test data, not product defaults.

import type { LoadedConfig, ResolvedCatalogEntry, ResolvedProfile, ResolvedRuntime } from '../../src/config/model.js';
import type { Backend as BackendConfig, CatalogEntry, GuardrailProfile, Runtime } from '../../src/generated/config.js';

export const TEST_SECRET = 'sk-test-DO-NOT-LEAK-4f1c9a7e';

export function profile(name: string, p: GuardrailProfile): ResolvedProfile {
  return { ...p, name, origin: { file: '/cfg/contextforge.yaml' }, builtin: false };
}

export function entry(e: CatalogEntry): ResolvedCatalogEntry {
  return { ...e, origin: { file: '/cfg/contextforge.yaml' }, baseDir: '/cfg' };
}

export function runtime(r: Runtime): ResolvedRuntime {
  return {
    ...r,
    origin: {
      file: '/cfg/contextforge.yaml',
      range: {
        file: '/cfg/contextforge.yaml',
        start: { line: 10, col: 5, offset: 100 },
        end: { line: 10, col: 20, offset: 115 },
      },
    },
  };
}

export interface BuildInput {
  stack?: string;
  backends?: Record<string, BackendConfig>;
  profiles?: Record<string, ResolvedProfile>;
  catalog?: ResolvedCatalogEntry[];
  runtimes: ResolvedRuntime[];
  approval?: LoadedConfig['approval'];
  defaultProfile?: string;
  fingerprint?: string;
}

export const STANDARD = profile('standard', {
  network: { egress_allowed: true, ingress_ports: [8080] },
  filesystem: { read_only_root: true },
  capabilities: { drop_all: true },
  resources: { max_cpu: '1', max_memory: '512m', max_pids: 128 },
});

export const RESTRICTED = profile('restricted', {
  strict: false,
  network: { egress_allowed: false },
  filesystem: { read_only_root: true, allowed_mounts: [] },
  capabilities: { drop_all: true, add: ['NET_BIND_SERVICE'] },
  resources: { max_cpu: '0.5', max_memory: '256Mi', max_pids: 64 },
  seccomp: 'runtime/default',
});

export const ECHO_ENTRY = entry({
  name: 'Echo server',
  slug: 'echo',
  source: { type: 'docker', image: 'contextforge-fixture/everything:latest', args: ['streamableHttp'] },
  transport: { type: 'streamable-http', port: 3001, path: '/mcp' },
  env: { API_TOKEN: { secret: true }, LOG_LEVEL: { default: 'info' } },
});

export function buildConfig(input: BuildInput): LoadedConfig {
  const catalog = Object.fromEntries((input.catalog ?? [ECHO_ENTRY]).map((e) => [e.slug, e]));
  const backends = input.backends ?? {
    local: { type: 'docker', allow_local_images: true, default_limits: { memory: '256m' } },
  };
  const sensitive = new Set<string>();
  for (const r of input.runtimes) for (const v of Object.values(r.secrets ?? {})) sensitive.add(v);
  return {
    path: '/cfg/contextforge.yaml',
    dir: '/cfg',
    stack: input.stack ?? 'demo',
    document: { name: input.stack ?? 'demo' },
    backends,
    profiles: input.profiles ?? { standard: STANDARD, restricted: RESTRICTED },
    catalog,
    runtimes: input.runtimes,
    gateway: {},
    approval: input.approval,
    state: {},
    defaultProfile: input.defaultProfile ?? 'standard',
    files: ['/cfg/contextforge.yaml'],
    sourceMap: new Map(),
    sensitiveValues: sensitive,
    fingerprint: input.fingerprint ?? 'sha256:config-fingerprint-test',
  };
}
