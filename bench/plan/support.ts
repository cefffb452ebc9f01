// Shared by the plan benchmarks: a Dockerode client that counts daemon API calls, a hand-built
// config of N small runtimes on the local Docker engine, and stack clean-up by label.
import Dockerode from 'dockerode';
import type { Backend } from '../../src/backends/backend.js';
import type { LoadedConfig } from '../../src/config/model.js';
import { buildConfig, entry, profile, runtime } from '../../test/plan/config-builder.js';

export interface CountingDocker {
  docker: Dockerode;
  calls: string[];
  reset(): void;
}

/** A dockerode client whose every HTTP request to the daemon is recorded (method + path). */
export function countingDocker(): CountingDocker {
  const docker = new Dockerode();
  const calls: string[] = [];
  const modem = docker.modem as unknown as { dial: (opts: { method?: string; path?: string }, cb: unknown) => unknown };
  const original = modem.dial.bind(modem);
  modem.dial = (opts, cb) => {
    calls.push(`${opts.method ?? 'GET'} ${String(opts.path ?? '').split('?')[0]}`);
    return original(opts, cb);
  };
  return { docker, calls, reset: () => void calls.splice(0) };
}

export function backendWith(docker: Dockerode): Promise<Backend> {
  // The factory accepts a client through createDockerBackend's options.
  return import('../../src/backends/docker/index.js').then((m) =>
    m.createDockerBackend(
      'local',
      { type: 'docker', allow_local_images: true },
      { docker, configDir: process.cwd(), sensitiveValues: new Set() },
    ),
  );
}

/**
 * N runtimes that cost the engine little: busybox sleeping, stdio transport, egress off (so no
 * network interface per container: Docker's bridge caps at 1,023 ports).
 */
export function sleepyConfig(stack: string, n: number, image: string): LoadedConfig {
  return buildConfig({
    stack,
    backends: { local: { type: 'docker', allow_local_images: true } },
    profiles: {
      quiet: profile('quiet', { network: { egress_allowed: false }, resources: { max_memory: '16m', max_pids: 8 } }),
    },
    defaultProfile: 'quiet',
    catalog: [
      entry({
        name: 'Sleeper',
        slug: 'sleeper',
        source: { type: 'docker', image, command: ['/bin/sleep'], args: ['100000'], pull: 'never' },
        transport: { type: 'stdio' },
      }),
    ],
    runtimes: Array.from({ length: n }, (_, i) =>
      runtime({ name: `r${String(i).padStart(4, '0')}`, catalog: 'sleeper', backend: 'local' }),
    ),
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
