// App validation and defaulting of the emulator (reference §5, §10): field types and ranges,
// name and image patterns, env vars, probes, volume mounts, cpu/memory combos, ephemeral storage.
// Pure: takes a JSON object, returns a normalized config or throws a 400 EmuError.

import type { AppPrototype, EnvVar, Probe, VolumeMount } from './wire.js';
import { EmuError, badField } from './http-util.js';

export type AppConfig = Required<Omit<AppPrototype, 'image_secret' | 'probe_liveness' | 'probe_readiness'>> &
  Pick<AppPrototype, 'image_secret' | 'probe_liveness' | 'probe_readiness'>;

export const APP_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const COMPONENT = '[a-z0-9]([a-z0-9\\-_.]*[a-z0-9])?';
const IMAGE_REF = new RegExp(
  `^(${COMPONENT}(:[0-9]+)?/)?(${COMPONENT}/)*${COMPONENT}(:[\\w][\\w.-]{0,127})?(@sha256:[a-fA-F0-9]{64})?$`,
);
const QUANTITY = /^([0-9.]+)([eEinumkKMGTPB]*)$/;
const ENV_PREFIX = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** §10: vCPU → allowed memory in GB. */
export const CPU_MEMORY_COMBOS: ReadonlyArray<readonly [number, readonly number[]]> = [
  [0.125, [0.25, 0.5, 1]],
  [0.25, [0.5, 1, 2]],
  [0.5, [1, 2, 4]],
  [1, [2, 4, 8]],
  [2, [4, 8, 16]],
  [4, [8, 16, 32]],
  [6, [12, 24, 48]],
  [8, [16, 32]],
  [10, [20, 40]],
  [12, [24, 48]],
];

const APP_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'image_reference',
  'image_port',
  'image_secret',
  'managed_domain_mappings',
  'probe_liveness',
  'probe_readiness',
  'run_commands',
  'run_arguments',
  'run_as_user',
  'run_service_account',
  'run_compute_resource_token_enabled',
  'run_env_variables',
  'run_volume_mounts',
  'scale_cpu_limit',
  'scale_memory_limit',
  'scale_ephemeral_storage_limit',
  'scale_min_instances',
  'scale_max_instances',
  'scale_initial_instances',
  'scale_concurrency',
  'scale_concurrency_target',
  'scale_request_timeout',
  'scale_down_delay',
]);

const DEFAULTS: Omit<AppConfig, 'name' | 'image_reference' | 'scale_concurrency_target'> = {
  image_port: 8080,
  managed_domain_mappings: 'local_public',
  run_commands: [],
  run_arguments: [],
  run_as_user: 0,
  run_service_account: 'default',
  run_compute_resource_token_enabled: false,
  run_env_variables: [],
  run_volume_mounts: [],
  scale_cpu_limit: '1',
  scale_memory_limit: '4G',
  scale_ephemeral_storage_limit: '400M',
  scale_min_instances: 0,
  scale_max_instances: 10,
  scale_initial_instances: 1,
  scale_concurrency: 100,
  scale_request_timeout: 300,
  scale_down_delay: 0,
};

/** A quantity in decimal units (M = 1e6, G = 1e9; Mi/Gi binary), or undefined if malformed. */
export function parseQuantity(raw: string): number | undefined {
  const m = QUANTITY.exec(raw);
  if (!m || raw.length > 10) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  const mult: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    B: 1,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    MB: 1e6,
    GB: 1e9,
    KB: 1e3,
    TB: 1e12,
  };
  const f = mult[m[2]];
  return f === undefined ? undefined : n * f;
}

/** Memory in GB for the combo table; binary units count as their decimal namesake (4Gi ~ 4G). */
function memoryGb(raw: string): number | undefined {
  const m = QUANTITY.exec(raw);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2];
  if (unit === 'G' || unit === 'Gi' || unit === 'GB') return n;
  if (unit === 'M' || unit === 'Mi' || unit === 'MB') return n / 1000;
  const bytes = parseQuantity(raw);
  return bytes === undefined ? undefined : bytes / 1e9;
}

const near = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;

function int(body: Record<string, unknown>, key: string, min: number, max: number): void {
  const v = body[key];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw badField(key, `The field ${key} must be an integer between ${min} and ${max}.`);
  }
}

function str(body: Record<string, unknown>, key: string, max: number, pattern?: RegExp): void {
  const v = body[key];
  if (v === undefined) return;
  if (typeof v !== 'string' || v.length > max || (pattern && !pattern.test(v))) {
    throw badField(
      key,
      `The field ${key} has an invalid value${pattern ? ` (must match ${pattern.source}, at most ${max} characters)` : ''}.`,
    );
  }
}

function oneOf(body: Record<string, unknown>, key: string, values: readonly string[]): void {
  const v = body[key];
  if (v !== undefined && (typeof v !== 'string' || !values.includes(v))) {
    throw badField(key, `The field ${key} must be one of: ${values.join(', ')}.`);
  }
}

function stringArray(body: Record<string, unknown>, key: string): void {
  const v = body[key];
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length > 100 || v.some((s) => typeof s !== 'string')) {
    throw badField(key, `The field ${key} must be an array of at most 100 strings.`);
  }
}

function validateProbe(key: string, v: unknown): void {
  if (v === undefined) return;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badField(key, `The field ${key} must be an object.`);
  const p = v as Record<string, unknown>;
  const known = new Set(['type', 'path', 'port', 'initial_delay', 'interval', 'timeout', 'failure_threshold']);
  for (const k of Object.keys(p))
    if (!known.has(k)) throw badField(`${key}.${k}`, `Unknown field ${key}.${k}.`, 'unknown_field');
  oneOf(p, 'type', ['tcp', 'http']);
  if (p.path !== undefined) {
    if (p.type !== 'http') throw badField(`${key}.path`, 'A probe path is only allowed for http probes.');
    str(p, 'path', 2048, /^\/.*$/);
  }
  int(p, 'port', 0, 65535);
  // 0 is what the service reads back for an unset delay (realistic mode echoes it).
  int(p, 'initial_delay', 0, 10);
  int(p, 'interval', 1, 60);
  int(p, 'timeout', 1, 3600);
  int(p, 'failure_threshold', 1, 10);
}

function validateEnv(list: unknown): void {
  if (list === undefined) return;
  if (!Array.isArray(list) || list.length > 100)
    throw badField('run_env_variables', 'run_env_variables must be an array of at most 100 items.');
  list.forEach((raw, i) => {
    const at = `run_env_variables[${i}]`;
    if (!raw || typeof raw !== 'object') throw badField(at, `${at} must be an object.`);
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e))
      if (!['type', 'name', 'value', 'reference', 'key', 'prefix'].includes(k))
        throw badField(`${at}.${k}`, `Unknown field ${at}.${k}.`, 'unknown_field');
    oneOf(e, 'type', [
      'literal',
      'config_map_full_reference',
      'secret_full_reference',
      'config_map_key_reference',
      'secret_key_reference',
    ]);
    for (const k of ['name', 'key', 'reference']) str(e, k, 253);
    str(e, 'value', 1_048_576);
    const type = (e.type as string | undefined) ?? 'literal';
    const need = (k: string): void => {
      if (typeof e[k] !== 'string' || e[k] === '')
        throw badField(`${at}.${k}`, `${at}.${k} is required for type ${type}.`, 'missing_field');
    };
    if (type === 'literal') need('name');
    if (type.endsWith('_key_reference')) ['name', 'reference', 'key'].forEach(need);
    if (type.endsWith('_full_reference')) {
      need('reference');
      if (e.prefix !== undefined) str(e, 'prefix', 253, ENV_PREFIX);
    }
  });
}

function validateMounts(list: unknown, version: string | null): void {
  if (list === undefined) return;
  if (!Array.isArray(list) || list.length > 100)
    throw badField('run_volume_mounts', 'run_volume_mounts must be an array of at most 100 items.');
  list.forEach((raw, i) => {
    const at = `run_volume_mounts[${i}]`;
    if (!raw || typeof raw !== 'object') throw badField(at, `${at} must be an object.`);
    const m = raw as Record<string, unknown>;
    if ('name' in m && (version === null || version >= '2025-07-10')) {
      throw badField(`${at}.name`, `${at}.name is no longer supported from version 2025-07-10.`);
    }
    if (typeof m.mount_path !== 'string' || !m.mount_path.startsWith('/') || m.mount_path.length > 256)
      throw badField(`${at}.mount_path`, `${at}.mount_path must be an absolute path.`);
    if (typeof m.reference !== 'string' || !m.reference)
      throw badField(`${at}.reference`, `${at}.reference is required.`, 'missing_field');
    oneOf(m, 'type', ['config_map', 'secret', 'persistent_data_store']);
    if (m.type === undefined) throw badField(`${at}.type`, `${at}.type is required.`, 'missing_field');
  });
}

/**
 * Validates a full app configuration (create body, or old config + merge patch) and fills in
 * §5 defaults. `version` is the request's `version` query parameter (null when absent).
 */
export function normalizeApp(body: Record<string, unknown>, version: string | null): AppConfig {
  for (const k of Object.keys(body)) {
    if (!APP_FIELDS.has(k)) throw badField(k, `Unknown field ${k}.`, 'unknown_field');
  }
  if (typeof body.name !== 'string' || body.name === '')
    throw badField('name', 'The field name is required.', 'missing_field');
  str(body, 'name', 63, APP_NAME);
  if (typeof body.image_reference !== 'string' || body.image_reference === '')
    throw badField('image_reference', 'The field image_reference is required.', 'missing_field');
  if ((body.image_reference as string).length > 256 || !IMAGE_REF.test(body.image_reference as string)) {
    throw badField(
      'image_reference',
      'The field image_reference must look like REGISTRY/NAMESPACE/REPOSITORY:TAG (lowercase, at most 256 characters).',
    );
  }
  int(body, 'image_port', 0, 65535);
  str(body, 'image_secret', 253);
  oneOf(body, 'managed_domain_mappings', ['local_public', 'local_private', 'local']);
  validateProbe('probe_liveness', body.probe_liveness);
  validateProbe('probe_readiness', body.probe_readiness);
  stringArray(body, 'run_commands');
  stringArray(body, 'run_arguments');
  int(body, 'run_as_user', 0, 2147483647);
  oneOf(body, 'run_service_account', ['default', 'manager', 'reader', 'writer', 'none']);
  if (
    body.run_compute_resource_token_enabled !== undefined &&
    typeof body.run_compute_resource_token_enabled !== 'boolean'
  ) {
    throw badField('run_compute_resource_token_enabled', 'run_compute_resource_token_enabled must be a boolean.');
  }
  validateEnv(body.run_env_variables);
  validateMounts(body.run_volume_mounts, version);
  for (const k of ['scale_cpu_limit', 'scale_memory_limit', 'scale_ephemeral_storage_limit']) {
    str(body, k, 10, QUANTITY);
  }
  int(body, 'scale_min_instances', 0, 250);
  int(body, 'scale_max_instances', 0, 250);
  int(body, 'scale_initial_instances', 0, 250);
  int(body, 'scale_concurrency', 1, 1000);
  int(body, 'scale_concurrency_target', 1, 1000);
  int(body, 'scale_request_timeout', 1, 600);
  int(body, 'scale_down_delay', 0, 3600);

  const cfg = {
    name: body.name,
    image_reference: body.image_reference,
    ...DEFAULTS,
    ...stripUndefined(body),
  } as AppConfig;
  if (cfg.scale_concurrency_target === undefined) cfg.scale_concurrency_target = cfg.scale_concurrency;
  cfg.run_env_variables = cfg.run_env_variables.map((e: EnvVar) => ({ type: 'literal', ...e }));
  // The deprecated mount `name` (accepted before 2025-07-10) is not kept, as in newer versions.
  cfg.run_volume_mounts = cfg.run_volume_mounts.map((m: VolumeMount & { name?: string }) => {
    const { name: _name, ...rest } = m;
    return rest;
  });
  checkResources(cfg);
  if (cfg.scale_max_instances !== 0 && cfg.scale_min_instances > cfg.scale_max_instances) {
    throw badField(
      'scale_min_instances',
      `scale_min_instances (${cfg.scale_min_instances}) must not exceed scale_max_instances (${cfg.scale_max_instances}).`,
    );
  }
  for (const p of [cfg.probe_liveness, cfg.probe_readiness] as (Probe | undefined)[])
    if (p && p.type === undefined) p.type = 'tcp';
  return cfg;
}

function checkResources(cfg: AppConfig): void {
  const cpu = parseQuantity(cfg.scale_cpu_limit);
  const mem = memoryGb(cfg.scale_memory_limit);
  if (cpu === undefined) throw badField('scale_cpu_limit', 'scale_cpu_limit is not a valid quantity.');
  if (mem === undefined) throw badField('scale_memory_limit', 'scale_memory_limit is not a valid quantity.');
  const row = CPU_MEMORY_COMBOS.find(([c]) => near(c, cpu));
  if (!row || !row[1].some((m) => near(m, mem))) {
    const allowed = row
      ? row[1].map((m) => `${m}G`).join(', ')
      : 'none (valid vCPU values: 0.125, 0.25, 0.5, 1, 2, 4, 6, 8, 10, 12)';
    throw new EmuError(
      400,
      'invalid_cpu_memory_combination',
      `The combination of CPU ${cfg.scale_cpu_limit} and memory ${cfg.scale_memory_limit} is not supported. Memory allowed with this CPU: ${allowed}.`,
      { type: 'field', name: 'scale_memory_limit' },
    );
  }
  const eph = memoryGb(cfg.scale_ephemeral_storage_limit);
  if (eph === undefined)
    throw badField('scale_ephemeral_storage_limit', 'scale_ephemeral_storage_limit is not a valid quantity.');
  const cap = Math.min(48, Math.max(0.4, mem));
  if (eph > cap + 1e-9) {
    throw badField(
      'scale_ephemeral_storage_limit',
      `scale_ephemeral_storage_limit ${cfg.scale_ephemeral_storage_limit} exceeds the maximum of max(400M, memory) = ${cap}G (and at most 48G).`,
    );
  }
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}

/** RFC 7396 merge patch (objects merge recursively, null deletes, arrays replace). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Bytes for Docker limits (HostConfig.Memory) from a CE memory quantity. */
export function memoryBytes(raw: string): number {
  return Math.round(parseQuantity(raw) ?? 4e9);
}
