// The capability facts of each backend kind (the seed's capability matrix), in one place: the
// config front end reads them to warn about guardrails a backend cannot enforce, and each
// backend's describe() returns the same constant. Data only; no behaviour lives here.

import type { BackendType } from '../generated/config.js';
import { NO_CAPABILITIES, type BackendCapabilities } from './backend.js';

/** Local Docker engine: every guardrail is configurable. */
export const DOCKER_CAPABILITIES: BackendCapabilities = {
  ...NO_CAPABILITIES,
  supports_compose: true,
  supports_readonly_fs: true,
  supports_custom_capabilities: true,
  supports_capability_add: true,
  supports_build_cache: true,
  supports_egress_control: true,
  supports_egress_host_filtering: true,
  supports_pid_limits: true,
  supports_mounts: true,
  supports_seccomp: true,
  supports_apparmor: true,
  supports_resource_limits: true,
  supports_github_build: true,
  supports_stdio_attach: true,
  supports_logs: true,
  network_isolation_level: 'container',
  observability_type: 'native',
};

/**
 * IBM Code Engine: a fixed pod security context (it drops capabilities and applies its own
 * seccomp/AppArmor), an always-writable ephemeral filesystem, project-level network isolation,
 * on/off egress only, no pid limits, no host mounts, no compose, no build cache.
 */
export const CODE_ENGINE_CAPABILITIES: BackendCapabilities = {
  ...NO_CAPABILITIES,
  supports_egress_control: true,
  supports_resource_limits: true,
  supports_github_build: true,
  supports_logs: true,
  network_isolation_level: 'project',
  observability_type: 'ibm_cloud',
  max_cpu: 12,
  max_memory_gb: 48,
  max_timeout_seconds: 600,
};

/** Local child processes: no isolation at all; stdio is the only transport it attaches to. */
export const PROCESS_CAPABILITIES: BackendCapabilities = {
  ...NO_CAPABILITIES,
  supports_stdio_attach: true,
  supports_logs: true,
  network_isolation_level: 'none',
  observability_type: 'native',
};

export const CAPABILITIES_BY_KIND: Record<BackendType, BackendCapabilities> = {
  docker: DOCKER_CAPABILITIES,
  ibm_code_engine: CODE_ENGINE_CAPABILITIES,
  process: PROCESS_CAPABILITIES,
};
