// The gateway as a Code Engine app: the program the gateway image runs (`node gateway.mjs`).
// It serves the upstream apps of its project, listed in CONTEXTFORGE_UPSTREAMS (JSON, set by
// the Code Engine backend from each app's endpoint_internal), on 0.0.0.0:$PORT with bearer
// auth from CONTEXTFORGE_GATEWAY_TOKEN (a Code Engine secret reference, never a literal). It
// reads no config file and no state store: everything it needs arrives in its environment.

import { createGateway, type UpstreamSpec } from '../gateway/index.js';
import { hashOf } from '../model/canonical.js';

interface UpstreamEnv {
  name: string;
  url: string;
  transport: 'streamable-http' | 'sse';
}

/** Parses CONTEXTFORGE_UPSTREAMS; throws a sentence naming what is wrong. */
export function parseUpstreams(raw: string | undefined): UpstreamSpec[] {
  if (!raw) throw new Error('CONTEXTFORGE_UPSTREAMS is not set');
  const list = JSON.parse(raw) as unknown;
  if (!Array.isArray(list)) throw new Error('CONTEXTFORGE_UPSTREAMS must be a JSON array');
  return list.map((u: UpstreamEnv, i) => {
    if (!u || typeof u.name !== 'string' || typeof u.url !== 'string' || !/^https?:\/\//.test(u.url))
      throw new Error(`CONTEXTFORGE_UPSTREAMS[${i}] needs a name and an http(s) url`);
    const transport = u.transport === 'sse' ? 'sse' : 'streamable-http';
    return {
      name: u.name,
      url: u.url,
      transport,
      // Code Engine apps may scale to zero: a cold start can take tens of seconds.
      callTimeoutMs: 60_000,
      pingIntervalMs: 0,
      specHash: hashOf({ name: u.name, url: u.url, transport }),
    };
  });
}

export async function runCodeEngineGateway(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const token = env.CONTEXTFORGE_GATEWAY_TOKEN;
  if (!token) throw new Error('CONTEXTFORGE_GATEWAY_TOKEN is not set (the gateway never runs without auth)');
  const upstreams = parseUpstreams(env.CONTEXTFORGE_UPSTREAMS);
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    process.stdout.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
  const gateway = createGateway({
    host: '0.0.0.0',
    port: Number(env.PORT ?? 8080),
    auth: { mode: 'token', tokens: [token] },
    allowedHosts: (env.CONTEXTFORGE_ALLOWED_HOSTS ?? '').split(',').filter(Boolean),
    logger: { debug: () => undefined, info: line('info'), warn: line('warn'), error: line('error') },
  });
  await gateway.start();
  await gateway.setUpstreams(upstreams);
  const stop = (): void => void gateway.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
