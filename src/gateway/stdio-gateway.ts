// The stdio gateway: the federated server (or one view of it) served over stdin/stdout for
// clients that can only launch a command. Logs must go to stderr: stdout carries MCP.
// Upstream management is the same Federation as the HTTP gateway.
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { GatewayCore, coreOptionDiagnostics, type CoreOptions } from './core.js';
import { GatewayConfigError } from './gateway.js';
import type { UpstreamSpec, UpstreamStatus, VirtualServerSpec } from './types.js';

export interface StdioGatewayOptions extends CoreOptions {
  upstreams?: UpstreamSpec[];
  /** Serve one runtime or virtual server instead of the whole federation. */
  serve?: { runtime: string } | { virtual: VirtualServerSpec };
  stdin?: Readable;
  stdout?: Writable;
  /**
   * How long to wait for the upstreams' first connection attempts before answering the client;
   * default 10 000 ms. Many launch-a-command clients list tools once and ignore list_changed.
   */
  waitForUpstreamsMs?: number;
}

export interface StdioGateway {
  setUpstreams(specs: UpstreamSpec[]): Promise<void>;
  status(): UpstreamStatus[];
  stop(): Promise<void>;
  /** Resolves when the client closes stdin or stop() is called. */
  readonly closed: Promise<void>;
}

export async function runStdioGateway(opts: StdioGatewayOptions): Promise<StdioGateway> {
  const diags = coreOptionDiagnostics({
    separator: opts.separator,
    callTimeoutMs: opts.callTimeoutMs,
    maxConcurrency: opts.maxConcurrency,
  });
  if (diags.length) throw new GatewayConfigError(diags.map((d) => `${d.summary}. ${d.detail ?? ''}`.trim()));
  const core = new GatewayCore(opts);
  const view = !opts.serve
    ? ({ kind: 'federated' } as const)
    : 'runtime' in opts.serve
      ? ({ kind: 'runtime', name: opts.serve.runtime } as const)
      : ({ kind: 'virtual', spec: opts.serve.virtual } as const);
  const server = core.openServer(view, 'stdio');
  let stopping: Promise<void> | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((r) => (markClosed = r));
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await core.closeServers();
      await core.federation.stop();
      markClosed();
    })();
    return stopping;
  };
  server.onclose = () => void stop();
  const stdin = opts.stdin ?? process.stdin;
  // StdioServerTransport does not notice end of input; a client that goes away must stop us.
  stdin.once('end', () => void stop());
  await core.federation.setUpstreams(opts.upstreams ?? []);
  // stdin stays paused (and buffers the client's first messages) until the transport starts.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    core.federation.settled(),
    new Promise<void>((r) => (timer = setTimeout(r, opts.waitForUpstreamsMs ?? 10_000))),
  ]);
  clearTimeout(timer);
  await server.connect(new StdioServerTransport(stdin, opts.stdout ?? process.stdout));
  core.logger.info('stdio gateway serving', { view: view.kind });
  return {
    setUpstreams: (specs) => core.federation.setUpstreams(specs),
    status: () => core.federation.status(),
    stop,
    closed,
  };
}
