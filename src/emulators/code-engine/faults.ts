// Fault injection and request statistics of the Code Engine emulator. Faults are drawn from a
// seeded PRNG so that a test can reproduce a storm; they apply to `/v2` API calls only.
// Owns no HTTP handling: the server asks `decide()` and reports what happened.

import { EmuError } from './http-util.js';

export interface EmulatorFaults {
  /** Probability [0,1] that an API call is answered 429 before it is processed. */
  rate429: number;
  /** Probability that an API call is answered with a 5xx before it is processed. */
  rate5xx: number;
  /** Probability that a write (POST/PUT/PATCH/DELETE) is performed but answered with a 5xx. */
  rate5xxAfterWrite: number;
  /** Probability that a write is performed and then the connection is reset (no response). */
  rateResetAfterWrite: number;
  /** The status used for injected server errors (default 503). */
  status5xx: number;
  /** Extra latency added to every API call, in ms. */
  latencyMs: number;
  /** Retry-After (seconds) sent with injected 429s. */
  retryAfterSeconds: number;
  /** The next PATCH/PUT bumps the entity tag first (as if someone else wrote), so it gets 412. */
  race412Once: boolean;
  /** Non-Docker mode: build runs end `failed` instead of `succeeded`. */
  failBuildRuns: boolean;
  /**
   * Non-Docker mode: revisions whose image_reference contains this text end `failed`
   * (`fetch_image_failed_unknown_manifest`) instead of `ready`. Empty: none fail.
   */
  failImage: string;
}

export const DEFAULT_FAULTS: EmulatorFaults = {
  rate429: 0,
  rate5xx: 0,
  rate5xxAfterWrite: 0,
  rateResetAfterWrite: 0,
  status5xx: 503,
  latencyMs: 0,
  retryAfterSeconds: 0,
  race412Once: false,
  failBuildRuns: false,
  failImage: '',
};

export interface EmulatorStats {
  total: number;
  tokenRequests: number;
  /** `METHOD /v2/route/:template` → count (every request that reached a route). */
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  faultsInjected: { '429': number; '5xx': number; '5xxAfterWrite': number; resetAfterWrite: number; '412Race': number };
}

export function emptyStats(): EmulatorStats {
  return {
    total: 0,
    tokenRequests: 0,
    byRoute: {},
    byStatus: {},
    faultsInjected: { '429': 0, '5xx': 0, '5xxAfterWrite': 0, resetAfterWrite: 0, '412Race': 0 },
  };
}

/** mulberry32: tiny, fast, seedable. Quality is plenty for fault dice. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROBABILITIES = ['rate429', 'rate5xx', 'rate5xxAfterWrite', 'rateResetAfterWrite'] as const;

/** Validates and merges a partial fault config (from the admin endpoint or code). */
export function mergeFaults(current: EmulatorFaults, patch: unknown): EmulatorFaults {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) {
    throw new EmuError(400, 'invalid_request_body', 'Faults must be a JSON object.');
  }
  const next: EmulatorFaults = { ...current };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (!(k in DEFAULT_FAULTS))
      throw new EmuError(
        400,
        'unknown_field',
        `Unknown fault "${k}". Known: ${Object.keys(DEFAULT_FAULTS).join(', ')}.`,
      );
    const key = k as keyof EmulatorFaults;
    if (typeof DEFAULT_FAULTS[key] === 'string') {
      if (typeof v !== 'string') throw new EmuError(400, 'invalid_field_value', `Fault "${k}" must be a string.`);
      (next[key] as string) = v;
      continue;
    }
    if (typeof DEFAULT_FAULTS[key] === 'boolean') {
      if (typeof v !== 'boolean') throw new EmuError(400, 'invalid_field_value', `Fault "${k}" must be a boolean.`);
      (next[key] as boolean) = v;
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new EmuError(400, 'invalid_field_value', `Fault "${k}" must be a non-negative number.`);
    if ((PROBABILITIES as readonly string[]).includes(k) && v > 1)
      throw new EmuError(400, 'invalid_field_value', `Fault "${k}" is a probability between 0 and 1.`);
    if (k === 'status5xx' && (v < 500 || v > 599 || !Number.isInteger(v)))
      throw new EmuError(400, 'invalid_field_value', 'status5xx must be a 5xx status.');
    (next[key] as number) = v;
  }
  return next;
}
