// Wire types of the IBM Cloud Code Engine v2 REST API, as the client sends and receives them.
// Owns only shapes (snake_case exactly as on the wire); no behaviour, no validation here.
// Field meanings and defaults are documented in shared/reference/code-engine-v2.md §4-§9.

export type ManagedDomainMappings = 'local_public' | 'local_private' | 'local';
export type ServiceAccount = 'default' | 'manager' | 'reader' | 'writer' | 'none';
export type EnvVarType =
  | 'literal'
  | 'config_map_full_reference'
  | 'secret_full_reference'
  | 'config_map_key_reference'
  | 'secret_key_reference';

export interface EnvVar {
  type?: EnvVarType;
  name?: string;
  value?: string;
  reference?: string;
  key?: string;
  prefix?: string;
}

export interface VolumeMount {
  mount_path: string;
  reference: string;
  type: 'config_map' | 'secret' | 'persistent_data_store';
  sub_path?: string;
  read_only?: boolean;
}

export interface Probe {
  type?: 'tcp' | 'http';
  path?: string;
  port?: number;
  initial_delay?: number;
  interval?: number;
  timeout?: number;
  failure_threshold?: number;
}

/** Everything a caller may send when creating an app (POST .../apps). */
export interface AppPrototype {
  name: string;
  image_reference: string;
  image_port?: number;
  image_secret?: string;
  managed_domain_mappings?: ManagedDomainMappings;
  probe_liveness?: Probe;
  probe_readiness?: Probe;
  run_commands?: string[];
  run_arguments?: string[];
  run_as_user?: number;
  run_service_account?: ServiceAccount;
  run_compute_resource_token_enabled?: boolean;
  run_env_variables?: EnvVar[];
  run_volume_mounts?: VolumeMount[];
  scale_cpu_limit?: string;
  scale_memory_limit?: string;
  scale_ephemeral_storage_limit?: string;
  scale_min_instances?: number;
  scale_max_instances?: number;
  scale_initial_instances?: number;
  scale_concurrency?: number;
  scale_concurrency_target?: number;
  scale_request_timeout?: number;
  scale_down_delay?: number;
}

/**
 * An RFC 7396 merge patch for an app: any prototype field except `name`; `null` clears a field
 * and arrays are replaced whole.
 */
export type AppPatch = {
  [K in Exclude<keyof AppPrototype, 'name'>]?: AppPrototype[K] | null;
};

export type AppStatus = 'deploying' | 'ready' | 'warning' | 'failed';

export interface App extends Required<Omit<AppPrototype, 'image_secret' | 'probe_liveness' | 'probe_readiness'>> {
  image_secret?: string;
  probe_liveness?: Probe;
  probe_readiness?: Probe;
  id: string;
  href: string;
  project_id: string;
  region: string;
  resource_type: 'app_v2';
  created_at: string;
  entity_tag: string;
  endpoint?: string;
  endpoint_internal?: string;
  status: AppStatus;
  status_details: {
    latest_created_revision?: string;
    latest_ready_revision?: string;
    reason?: string;
  };
  computed_env_variables?: EnvVar[];
}

export interface AppRevision extends Partial<Omit<App, 'status' | 'status_details' | 'resource_type' | 'entity_tag'>> {
  name: string;
  app_name: string;
  resource_type: 'app_revision_v2';
  status: 'ready' | 'loading' | 'warning' | 'failed';
  status_details: { actual_instances?: number; reason?: string };
}

export interface ContainerState {
  container_status?: 'running' | 'pending' | 'terminated';
  started_at?: string;
  completed_at?: string;
  exit_code?: number;
  reason?: string;
}

export interface AppInstance {
  id: string;
  name: string;
  href: string;
  app_name: string;
  revision_name: string;
  created_at: string;
  project_id: string;
  region: string;
  resource_type: 'app_instance_v2';
  scale_cpu_limit: string;
  scale_memory_limit: string;
  scale_ephemeral_storage_limit: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  status_details: {
    restarts: number;
    user_container?: { current_state?: ContainerState; last_observed_state?: ContainerState };
    system_container?: { current_state?: ContainerState; last_observed_state?: ContainerState };
  };
}

export type ProjectStatus =
  | 'creating'
  | 'preparing'
  | 'active'
  | 'creation_failed'
  | 'inactive'
  | 'deleting'
  | 'deletion_failed'
  | 'soft_deleted'
  | 'pending_removal'
  | 'hard_deleting'
  | 'hard_deletion_failed'
  | 'hard_deleted';

export interface Project {
  id: string;
  name: string;
  account_id: string;
  created_at: string;
  crn: string;
  href: string;
  region: string;
  resource_group_id: string;
  resource_type: 'project_v2';
  status: ProjectStatus;
}

export interface ProjectPrototype {
  name: string;
  resource_group_id?: string;
  tags?: string[];
}

export type SecretFormat =
  | 'generic'
  | 'ssh_auth'
  | 'basic_auth'
  | 'tls'
  | 'registry'
  | 'hmac_auth'
  | 'service_access'
  | 'service_operator'
  | 'other';

export interface SecretPrototype {
  name: string;
  format: SecretFormat;
  data?: Record<string, string>;
}

export interface SecretReplacement {
  format: SecretFormat;
  data?: Record<string, string>;
}

export interface Secret {
  id: string;
  name: string;
  format: SecretFormat;
  data?: Record<string, string>;
  entity_tag: string;
  generated_by: 'user' | 'system';
  href: string;
  project_id: string;
  region: string;
  resource_type: string;
  created_at: string;
}

export type BuildParamType = 'literal' | 'config_map_key_reference' | 'secret_key_reference';

export interface BuildParam {
  type?: BuildParamType;
  name?: string;
  value?: string;
  reference?: string;
  key?: string;
}

export interface BuildPrototype {
  name: string;
  output_image: string;
  output_secret: string;
  strategy_type: 'dockerfile' | 'buildpacks';
  source_type?: 'git' | 'local';
  source_url?: string;
  source_revision?: string;
  source_context_dir?: string;
  source_secret?: string;
  strategy_spec_file?: string;
  strategy_size?: 'small' | 'medium' | 'large' | 'xlarge' | 'xxlarge';
  timeout?: number;
  run_build_params?: BuildParam[];
}

export type BuildPatch = {
  [K in Exclude<keyof BuildPrototype, 'name'>]?: BuildPrototype[K] | null;
};

export interface Build extends BuildPrototype {
  id: string;
  href: string;
  project_id: string;
  region: string;
  resource_type: 'build_v2';
  created_at: string;
  entity_tag: string;
  status: 'ready' | 'failed';
  status_details?: { reason?: string };
}

export interface BuildRunPrototype extends Partial<Omit<BuildPrototype, 'name'>> {
  build_name?: string;
  name?: string;
  service_account?: ServiceAccount;
}

export type BuildRunStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface BuildRun extends Partial<Omit<BuildPrototype, 'name'>> {
  id: string;
  name: string;
  build_name?: string;
  href: string;
  project_id: string;
  region: string;
  resource_type: 'build_run_v2';
  created_at: string;
  service_account?: ServiceAccount;
  status: BuildRunStatus;
  status_details: {
    start_time?: string;
    completion_time?: string;
    output_digest?: string;
    git_branch_name?: string;
    git_commit_sha?: string;
    git_commit_author?: string;
    source_timestamp?: string;
    reason?: string;
  };
}

/** The §9 error container every 4xx/5xx body carries. */
export interface ApiErrorItem {
  code: string;
  message: string;
  more_info?: string;
  target?: { type?: string; name?: string };
}

export interface ApiErrorContainer {
  errors: ApiErrorItem[];
  trace?: string;
  status_code?: number;
}

/** A resource together with the ETag needed for a conditional update. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

/**
 * How a create call ended: `created` (2xx on the first try), `recovered` (an earlier attempt of
 * ours failed ambiguously and the resource was found afterwards: almost surely our own write),
 * `existing` (the first attempt got 409: the name was already taken before we started).
 */
export type CreateOutcome = 'created' | 'recovered' | 'existing';

export interface CreateResult<T> extends Versioned<T> {
  outcome: CreateOutcome;
}
