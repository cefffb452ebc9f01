// One upstream MCP session that belongs to exactly one downstream session (a "link"): its own
// server process or HTTP session, so server-to-client requests, log messages and resource
// updates it produces can only reach that session. It relays them through the DownstreamPeer;
// it never decides routing or retries (UpstreamSession does) and never serves another peer.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  EmptyResultSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { CallChannel } from './call-channel.js';
import type { DownstreamPeer, PeerLink, RelayedMethod } from './peer.js';
import type { GatewayLogger } from './types.js';
import { wireHandler } from './wire-error.js';

export const CLIENT_INFO = { name: 'contextforge-gateway', version: '0.1.0' };

/**
 * What every gateway upstream client declares, whatever its downstream client supports: servers
 * such as server-everything list tools only for clients with these capabilities, so declaring
 * them keeps one catalog for everybody. A request the downstream client cannot take is answered
 * with MethodNotFound by the peer, at once.
 */
export const GATEWAY_CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {} },
  roots: { listChanged: true },
};

export interface LinkOptions {
  runtime: string;
  peer: DownstreamPeer;
  transport: Transport;
  /** Bounds the handshake and restoring the session's log level and subscriptions. */
  openTimeoutMs: number;
  /** Bounds every request relayed to the downstream client. */
  timeoutMs: number;
  logger: GatewayLogger;
  /** Called once when the link ends, for whatever reason. */
  onEnd: (link: UpstreamLink) => void;
}

export class UpstreamLink implements PeerLink {
  private ended = false;

  private constructor(
    readonly client: Client,
    /** Pass-through calls on this link's session (see call-channel.ts). */
    readonly channel: CallChannel,
    private readonly o: LinkOptions,
  ) {}

  /** Connects a fresh upstream session for `peer`, restoring its logging level and subscriptions. */
  static async open(o: LinkOptions): Promise<UpstreamLink> {
    const client = new Client(CLIENT_INFO, { capabilities: GATEWAY_CLIENT_CAPABILITIES });
    const channel = new CallChannel(o.transport);
    const link = new UpstreamLink(client, channel, o);
    const relay =
      (method: RelayedMethod) => (req: { params?: Record<string, unknown> }, extra: { signal: AbortSignal }) =>
        // The upstream reads the error with one "MCP error <code>:" prefix (wire-error.ts).
        wireHandler(() =>
          o.peer.relay(method, req.params, { runtime: o.runtime, timeoutMs: o.timeoutMs, signal: extra.signal }),
        )() as never;
    client.setRequestHandler(CreateMessageRequestSchema, relay('sampling/createMessage'));
    client.setRequestHandler(ElicitRequestSchema, relay('elicitation/create'));
    client.setRequestHandler(ListRootsRequestSchema, relay('roots/list'));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => o.peer.log(o.runtime, n.params));
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
      o.peer.resourceUpdated(o.runtime, n.params.uri),
    );
    client.onclose = () => link.end();
    client.onerror = (e) =>
      o.logger.debug('upstream link transport error', { runtime: o.runtime, peer: o.peer.id, error: e.message });
    try {
      await client.connect(channel, { timeout: o.openTimeoutMs });
      const caps = client.getServerCapabilities() ?? {};
      const opts = { timeout: o.openTimeoutMs };
      if (o.peer.logLevel && caps.logging) await client.setLoggingLevel(o.peer.logLevel, opts);
      if (caps.resources?.subscribe) {
        for (const uri of o.peer.subscriptions.get(o.runtime)?.keys() ?? []) {
          await client.request({ method: 'resources/subscribe', params: { uri } }, EmptyResultSchema, opts);
        }
      }
    } catch (e) {
      await link.close();
      throw e;
    }
    o.peer.attach(link);
    return link;
  }

  rootsChanged(): void {
    if (!this.ended) void this.client.sendRootsListChanged().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.end();
    await shutdownClient(this.client);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.o.peer.detach(this);
    this.o.onEnd(this);
  }
}

/** Closes a client, ending a Streamable HTTP session politely; never throws. */
export async function shutdownClient(client: Client): Promise<void> {
  client.onclose = undefined;
  const t = client.transport;
  if (t instanceof CallChannel && t.sessionId) {
    await Promise.race([t.terminateSession().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
  await client.close().catch(() => undefined);
}
