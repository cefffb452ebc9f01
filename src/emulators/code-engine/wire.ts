// The emulator's own description of the Code Engine v2 wire format: what it accepts in request
// bodies and what it renders back, written from shared/reference/code-engine-v2.md on the
// server's side. It deliberately does not import the client's types from backends/code-engine:
// with two independent descriptions, a field the client gets wrong fails against the emulator
// instead of type-checking on both sides. Shapes only, snake_case as on the wire.

/** The kinds of environment entry an app may carry (§5). */
export type EnvVar = {
  type?:
    | 'literal'
    | 'config_map_full_reference'
    | 'secret_full_reference'
    | 'config_map_key_reference'
    | 'secret_key_reference';
  name?: string;
  value?: string;
  reference?: string;
  key?: string;
  prefix?: string;
};

/** A config map, secret or data store mounted into the app's containers (§5). */
export type VolumeMount = {
  mount_path: string;
  reference: string;
  type: 'config_map' | 'secret' | 'persistent_data_store';
  sub_path?: string;
  read_only?: boolean;
};

/** A liveness or readiness probe; the emulator defaults `type` to tcp. */
export type Probe = {
  type?: 'tcp' | 'http';
  path?: string;
  port?: number;
  initial_delay?: number;
  interval?: number;
  timeout?: number;
  failure_threshold?: number;
};

/** An app create body as the emulator accepts it (POST /projects/{id}/apps). */
export type AppPrototype = {
  name: string;
  image_reference: string;
  image_port?: number;
  image_secret?: string;
  managed_domain_mappings?: 'local_public' | 'local_private' | 'local';
  probe_liveness?: Probe;
  probe_readiness?: Probe;
  run_commands?: string[];
  run_arguments?: string[];
  run_as_user?: number;
  run_service_account?: 'default' | 'manager' | 'reader' | 'writer' | 'none';
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
};

/** The container state the emulator reports inside an instance's status_details. */
type ContainerState = {
  container_status?: 'running' | 'pending' | 'terminated';
  started_at?: string;
  completed_at?: string;
  exit_code?: number;
  reason?: string;
};

/** One running (or simulated) instance of an app, as GET .../instances renders it. */
export type AppInstance = {
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
};

/** The secret formats the emulator knows (§7). */
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

/** A build create body as the emulator accepts it (§8). */
export type BuildPrototype = {
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
  run_build_params?: {
    type?: 'literal' | 'config_map_key_reference' | 'secret_key_reference';
    name?: string;
    value?: string;
    reference?: string;
    key?: string;
  }[];
};

/** The life cycle of a build run as the emulator advances it. */
export type BuildRunStatus = 'pending' | 'running' | 'succeeded' | 'failed';
