// An upstream's lists are read on connect and again on each list_changed; the two reads overlap
// when a server announces a change while the first read is still running (server-everything does
// this on start). Found in CI: a server's prompts vanished from the gateway because a tools-only
// re-read, begun before the first read finished, committed a copy of the catalog taken while the
// prompts were still empty. The server below forces that interleaving by events, not by timing:
// it announces a tools change while answering the first prompts/list, and holds the answer to the
// re-read's tools/list until the first read has asked its last list.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  GetPromptRequestSchema,
  isInitializeRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { createGateway } from '../../src/gateway/index.js';
import { connectClient, quietLogger, waitFor } from './support/upstreams.js';

const TOKEN = `tok-${randomUUID()}`;

/** A server whose second tools/list is answered only after the first resources/templates/list arrived. */
async function startInterleavingServer(): Promise<{
  url: string;
  toolReads: () => number;
  close: () => Promise<void>;
}> {
  let toolReads = 0;
  let announced = false;
  let firstReadDone!: () => void;
  const firstReadFinished = new Promise<void>((r) => (firstReadDone = r));
  const sessions = new Map<string, { server: Server; transport: StreamableHTTPServerTransport }>();
  const make = (): Server => {
    const s = new Server(
      { name: 'interleaving', version: '1.0.0' },
      { capabilities: { tools: { listChanged: true }, prompts: {}, resources: {} } },
    );
    s.setRequestHandler(ListToolsRequestSchema, async () => {
      toolReads++;
      // The re-read (second tools/list) waits until the first full read has asked its last list.
      if (toolReads === 1) return { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] };
      await firstReadFinished;
      // The re-read finds one more tool, so its commit is visible to the test.
      return {
        tools: [
          { name: 'echo', inputSchema: { type: 'object' } },
          { name: 'echo2', inputSchema: { type: 'object' } },
        ],
      };
    });
    s.setRequestHandler(ListPromptsRequestSchema, async () => {
      if (!announced) {
        announced = true;
        await s.sendToolListChanged();
      }
      return { prompts: [{ name: 'greeting', description: 'A prompt that must not vanish' }] };
    });
    s.setRequestHandler(GetPromptRequestSchema, () => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'hello' } }],
    }));
    s.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [] }));
    s.setRequestHandler(ListResourceTemplatesRequestSchema, () => {
      // The first read's last list: release the held re-read once this answer is on its way.
      setImmediate(firstReadDone);
      return { resourceTemplates: [] };
    });
    return s;
  };
  const http = createServer(async (req, res) => {
    let body: unknown;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString());
    }
    const existing = sessions.get(String(req.headers['mcp-session-id']));
    if (existing) return existing.transport.handleRequest(req, res, body);
    if (!isInitializeRequest(body)) {
      res.writeHead(404).end();
      return;
    }
    // The gateway's discovery session, then one session per downstream client (its link).
    const server = make();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => void sessions.set(id, { server, transport }),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    toolReads: () => toolReads,
    close: async () => {
      for (const s of sessions.values()) await s.server.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

test('a list_changed during the first read does not drop the lists the first read found', async () => {
  const upstream = await startInterleavingServer();
  const gw = createGateway({ port: 0, auth: { mode: 'token', tokens: [TOKEN] }, logger: quietLogger() });
  try {
    const base = (await gw.start()).url;
    await gw.setUpstreams([{ name: 'il', transport: 'streamable-http', url: upstream.url, specHash: 'v1' }]);
    await gw.settled();
    await waitFor(() => upstream.toolReads() >= 2, 20_000, 'the re-read of tools');
    const client = await connectClient(`${base}/mcp`, TOKEN);
    try {
      // The re-read's commit is visible once its extra tool is listed.
      await waitFor(
        async () => (await client.listTools()).tools.some((t) => t.name === 'il__echo2'),
        20_000,
        'the re-read committed',
      );
      const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
      assert.equal(prompts, ['il__greeting'], `prompts after the overlapping re-read: ${prompts.join(', ')}`);
      const got = await client.getPrompt({ name: 'il__greeting' });
      assert.is((got.messages[0].content as { text: string }).text, 'hello');
    } finally {
      await client.close();
    }
  } finally {
    await gw.stop();
    await upstream.close();
  }
});

test.run();
