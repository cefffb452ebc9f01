// What `validate` checks, in one call: the config as loaded (schema, references, backend rules)
// plus the guardrails its backends cannot enforce, decided by the compiler's one rule. No
// backend is touched; the capabilities are each kind's table, which describe() also returns.

import { hasErrors } from '../diag/diagnostic.js';
import { loadConfig, type LoadedConfig, type LoadResult } from '../config/index.js';
import { unenforcedGuardrails } from './desired.js';

/**
 * Everything validate checks: the loaded config plus the guardrails its backends cannot enforce
 * (errors when strict, and then no value: such a config must not be applied).
 */
export async function validateConfig(
  path: string,
  options: { strict?: boolean; env?: Record<string, string | undefined> } = {},
): Promise<LoadResult> {
  const loaded = await loadConfig(path, {
    strict: options.strict === true,
    ...(options.env ? { env: options.env } : {}),
  });
  if (!loaded.value) return loaded;
  const diags = [...loaded.diags, ...unenforcedGuardrails(loaded.value, { strict: options.strict })];
  const value: LoadedConfig | undefined = hasErrors(diags) ? undefined : loaded.value;
  return { ...loaded, value, diags };
}
