// A process-backend runtime as the planner hands it to the backend, for the tests and benches
// that drive the backend directly: a command speaking stdio, unrestricted guardrails (the backend
// enforces none), and only the env and secrets given.
import type { DesiredResource } from '../../src/model/resources.js';

export interface CommandRuntime {
  command?: string;
  args: string[];
  catalog?: string;
  env?: Record<string, string>;
  /** Secret values reach the child's environment; their digests are what the spec records. */
  secretEnv?: Record<string, string>;
  secretDigests?: Record<string, string>;
  specHash?: string;
}

export function commandRuntime(runtime: string, o: CommandRuntime): DesiredResource {
  return {
    address: `runtime.${runtime}`,
    runtime,
    backend: 'local',
    backendType: 'process',
    spec: {
      catalog: o.catalog ?? 'quickstart',
      source: { type: 'command', command: o.command ?? 'node', args: o.args },
      transport: { type: 'stdio' },
      env: o.env ?? {},
      secretDigests: o.secretDigests ?? {},
      guardrails: {
        profile: 'unrestricted',
        egressAllowed: true,
        allowedHosts: [],
        ingressPorts: [],
        readOnlyRoot: false,
        allowedMounts: [],
        dropAll: false,
        capAdd: [],
        strict: false,
      },
      restart: 'always',
      labels: {},
    },
    secretEnv: o.secretEnv ?? {},
    specHash: o.specHash ?? 'h1',
    dependsOn: [],
    diagnostics: [],
  };
}
