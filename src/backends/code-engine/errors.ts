// Typed errors of the Code Engine client and their short, actionable summaries.
// Owns redaction: no API key or bearer token may survive into a message, a field or a diagnostic.
// Does not decide retries (see retry.ts) and does no I/O.

import { error as diagError, type Diagnostic } from '../../diag/diagnostic.js';
import { redact as redactValues } from '../../diag/redact.js';
import type { ApiErrorContainer, ApiErrorItem } from './types.js';

export type CodeEngineService = 'codeengine' | 'iam';

/** Words of a 409 body that mean a stale entity tag (not a duplicate name or a dying resource). */
const STALE_TAG_WORDS =
  /etag|entity[_ -]?tag|if-match|precondition|resource ?version|has been modified|was modified|latest version/i;

/** The parts of a diagnostic, before they are folded into the shared Diagnostic shape. */
export interface CodeEngineErrorSummary {
  /** Dotted, stable: `ce.bad-request`, `ce.auth-failed`, ... */
  code: string;
  summary: string;
  /** What happened: method, path, status, the body's errors (quoted), trace id. */
  context: string;
  /** What to do next, in a full sentence. */
  hint: string;
}

export interface CodeEngineApiErrorInit {
  service: CodeEngineService;
  status: number;
  method: string;
  path: string;
  errors?: ApiErrorItem[];
  trace?: string;
  retryAfterSeconds?: number;
  /** Set for transport failures (no HTTP response): e.g. ECONNREFUSED, timeout. */
  networkCode?: string;
  message?: string;
}

/** Every non-2xx answer (and every transport failure, with status 0) becomes one of these. */
export class CodeEngineApiError extends Error {
  readonly service: CodeEngineService;
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly errors: ApiErrorItem[];
  readonly trace?: string;
  readonly retryAfterSeconds?: number;
  readonly networkCode?: string;

  constructor(init: CodeEngineApiErrorInit) {
    const first = init.errors?.[0];
    const what = init.status === 0 ? `network error ${init.networkCode ?? ''}`.trim() : `HTTP ${init.status}`;
    const detail = first ? `${first.code}: ${first.message}` : (init.message ?? '');
    super(
      `${init.service === 'iam' ? 'IAM' : 'Code Engine'} ${init.method} ${init.path} failed: ${what}${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'CodeEngineApiError';
    this.service = init.service;
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.errors = init.errors ?? [];
    this.trace = init.trace;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.networkCode = init.networkCode;
  }

  /** True when trying again later may succeed (429, 5xx except 501, no response, stale tag). */
  get retryable(): boolean {
    return (
      this.status === 0 || this.status === 429 || this.staleEntityTag || (this.status >= 500 && this.status !== 501)
    );
  }

  /**
   * True when If-Match named an entity tag that is no longer current. IBM documents no status
   * for this: 412 is the HTTP convention, and a Kubernetes-backed API answers 409 Conflict for a
   * stale resourceVersion. A 409 counts only when its body says so, because 409 also means
   * "name already exists" and "being deleted".
   */
  get staleEntityTag(): boolean {
    if (this.status === 412) return true;
    if (this.status !== 409) return false;
    return this.errors.some((e) => STALE_TAG_WORDS.test(`${e.code} ${e.message}`));
  }

  /** The first error code of the body, e.g. `resource_not_found`. */
  get code(): string | undefined {
    return this.errors[0]?.code;
  }

  /** The shared Diagnostic: summary, then context and hint in `detail`. */
  toDiagnostic(extra: { address?: string } = {}): Diagnostic {
    return toDiagnostic(this, extra);
  }
}

function hintFor(err: CodeEngineApiError): { code: string; summary: string; hint: string } {
  if (err.status === 0) {
    return {
      code: 'ce.unreachable',
      summary: `Could not reach ${err.service === 'iam' ? 'IAM' : 'the Code Engine API'}`,
      hint: 'Check the region / service_url and your network; the request can be retried.',
    };
  }
  if (err.service === 'iam') {
    return {
      code: 'ce.auth-failed',
      summary: 'IAM rejected the API key',
      hint: 'Check the API key (is it set, not revoked, for the right account?) and the IAM url.',
    };
  }
  switch (err.status) {
    case 400:
      return {
        code: 'ce.bad-request',
        summary: 'Code Engine rejected the request',
        hint: 'Fix the field named in the detail (see the valid cpu/memory combinations and name rules).',
      };
    case 401:
      return {
        code: 'ce.unauthorized',
        summary: 'Code Engine did not accept the credentials',
        hint: 'Check the API key and the IAM url; the token may be expired or issued by another IAM.',
      };
    case 403:
      return {
        code: 'ce.forbidden',
        summary: 'Access to the Code Engine project was denied',
        hint: "Grant the API key's identity an IAM role (Writer or Manager) on the Code Engine project.",
      };
    case 404:
      return {
        code: 'ce.not-found',
        summary: 'Code Engine resource not found',
        hint: 'Check the project id and region; the project may have been deleted.',
      };
    case 409:
      if (err.staleEntityTag)
        return {
          code: 'ce.precondition-failed',
          summary: 'The resource changed since it was read',
          hint: 'Someone else updated it; re-read and retry (apply again).',
        };
      if (err.errors.some((e) => /delet/i.test(`${e.code} ${e.message}`)))
        return {
          code: 'ce.being-deleted',
          summary: 'The Code Engine resource is still being deleted',
          hint: 'Code Engine deletes asynchronously; wait until it is gone, then apply again.',
        };
      return {
        code: 'ce.conflict',
        summary: 'A Code Engine resource with that name already exists',
        hint: 'Choose another name or adopt/delete the existing resource.',
      };
    case 412:
      return {
        code: 'ce.precondition-failed',
        summary: 'The resource changed since it was read',
        hint: 'Someone else updated it; re-read and retry (apply again).',
      };
    case 429:
      return {
        code: 'ce.rate-limited',
        summary: 'Code Engine rate limit reached',
        hint: 'Too many requests; wait and retry, or lower the apply parallelism.',
      };
    default:
      if (err.status >= 500) {
        return {
          code: 'ce.server-error',
          summary: `Code Engine server error (${err.status})`,
          hint: 'A problem on the Code Engine side; retry later.',
        };
      }
      return {
        code: 'ce.error',
        summary: `Code Engine request failed (${err.status})`,
        hint: 'See the detail for the reason.',
      };
  }
}

/** Short summary, context (the body's errors quoted) and what to do next. */
export function describeError(err: CodeEngineApiError): CodeEngineErrorSummary {
  const h = hintFor(err);
  const parts = err.errors.map((e) => {
    const target = e.target?.name ? ` [${e.target.type ?? 'field'} ${e.target.name}]` : '';
    return `${e.code}: ${e.message}${target}`;
  });
  const where = `${err.method} ${err.path} -> ${err.status === 0 ? (err.networkCode ?? 'no response') : err.status}`;
  const trace = err.trace ? ` (trace ${err.trace})` : '';
  return {
    code: h.code,
    summary: h.summary,
    context: `${where}${parts.length ? `: ${parts.join('; ')}` : ''}${trace}`,
    hint: h.hint,
  };
}

/** The shared Diagnostic for an API error: `detail` is the context followed by the hint. */
export function toDiagnostic(err: CodeEngineApiError, extra: { address?: string } = {}): Diagnostic {
  const d = describeError(err);
  return diagError(d.code, d.summary, {
    detail: `${d.context}. ${d.hint}`,
    ...(extra.address ? { address: extra.address } : {}),
  });
}

/** Parses a §9 error container; tolerates IAM's `{errorCode, errorMessage}` and junk bodies. */
export function parseErrorBody(text: string): { errors: ApiErrorItem[]; trace?: string } {
  if (!text) return { errors: [] };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { errors: [{ code: 'unparsable_error_body', message: text.slice(0, 200) }] };
  }
  if (body && typeof body === 'object') {
    const b = body as Partial<ApiErrorContainer> & { errorCode?: string; errorMessage?: string };
    if (Array.isArray(b.errors)) {
      const errors = b.errors
        .filter((e): e is ApiErrorItem => !!e && typeof e === 'object')
        .map((e) => ({
          code: String(e.code ?? 'unknown'),
          message: String(e.message ?? ''),
          ...(e.target ? { target: e.target } : {}),
          ...(e.more_info ? { more_info: e.more_info } : {}),
        }));
      return { errors, trace: typeof b.trace === 'string' ? b.trace : undefined };
    }
    if (typeof b.errorCode === 'string' || typeof b.errorMessage === 'string') {
      return { errors: [{ code: b.errorCode ?? 'iam_error', message: b.errorMessage ?? '' }] };
    }
  }
  return { errors: [] };
}

/** Replaces the given secrets (and any bearer token) in `text` with `(sensitive)`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  const out = redactValues(
    text,
    secrets.filter((v): v is string => !!v),
  );
  // Bearer tokens that we did not know about (e.g. echoed by a proxy) are cut too.
  return out.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer (sensitive)');
}

/** Scrubs an error we created, in place: message and error messages. Returns it. */
export function redactError(err: CodeEngineApiError, secrets: readonly (string | undefined)[]): CodeEngineApiError {
  err.message = redact(err.message, secrets);
  for (const e of err.errors) e.message = redact(e.message, secrets);
  return err;
}
