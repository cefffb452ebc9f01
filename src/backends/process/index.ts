// Public surface of the process backend: the factory in the shape src/backends/registry.ts
// loads (`createBackend`), plus the file layout helpers the CLI and tests read.

import type { ProcessBackend } from '../../generated/config.js';
import type { BackendFactory } from '../registry.js';
import { createProcessBackend } from './backend.js';

export { createProcessBackend, toObserved, type ProcessBackendOptions } from './backend.js';
export { dialSocket } from './dial.js';
export { DIRECT_PREAMBLE, processDir, runtimeFiles, type StatusFile } from './files.js';
export { readStatus, supervisorAlive, pidAlive } from './launch.js';

export const createBackend: BackendFactory = (name, config, ctx) =>
  createProcessBackend(name, config as ProcessBackend, {
    stack: ctx.stack,
    configDir: ctx.configDir,
    sensitiveValues: ctx.sensitiveValues,
  });
