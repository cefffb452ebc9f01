// How a Code Engine step's failure becomes an apply outcome: a carried diagnostic, an API error
// (with its retryability), an interruption, or anything else, each scrubbed of the api key, the
// configured sensitive values and the runtime's secret values. It decides no retries itself.

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import { diagsOf } from '../../diag/error.js';
import { redact } from '../../diag/redact.js';
import type { DesiredResource } from '../../model/resources.js';
import type { ApplyOutcome } from '../backend.js';
import { CodeEngineApiError } from './client.js';
import type { CodeEngineEnv } from './env.js';

/** Removes every known secret value (of `d`, when given) from a diagnostic's text. */
export function scrubber(
  env: Pick<CodeEngineEnv, 'config' | 'sensitiveValues'>,
  d?: DesiredResource,
): (diag: Diagnostic) => Diagnostic {
  const values = [env.config.api_key, ...(env.sensitiveValues ?? []), ...Object.values(d?.secretEnv ?? {})].filter(
    (v) => v && v.length >= 4,
  );
  return (diag: Diagnostic): Diagnostic => ({
    ...diag,
    summary: redact(diag.summary, values),
    ...(diag.detail ? { detail: redact(diag.detail, values) } : {}),
  });
}

export interface FailureInput {
  err: unknown;
  /** The runtime whose secret values are scrubbed too. */
  desired?: DesiredResource;
  address: string;
  /** What was being done, for the message: `update`, `observing stack s`, … */
  action: string;
}

export function failureOutcome(env: Pick<CodeEngineEnv, 'config' | 'sensitiveValues'>, f: FailureInput): ApplyOutcome {
  const { err, address, action } = f;
  const scrub = scrubber(env, f.desired);
  const carried = diagsOf(err);
  if (carried) return { status: 'failed', diags: carried.map((x) => scrub({ ...x, address })) };
  if (err instanceof CodeEngineApiError)
    return { status: 'failed', retryable: err.retryable, diags: [scrub(err.toDiagnostic({ address }))] };
  if (err instanceof Error && (err.name === 'AbortError' || /abort|timeout/i.test(err.message))) {
    return {
      status: 'failed',
      retryable: false,
      diags: [error('ce.interrupted', `${action} of ${address} was interrupted`, { address })],
    };
  }
  return {
    status: 'failed',
    diags: [scrub(error('ce.apply-failed', `${action} of ${address} failed: ${(err as Error).message}`, { address }))],
  };
}
