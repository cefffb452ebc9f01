// Validation and defaulting of secrets, builds and build runs for the emulator (reference §7,
// §8). Pure functions that throw 400 EmuErrors; no storage, no I/O.

import type { BuildPrototype, SecretFormat } from './wire.js';
import { badField } from './http-util.js';

export const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const BUILD_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

export const SECRET_FORMATS: readonly SecretFormat[] = [
  'generic',
  'ssh_auth',
  'basic_auth',
  'tls',
  'registry',
  'hmac_auth',
  'service_access',
  'service_operator',
  'other',
];

const REQUIRED_KEYS: Partial<Record<SecretFormat, string[]>> = {
  ssh_auth: ['ssh_key'],
  basic_auth: ['username', 'password'],
  tls: ['tls_cert', 'tls_key'],
  registry: ['server', 'username', 'password'],
  hmac_auth: ['access_key_id', 'secret_access_key'],
};

export function secretResourceType(format: SecretFormat): string {
  const map: Record<SecretFormat, string> = {
    generic: 'secret_generic_v2',
    ssh_auth: 'secret_auth_ssh_v2',
    basic_auth: 'secret_basic_auth_v2',
    tls: 'secret_tls_v2',
    registry: 'secret_registry_v2',
    hmac_auth: 'secret_hmac_auth_v2',
    service_access: 'secret_service_access_v2',
    service_operator: 'secret_operator_v2',
    other: 'secret_other_v2',
  };
  return map[format];
}

/** Checks format and data of a secret create/replace body; never quotes a secret value. */
export function validateSecretData(body: Record<string, unknown>): {
  format: SecretFormat;
  data: Record<string, string>;
} {
  const format = body.format;
  if (typeof format !== 'string' || !(SECRET_FORMATS as readonly string[]).includes(format)) {
    throw badField(
      'format',
      `The field format must be one of: ${SECRET_FORMATS.join(', ')}.`,
      format === undefined ? 'missing_field' : 'invalid_field_value',
    );
  }
  const raw = body.data ?? {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw badField('data', 'The field data must be an object of string values.');
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!DATA_KEY.test(k) || k.length > 253)
      throw badField(
        `data.${k.slice(0, 60)}`,
        'Secret keys may contain only letters, digits, "-", "_" and "." (at most 253 characters).',
      );
    if (typeof v !== 'string') throw badField(`data.${k}`, `The value of data.${k} must be a string.`);
    if (v.length > 1_048_576) throw badField(`data.${k}`, `The value of data.${k} exceeds 1048576 characters.`);
    data[k] = v;
  }
  for (const k of REQUIRED_KEYS[format as SecretFormat] ?? []) {
    if (!(k in data)) throw badField(`data.${k}`, `data.${k} is required for format ${format}.`, 'missing_field');
  }
  return { format: format as SecretFormat, data };
}

const BUILD_FIELDS = new Set([
  'name',
  'output_image',
  'output_secret',
  'strategy_type',
  'source_type',
  'source_url',
  'source_revision',
  'source_context_dir',
  'source_secret',
  'strategy_spec_file',
  'strategy_size',
  'timeout',
  'run_build_params',
]);

/**
 * Emulator deviation: besides `https://` and `git@` URLs, `file://` URLs and absolute local
 * paths are accepted as `source_url`, so that Docker mode can build from a local repository.
 */
const SOURCE_URL = /^(https:\/\/|http:\/\/|git@|file:\/\/|\/)\S+$/;

function enumField(body: Record<string, unknown>, key: string, values: string[]): void {
  const v = body[key];
  if (v !== undefined && (typeof v !== 'string' || !values.includes(v)))
    throw badField(key, `The field ${key} must be one of: ${values.join(', ')}.`);
}

function stringField(body: Record<string, unknown>, key: string, required = false): void {
  const v = body[key];
  if (v === undefined) {
    if (required) throw badField(key, `The field ${key} is required.`, 'missing_field');
    return;
  }
  if (typeof v !== 'string' || v === '' || v.length > 512)
    throw badField(key, `The field ${key} must be a non-empty string.`);
}

/** Validates a full build config and fills defaults. `partial` skips `name` (build run overrides). */
export function normalizeBuild(
  body: Record<string, unknown>,
  opts: { requireName: boolean; extraFields?: string[] },
): BuildPrototype {
  const allowed = new Set([...BUILD_FIELDS, ...(opts.extraFields ?? [])]);
  for (const k of Object.keys(body)) if (!allowed.has(k)) throw badField(k, `Unknown field ${k}.`, 'unknown_field');
  if (opts.requireName) {
    stringField(body, 'name', true);
    if (!BUILD_NAME.test(body.name as string) || (body.name as string).length > 63)
      throw badField('name', `The field name must match ${BUILD_NAME.source} (at most 63 characters).`);
  }
  stringField(body, 'output_image', true);
  stringField(body, 'output_secret', true);
  if (body.strategy_type === undefined)
    throw badField('strategy_type', 'The field strategy_type is required.', 'missing_field');
  enumField(body, 'strategy_type', ['dockerfile', 'buildpacks']);
  enumField(body, 'source_type', ['git', 'local']);
  enumField(body, 'strategy_size', ['small', 'medium', 'large', 'xlarge', 'xxlarge']);
  const sourceType = (body.source_type as string | undefined) ?? 'git';
  if (sourceType === 'git') {
    stringField(body, 'source_url', true);
    if (!SOURCE_URL.test(body.source_url as string))
      throw badField(
        'source_url',
        'The field source_url must be an https:// or git@ URL (the emulator also accepts file:// URLs and absolute paths).',
      );
  } else {
    for (const k of ['source_url', 'source_revision', 'source_secret'])
      if (body[k] !== undefined) throw badField(k, `The field ${k} is not allowed when source_type is local.`);
  }
  for (const k of ['source_revision', 'source_context_dir', 'source_secret', 'strategy_spec_file'])
    stringField(body, k);
  const t = body.timeout;
  if (t !== undefined && (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > 3600))
    throw badField('timeout', 'The field timeout must be an integer between 1 and 3600.');
  if (
    body.run_build_params !== undefined &&
    (!Array.isArray(body.run_build_params) || body.run_build_params.length > 100)
  ) {
    throw badField('run_build_params', 'run_build_params must be an array of at most 100 items.');
  }
  return {
    source_type: 'git',
    strategy_spec_file: 'Dockerfile',
    strategy_size: 'medium',
    timeout: 600,
    ...(Object.fromEntries(
      Object.entries(body).filter(([, v]) => v !== undefined && v !== null),
    ) as Partial<BuildPrototype>),
  } as BuildPrototype;
}
