// Fake IBM Cloud IAM for the emulator: `POST /identity/token` (apikey grant) issuing unsigned
// JWTs with iat/exp, and verification of `Authorization: Bearer` on API calls.
// Never logs or echoes an API key; tokens are random and only valid for this process.

import { randomBytes, randomUUID } from 'node:crypto';
import { EmuError } from './http-util.js';

export interface IamOptions {
  /** Accepted API keys; undefined = any non-empty key. */
  apiKeys?: readonly string[];
  /** Access token lifetime in seconds (default 3600). */
  tokenTtlSeconds?: number;
}

/** IAM answers with its own error format, not Code Engine's container. */
export class IamError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return {
      errorCode: this.errorCode,
      errorMessage: this.message,
      context: { requestId: randomUUID(), requestType: 'incoming.Identity_Token', startTime: new Date().toUTCString() },
    };
  }
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export class FakeIam {
  private readonly tokens = new Map<string, number>();
  private readonly ttl: number;

  constructor(private readonly opts: IamOptions = {}) {
    this.ttl = opts.tokenTtlSeconds ?? 3600;
  }

  /** Handles the form body of a token request; returns the IAM JSON response. */
  exchange(form: URLSearchParams): Record<string, unknown> {
    const grant = form.get('grant_type');
    if (grant !== 'urn:ibm:params:oauth:grant-type:apikey') {
      throw new IamError(
        400,
        'BXNIM0109E',
        'Property missing or empty: grant_type must be urn:ibm:params:oauth:grant-type:apikey.',
      );
    }
    const apikey = form.get('apikey') ?? '';
    if (!apikey) throw new IamError(400, 'BXNIM0109E', 'Property missing or empty: apikey.');
    if (this.opts.apiKeys && !this.opts.apiKeys.includes(apikey)) {
      throw new IamError(400, 'BXNIM0415E', 'Provided API key could not be found.');
    }
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + this.ttl;
    const payload = {
      iam_id: 'IBMid-emulator',
      id: 'IBMid-emulator',
      realmid: 'IBMid',
      jti: randomUUID(),
      sub: 'emulator@example.invalid',
      sub_type: 'ServiceId',
      account: { bss: 'emulator0000000000000000000000ac', valid: true },
      grant_type: 'urn:ibm:params:oauth:grant-type:apikey',
      scope: 'ibm openid',
      client_id: 'default',
      iss: 'https://iam.cloud.ibm.com/identity',
      iat,
      exp,
    };
    // Unsigned (alg none): the SDK only decodes the token to learn iat/exp.
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
    this.tokens.set(token, exp);
    return {
      access_token: token,
      refresh_token: randomBytes(24).toString('base64url'),
      token_type: 'Bearer',
      expires_in: this.ttl,
      expiration: exp,
      scope: 'ibm openid',
    };
  }

  /** Throws a Code Engine 401 unless the header carries a live token we issued. */
  verify(authorization: string | undefined): void {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m)
      throw new EmuError(
        401,
        'unauthorized',
        'The request is missing an IAM access token (Authorization: Bearer <token>).',
      );
    const exp = this.tokens.get(m[1]);
    if (exp === undefined) throw new EmuError(401, 'unauthorized', 'The IAM access token is not valid.');
    if (exp * 1000 <= Date.now()) throw new EmuError(401, 'unauthorized', 'The IAM access token has expired.');
  }

  /** Forget every issued token (clients must fetch a new one). */
  revokeAll(): void {
    this.tokens.clear();
  }
}
