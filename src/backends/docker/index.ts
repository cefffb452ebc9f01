// Public surface of the Docker backend: the factory (also as `createBackend`, the shape
// src/backends/registry.ts loads), and the label keys other modules (the gateway, tests, the
// CLI's status) may read. Nothing else is exported from here.

import type { BackendFactory } from '../registry.js';
import type { DockerBackend } from '../../generated/config.js';
import { createDockerBackend } from './backend.js';

export { createDockerBackend, type DockerBackendHandle, type DockerBackendOptions } from './backend.js';
export { LABEL, MANAGED_BY, containerName, stackNetworkName, internalNetworkName } from './labels.js';
export { hostAllowed } from './egress-proxy.js';
export { liveEndpoints, type LiveEndpoint } from './live.js';

export const createBackend: BackendFactory = (name, config, ctx) =>
  createDockerBackend(name, config as DockerBackend, {
    configDir: ctx.configDir,
    sensitiveValues: ctx.sensitiveValues,
    github: ctx.github,
  });
