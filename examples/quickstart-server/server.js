#!/usr/bin/env node
// The quick-start MCP server: a tiny stdio server (three tools, a prompt, a resource) that the
// root contextforge.yaml runs on the process backend, so `contextforge up` works with only Node.
// Plain ESM JavaScript on purpose: it needs no build step. Logs go to stderr; stdout is MCP.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const startedAt = new Date();
const greeting = process.env.QUICKSTART_GREETING ?? 'Hello';

const server = new McpServer({ name: 'contextforge-quickstart', version: '1.0.0' });

server.registerTool(
  'echo',
  {
    description: 'Returns the message it was given.',
    inputSchema: { message: z.string().describe('Text to send back') },
  },
  async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
);

server.registerTool(
  'add',
  {
    description: 'Adds two numbers.',
    inputSchema: { a: z.number().describe('First addend'), b: z.number().describe('Second addend') },
  },
  async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
);

server.registerTool(
  'time',
  {
    description: 'Returns the current time as an ISO 8601 string (UTC).',
    inputSchema: {},
  },
  async () => ({ content: [{ type: 'text', text: new Date().toISOString() }] }),
);

server.registerPrompt(
  'greet',
  {
    description: 'A greeting for someone, in the configured greeting word.',
    argsSchema: { name: z.string().describe('Who to greet') },
  },
  ({ name }) => ({
    messages: [
      { role: 'user', content: { type: 'text', text: `${greeting}, ${name}! Tell me about MCP in one sentence.` } },
    ],
  }),
);

server.registerResource(
  'about',
  'quickstart://about',
  { description: 'What this server is and since when it runs.', mimeType: 'application/json' },
  async (uri) => ({
    contents: [
      {
        uri: uri.href,
        mimeType: 'application/json',
        text: JSON.stringify({
          server: 'contextforge-quickstart',
          pid: process.pid,
          startedAt: startedAt.toISOString(),
        }),
      },
    ],
  }),
);

const transport = new StdioServerTransport();
await server.connect(transport);
// A supervisor or client that closes our stdin is done with us: exit instead of lingering.
process.stdin.on('end', () => process.exit(0));
process.stderr.write(`quickstart server ready (pid ${process.pid})\n`);
