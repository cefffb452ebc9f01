// HTTP transport of the Code Engine client: one keep-alive undici Agent, IAM bearer tokens from
// ibm-cloud-sdk-core's IamAuthenticator (cached by its token manager), `version` pinning, typed
// errors and bounded retries for requests that are safe to repeat. Knows nothing of resources.

import { Agent, request as undiciRequest } from 'undici';
import { IamAuthenticator } from 'ibm-cloud-sdk-core';
import { CodeEngineApiError, parseErrorBody, redact, redactError } from './errors.js';
import { decideEndpoint } from '../../config/endpoint-policy.js';
import { backoffDelayMs, isRetryableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry.js';

export interface TransportOptions {
  apiKey: string;
  serviceUrl: string;
  iamUrl: string;
  version: string;
  retry: RetryPolicy;
  timeoutMs: number;
  userAgent: string;
  onRequest?: (method: string, path: string, status: number) => void;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  /** Path below the service URL, e.g. `/projects/<id>/apps`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: 'application/json' | 'application/merge-patch+json';
  ifMatch?: string;
}

export interface ApiResponse<T> {
  status: number;
  etag?: string;
  body: T;
}

export class Transport {
  private readonly opts: TransportOptions;
  private readonly agent: Agent;
  private readonly basePath: string;
  /** Made on first use: a plan without credentials builds the backend but never calls it. */
  private auth: IamAuthenticator | undefined;

  constructor(opts: TransportOptions) {
    this.opts = opts;
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
    this.basePath = new URL(opts.serviceUrl).pathname.replace(/\/$/, '');
    this.auth = opts.apiKey ? this.newAuthenticator() : undefined;
  }

  get retryPolicy(): RetryPolicy {
    return this.opts.retry;
  }

  private newAuthenticator(): IamAuthenticator {
    return new IamAuthenticator({ apikey: this.opts.apiKey, url: this.opts.iamUrl });
  }

  /** Full request path as the server sees it (used in errors and the onRequest hook). */
  fullPath(path: string): string {
    return `${this.basePath}${path}`;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private secrets(extra?: string): string[] {
    return [this.opts.apiKey, extra].filter((s): s is string => !!s);
  }

  /**
   * The point-of-use check: neither the API key (to IAM) nor the bearer token (to the service)
   * leaves this process for a host the operator's policy does not allow, whatever the config
   * validation let through. Asked on every request so that the allow-list is read as it is now.
   */
  private refuseUnlessAllowed(method: string, path: string): void {
    for (const [key, url, service] of [
      ['iam_url', this.opts.iamUrl, 'iam'],
      ['service_url', this.opts.serviceUrl, 'codeengine'],
    ] as const) {
      const d = decideEndpoint(key, url);
      if (d.allowed) continue;
      throw new CodeEngineApiError({
        service,
        status: 0,
        method,
        path,
        networkCode: 'endpoint_refused',
        message: `credentials are not sent to ${d.host} (${key}): ${d.why}; set CONTEXTFORGE_ALLOWED_ENDPOINTS=${d.host} or pass --allow-endpoint ${d.host} to allow it`,
      });
    }
  }

  private async authorization(method: string, path: string): Promise<string> {
    this.refuseUnlessAllowed(method, path);
    if (!this.opts.apiKey)
      throw new CodeEngineApiError({
        service: 'iam',
        status: 0,
        method,
        path,
        networkCode: 'no_credentials',
        message: 'this Code Engine backend has no API key (its api_key variable is not set)',
      });
    this.auth ??= this.newAuthenticator();
    const reqOpts: { headers: Record<string, string> } = { headers: {} };
    try {
      await this.auth.authenticate(reqOpts);
    } catch (e) {
      // The SDK's error may carry the IAM response; keep status and IAM's code/message only.
      const err = e as { status?: number; message?: string; result?: { errorCode?: string; errorMessage?: string } };
      const status = typeof err.status === 'number' ? err.status : 0;
      const errors =
        err.result?.errorCode || err.result?.errorMessage
          ? [{ code: err.result.errorCode ?? 'iam_error', message: err.result.errorMessage ?? '' }]
          : [{ code: 'iam_error', message: String(err.message ?? 'token request failed') }];
      this.opts.onRequest?.('POST', '/identity/token', status);
      throw redactError(
        new CodeEngineApiError({
          service: 'iam',
          status,
          method,
          path: '/identity/token',
          errors,
          networkCode: status === 0 ? 'iam_unreachable' : undefined,
        }),
        this.secrets(),
      );
    }
    return reqOpts.headers.Authorization ?? '';
  }

  /** One attempt, no retries. HTTP errors come back as values; transport failures throw status 0. */
  async once<T>(req: ApiRequest): Promise<ApiResponse<T> | CodeEngineApiError> {
    const path = this.fullPath(req.path);
    const authz = await this.authorization(req.method, path);
    const url = new URL(this.opts.serviceUrl.replace(/\/$/, '') + req.path);
    url.searchParams.set('version', this.opts.version);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = {
      authorization: authz,
      accept: 'application/json',
      'user-agent': this.opts.userAgent,
    };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = req.contentType ?? 'application/json';
    }
    if (req.ifMatch !== undefined) headers['if-match'] = req.ifMatch;
    let status = 0;
    try {
      const res = await undiciRequest(url, {
        method: req.method,
        headers,
        body,
        dispatcher: this.agent,
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
        // undici's own timers are coarse (fast timers); the signal makes the bound precise.
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      status = res.statusCode;
      const text = await res.body.text();
      this.opts.onRequest?.(req.method, path, status);
      const etagHeader = res.headers['etag'];
      const etag = Array.isArray(etagHeader) ? etagHeader[0] : etagHeader;
      if (status >= 200 && status < 300) {
        return { status, etag: etag ? unquote(etag) : undefined, body: (text ? JSON.parse(text) : undefined) as T };
      }
      const parsed = parseErrorBody(text);
      const retryAfterSeconds = parseRetryAfter(res.headers['retry-after']);
      return redactError(
        new CodeEngineApiError({
          service: 'codeengine',
          status,
          method: req.method,
          path,
          errors: parsed.errors,
          trace: parsed.trace,
          retryAfterSeconds,
        }),
        this.secrets(authz),
      );
    } catch (e) {
      if (status !== 0) throw e; // a bug while handling a response (e.g. bad JSON on 2xx)
      const err = e as { name?: string; code?: unknown; cause?: { code?: unknown }; message?: string };
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
      const code =
        typeof err.code === 'string' ? err.code : typeof err.cause?.code === 'string' ? err.cause.code : undefined;
      const networkCode = timedOut ? 'ETIMEDOUT' : (code ?? 'network_error');
      this.opts.onRequest?.(req.method, path, 0);
      return new CodeEngineApiError({
        service: 'codeengine',
        status: 0,
        method: req.method,
        path,
        networkCode,
        message: redact(String(err.message ?? ''), this.secrets(authz)),
      });
    }
  }

  /**
   * Sends with retries on 429/5xx/transport failures. Only for requests that are safe to repeat
   * (GET, DELETE, conditional PUT/PATCH); creates use their own recovery loop (see client.ts).
   * A 401 on a cached token gets one retry with a fresh authenticator.
   */
  async request<T>(req: ApiRequest): Promise<ApiResponse<T>> {
    let refreshedAuth = false;
    for (let attempt = 0; ; attempt++) {
      let res: ApiResponse<T> | CodeEngineApiError;
      try {
        res = await this.once<T>(req);
      } catch (e) {
        if (
          e instanceof CodeEngineApiError &&
          e.service === 'iam' &&
          isRetryableStatus(e.status) &&
          attempt < this.opts.retry.maxRetries
        ) {
          await sleep(backoffDelayMs(this.opts.retry, attempt));
          continue;
        }
        throw e;
      }
      if (!(res instanceof CodeEngineApiError)) return res;
      if (res.status === 401 && !refreshedAuth) {
        refreshedAuth = true;
        this.auth = this.newAuthenticator();
        continue;
      }
      if (!isRetryableStatus(res.status) || attempt >= this.opts.retry.maxRetries) throw res;
      await sleep(backoffDelayMs(this.opts.retry, attempt, res.retryAfterSeconds));
    }
  }
}

function unquote(etag: string): string {
  const weak = etag.startsWith('W/') ? etag.slice(2) : etag;
  return weak.length >= 2 && weak.startsWith('"') && weak.endsWith('"') ? weak.slice(1, -1) : weak;
}
