// Public API of the bundled MCP gateway. The CLI (serve/up) and the state-driven wiring use
// only what is exported here; everything else in src/gateway is internal.
export {
  createGateway,
  gatewayOptionDiagnostics,
  gatewayOptionProblems,
  GatewayConfigError,
  type Gateway,
  type GatewayAddress,
} from './gateway.js';
export { runStdioGateway, type StdioGateway, type StdioGatewayOptions } from './stdio-gateway.js';
export {
  spawnStdioConnector,
  streamTransport,
  type SpawnStdioOptions,
  type StreamTransportOptions,
} from './stdio-connectors.js';
export { dockerAttachConnector, type DockerAttachOptions } from './docker-attach.js';
export { dockerExecConnector, type DockerExecOptions } from './docker-exec.js';
export { keepSpare, type Spare, type SpareOptions } from './spare.js';
export { signHs256, verifyHs256 } from './auth.js';
export { stderrLogger } from './core.js';
export type { GaugeSample, GaugeSource } from './metrics.js';
export { federatedName, TOOL_NAME_PATTERN } from './names.js';
export type {
  AuthVerdict,
  GatewayAuth,
  HttpExtension,
  HttpExtensionContext,
  NamedTokens,
  GatewayLogger,
  GatewayOptions,
  StdioConnector,
  UpstreamSpec,
  UpstreamState,
  UpstreamStatus,
  UpstreamTransport,
  VirtualServerSpec,
  UpstreamLock,
  UnpinnedDefinition,
  UnpinnedEvent,
} from './types.js';
export { UNPINNED_META, upstreamLockKey } from './tool-lock.js';
