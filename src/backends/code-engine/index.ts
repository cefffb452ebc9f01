// Public surface of the Code Engine backend: the factory (also as `createBackend`, the shape
// src/backends/registry.ts loads), the client, and the name scheme other modules may read.

import type { BackendFactory } from '../registry.js';
import type { CodeEngineBackend } from '../../generated/config.js';
import { createCodeEngineBackend } from './backend.js';

export { createCodeEngineBackend, type CodeEngineBackendHandle, type CodeEngineBackendOptions } from './backend.js';
export { CodeEngineClient } from './client.js';
export { appName, secretName, buildName, stackPrefix, STACK_ENV, HASH_ENV } from './names.js';

export const createBackend: BackendFactory = (name, config, ctx) => {
  return createCodeEngineBackend(name, config as CodeEngineBackend, {
    stack: ctx.stack,
    configDir: ctx.configDir,
    sensitiveValues: ctx.sensitiveValues,
    github: ctx.github,
  });
};
