// Reads one MCP server's tool surface: initialize, then tools/list, prompts/list, resources/list
// and resources/templates/list (every page), over a transport the caller opened, then closes the
// session. It declares the client capabilities the gateway declares, so it sees the surface the
// gateway will see. It starts and stops no server.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ListRootsRequestSchema, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { surfaceOf, type Surface } from '../model/tool-surface.js';

/**
 * Must equal the gateway's GATEWAY_CLIENT_CAPABILITIES (src/gateway/link.ts): servers such as
 * server-everything list some tools only to clients with these. test/lock/surface-client.test.ts
 * keeps the two equal.
 */
export const SURFACE_CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {} },
  roots: { listChanged: true },
};

async function pages<T>(get: (cursor?: string) => Promise<{ nextCursor?: string; items: T[] }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const r = await get(cursor);
    out.push(...r.items);
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  return out;
}

/** Connects over transport, lists the whole surface, closes. Throws on any failure. */
export async function listSurface(transport: Transport, timeoutMs: number): Promise<Surface> {
  const client = new Client(
    { name: 'contextforge-lock', version: '0.1.0' },
    { capabilities: SURFACE_CLIENT_CAPABILITIES },
  );
  // Requests the server sends while we list (roots/list, sampling) get an empty answer.
  client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [] }));
  const opts = { timeout: timeoutMs };
  try {
    await client.connect(transport, opts);
    const caps = client.getServerCapabilities() ?? {};
    const tools = caps.tools
      ? await pages(async (cursor) => {
          const r = await client.listTools({ cursor }, opts);
          return { nextCursor: r.nextCursor, items: r.tools };
        })
      : [];
    const prompts = caps.prompts
      ? await pages(async (cursor) => {
          const r = await client.listPrompts({ cursor }, opts);
          return { nextCursor: r.nextCursor, items: r.prompts };
        })
      : [];
    const resources = caps.resources
      ? await pages(async (cursor) => {
          const r = await client.listResources({ cursor }, opts);
          return { nextCursor: r.nextCursor, items: r.resources };
        })
      : [];
    const templates = caps.resources
      ? await pages(async (cursor) => {
          const r = await client.listResourceTemplates({ cursor }, opts);
          return { nextCursor: r.nextCursor, items: r.resourceTemplates };
        }).catch(() => [])
      : [];
    return surfaceOf({ tools, prompts, resources, templates });
  } finally {
    await client.close().catch(() => undefined);
  }
}
