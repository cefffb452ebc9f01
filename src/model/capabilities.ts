// What each backend kind can enforce or do (the seed's BackendCapabilities and capability
// matrix), in one place: the config front end and the compiler read it to warn about guardrails
// a backend cannot enforce, and each backend's describe() returns the same constant. Data only.

import type { BackendType } from '../generated/config.js';

/** What a backend can enforce or do (the seed's BackendCapabilities, snake_case kept). */
export interface BackendCapabilities {
  supports_compose: boolean;
  supports_readonly_fs: boolean;
  supports_custom_capabilities: boolean;
  supports_capability_add: boolean;
  supports_build_cache: boolean;
  supports_egress_control: boolean;
  supports_egress_host_filtering: boolean;
  supports_pid_limits: boolean;
  supports_mounts: boolean;
  supports_seccomp: boolean;
  supports_apparmor: boolean;
  supports_resource_limits: boolean;
  supports_github_build: boolean;
  supports_stdio_attach: boolean;
  supports_logs: boolean;
  network_isolation_level: 'container' | 'project' | 'none';
  observability_type: 'native' | 'ibm_cloud';
  /** 0 = unlimited. */
  max_cpu: number;
  max_memory_gb: number;
  max_timeout_seconds: number;
}

/** Capabilities with everything off; backends spread their own on top. */
export const NO_CAPABILITIES: BackendCapabilities = {
  supports_compose: false,
  supports_readonly_fs: false,
  supports_custom_capabilities: false,
  supports_capability_add: false,
  supports_build_cache: false,
  supports_egress_control: false,
  supports_egress_host_filtering: false,
  supports_pid_limits: false,
  supports_mounts: false,
  supports_seccomp: false,
  supports_apparmor: false,
  supports_resource_limits: false,
  supports_github_build: false,
  supports_stdio_attach: false,
  supports_logs: false,
  network_isolation_level: 'none',
  observability_type: 'native',
  max_cpu: 0,
  max_memory_gb: 0,
  max_timeout_seconds: 0,
};

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
 * on/off egress only, no pid limits, no host mounts, no compose, no build cache, and logs only
 * in IBM Cloud Logs.
 */
export const CODE_ENGINE_CAPABILITIES: BackendCapabilities = {
  ...NO_CAPABILITIES,
  supports_egress_control: true,
  supports_resource_limits: true,
  supports_github_build: true,
  // Code Engine keeps logs in IBM Cloud Logs, which this backend does not read.
  supports_logs: false,
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
