// Test-side builders for the Docker backend: DesiredResources made by hand (the compiler is
// another module's job), the seed's four preset profiles as EffectiveGuardrails, and a dockerode
// client that counts the API requests it sends. Shared by test/backends/docker and test/guardrails.
import Docker from 'dockerode';
import { removeByLabel } from '../../support/docker.js';
import { hashOf, secretDigest } from '../../../src/model/canonical.js';
import type {
  DesiredResource,
  EffectiveGuardrails,
  NormalizedSource,
  TransportSpec,
} from '../../../src/model/resources.js';

const MB = 1024 * 1024;

/** The seed's presets (002_*.txt, "guardrails.profiles"), as the compiler would merge them. */
export const PRESETS: Record<'unrestricted' | 'standard' | 'restricted' | 'airgapped', EffectiveGuardrails> = {
  unrestricted: {
    profile: 'unrestricted',
    egressAllowed: true,
    allowedHosts: ['*'],
    ingressPorts: [],
    readOnlyRoot: false,
    allowedMounts: [],
    dropAll: false,
    capAdd: [],
    maxCpu: 2,
    maxMemory: 2048 * MB,
    strict: false,
  },
  standard: {
    profile: 'standard',
    egressAllowed: true,
    allowedHosts: ['*.googleapis.com', 'api.openai.com', 'api.anthropic.com'],
    ingressPorts: [],
    readOnlyRoot: true,
    allowedMounts: ['/data', '/cache'],
    dropAll: true,
    capAdd: ['NET_BIND_SERVICE'],
    maxCpu: 0.5,
    maxMemory: 512 * MB,
    maxPids: 100,
    strict: false,
  },
  restricted: {
    profile: 'restricted',
    egressAllowed: false,
    allowedHosts: [],
    ingressPorts: [8080],
    readOnlyRoot: true,
    allowedMounts: [],
    dropAll: true,
    capAdd: [],
    maxCpu: 0.25,
    maxMemory: 256 * MB,
    maxPids: 50,
    seccomp: 'runtime/default',
    apparmor: 'mcp-restricted',
    strict: false,
  },
  airgapped: {
    profile: 'airgapped',
    egressAllowed: false,
    allowedHosts: [],
    ingressPorts: [],
    readOnlyRoot: true,
    allowedMounts: [],
    dropAll: true,
    capAdd: [],
    maxCpu: 0.25,
    maxMemory: 128 * MB,
    strict: false,
  },
};

export interface DesiredInput {
  stack: string;
  runtime: string;
  backend?: string;
  image: string;
  command?: string[];
  args?: string[];
  transport?: TransportSpec;
  env?: Record<string, string>;
  secrets?: Record<string, string>;
  guardrails?: Partial<EffectiveGuardrails>;
  hostPort?: number;
  restart?: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  pull?: 'missing' | 'always' | 'never';
  source?: NormalizedSource;
}

export function desired(input: DesiredInput): DesiredResource {
  const secrets = input.secrets ?? {};
  const secretDigests: Record<string, string> = {};
  for (const [name, value] of Object.entries(secrets)) {
    secretDigests[name] = secretDigest({ stack: input.stack, runtime: input.runtime, name, value });
  }
  const spec = {
    catalog: input.runtime,
    source: input.source ?? {
      type: 'docker' as const,
      image: input.image,
      command: input.command,
      args: input.args,
      pull: input.pull ?? 'never',
    },
    transport: input.transport ?? { type: 'streamable-http' as const, port: 3001, path: '/mcp' },
    env: input.env ?? {},
    secretDigests,
    guardrails: { ...PRESETS.unrestricted, ...input.guardrails },
    hostPort: input.hostPort,
    restart: input.restart ?? 'no',
    labels: {},
  };
  return {
    address: `runtime.${input.runtime}`,
    runtime: input.runtime,
    backend: input.backend ?? 'local',
    backendType: 'docker',
    spec,
    secretEnv: secrets,
    specHash: hashOf(spec),
    dependsOn: [],
    diagnostics: [],
  };
}

export interface CountingDocker {
  docker: Docker;
  /** Requests sent since the last reset, as `METHOD path` (query strings dropped). */
  requests: string[];
  reset(): void;
}

/** A dockerode client whose modem records every API request it dials. */
export function countingDocker(options?: Docker.DockerOptions): CountingDocker {
  const docker = new Docker(options);
  const requests: string[] = [];
  const modem = docker.modem as unknown as { dial: (opts: { method: string; path: string }, cb: unknown) => unknown };
  const dial = modem.dial.bind(modem);
  modem.dial = (opts, cb) => {
    requests.push(`${opts.method} ${opts.path.split('?')[0]}`);
    return dial(opts, cb);
  };
  return {
    docker,
    requests,
    reset: () => {
      requests.length = 0;
    },
  };
}

/** An ApplyContext for tests: progress lines are collected, not printed. */
export function applyContext(
  stack: string,
  timeoutMs = 120_000,
): { stack: string; signal: AbortSignal; progress(m: string): void; lines: string[] } {
  const lines: string[] = [];
  return {
    stack,
    signal: AbortSignal.timeout(timeoutMs),
    progress: (m: string) => {
      lines.push(m);
    },
    lines,
  };
}

/**
 * Removes everything of a stack by its label. Retried: on a loaded daemon a network can still
 * report an endpoint for a moment after its container was force-removed.
 */
export async function cleanupStack(stack: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await removeByLabel({ 'dev.contextforge.stack': stack });
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}
