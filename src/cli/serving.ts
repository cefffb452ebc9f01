// What the gateway verbs (serve, up, dev) share: parsing --port, the lines printed once the
// gateway listens, and waiting for Ctrl-C. Imports only types from the host, so that loading it
// loads no gateway code; the verbs that serve import the host themselves.

import type { Host } from '../host/host.js';

/** Parses --port; undefined when absent, an Error when not a TCP port. */
export function portFlag(v: string | number | undefined): number | undefined | Error {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) return new Error(`--port must be a TCP port (0-65535), not ${v}`);
  return n;
}

/** Lines for the operator after the gateway started: where, and where the token is. */
export function servingLines(host: Host, runtimes: number): string[] {
  const lines: string[] = [];
  const url = host.address ? `${host.address.url}/mcp` : undefined;
  if (url)
    lines.push(`Gateway listening on ${url} (${runtimes} runtime${runtimes === 1 ? '' : 's'} recorded in state)`);
  switch (host.auth.source) {
    case 'none':
      break;
    case 'env':
      lines.push('Auth: bearer token from CONTEXTFORGE_GATEWAY_TOKEN');
      break;
    case 'config':
      lines.push('Auth: bearer tokens / JWT from gateway.auth');
      break;
    case 'generated':
      lines.push(`Auth: bearer token generated into ${host.auth.tokenFile} (send it as Authorization: Bearer <token>)`);
      break;
    case 'file':
      lines.push(`Auth: bearer token in ${host.auth.tokenFile}`);
      break;
  }
  return lines;
}

/** Resolves on the first SIGINT/SIGTERM (or when `also` settles). */
export function untilSignal(also?: Promise<unknown>): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => (): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(sig);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    void also?.then(() => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve('closed');
    });
  });
}
