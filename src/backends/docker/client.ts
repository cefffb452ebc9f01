// How the Docker backend reaches its engine: a dockerode client from the backend config (socket,
// tcp host, or DOCKER_HOST), a printable description of where that is for diagnostics, and the
// host's AppArmor support as a first guess. No API calls here.

import { existsSync, readFileSync } from 'node:fs';
import Dockerode from 'dockerode';
import type { DockerBackend } from '../../generated/config.js';
import { assertEndpointAllowed } from '../../config/endpoint-policy.js';

export function clientFor(config: DockerBackend): { docker: Dockerode; where: string } {
  if (config.host) {
    // Container specs (secret env values included) go to this engine: only to an allowed host.
    assertEndpointAllowed('docker.host', config.host);
    const u = new URL(config.host);
    const protocol = u.protocol === 'https:' ? 'https' : 'http';
    return {
      docker: new Dockerode({
        host: u.hostname,
        port: Number(u.port || (protocol === 'https' ? 2376 : 2375)),
        protocol,
      }),
      where: config.host,
    };
  }
  if (config.socket) return { docker: new Dockerode({ socketPath: config.socket }), where: config.socket };
  return { docker: new Dockerode(), where: process.env.DOCKER_HOST ?? '/var/run/docker.sock' };
}

export function whereOf(docker: Dockerode, fallback: string): string {
  const m = docker.modem as unknown as { socketPath?: string; host?: string; port?: number };
  if (typeof m.socketPath === 'string') return m.socketPath;
  if (m.host) return `${m.host}:${m.port ?? ''}`;
  return fallback;
}

/** A local daemon's AppArmor support, guessed from the kernel until the daemon tells us. */
export function localAppArmor(): boolean {
  try {
    return (
      existsSync('/sys/module/apparmor/parameters/enabled') &&
      readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'
    );
  } catch {
    return false;
  }
}
