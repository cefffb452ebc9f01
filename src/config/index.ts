// Public surface of the config front end. Other modules import from here only:
// loadConfig (the one entry point), the model types, and the capability/compatibility helpers.

export { loadConfig, loadConfigSync, DEFAULT_PROFILE, type LoadOptions, type LoadResult } from './load.js';
export type {
  LoadedConfig,
  ResolvedProfile,
  ResolvedCatalogEntry,
  ResolvedRuntime,
  Origin,
  SourceMap,
} from './model.js';
export { loadLibrary, type Library } from './library.js';
export {
  unenforcedControls,
  unenforcedDiagnostic,
  unenforcedDiagnostics,
  summarizeUnenforced,
  controlStatuses,
  controlLabel,
  type ControlName,
  type ControlStatus,
  type UnenforcedControl,
} from './compat.js';
export {
  checkCpuMemory,
  fitCodeEngineLimits,
  limitsFitted,
  isValidAppName,
  CE_CPU_MEMORY,
  CE_APP_NAME,
  CE_APPS_PER_PROJECT,
  CE_DEFAULT_CPU,
  CE_DEFAULT_MEMORY_GB,
  CE_MAX_REQUEST_TIMEOUT_SECONDS,
  type CeLimits,
} from './code-engine-rules.js';
export { parseImageRef, registryAllowed, type ImageRef } from './image-ref.js';
export { parseCpu, parseMemory, parseDuration, parseDurationMs, formatBytes } from './quantities.js';
export { rawSchema, type SchemaKind } from './schemas.js';
export { parseDotEnv } from './dotenv.js';
export { GATEWAY_APP_RUNTIME } from './gateway-deploy.js';
export { parseCompose, type ComposeText } from './compose/parse.js';
export { composeTextOf, positionsOf } from './compose/text.js';
export {
  startOrder,
  type ComposeHealthcheck,
  type ComposeModel,
  type ComposePort,
  type ComposeVolumeMount,
} from './compose/model.js';
export {
  BACKEND_TYPES,
  backendsOf,
  definitionOf,
  filterEntries,
  profileCheck,
  type CatalogFilter,
  type ProfileCheck,
} from './library-views.js';
export { packagePath } from './package-root.js';
export {
  CATALOG_CACHE_VERSION,
  catalogCachePath,
  readCatalogSources,
  type CachedProblem,
  type CatalogCacheFile,
} from './catalog-cache.js';
export { readConfined, type Confinement } from './confine.js';
export { escapeSegment, getAt } from './pointer.js';
