// `contextforge client-config <client>`: prints (stdout, JSON only) the snippet that points an
// MCP client at the gateway (the running one's port when it runs), and on stderr where to put it
// and where the token is; `--write` merges it into the client's config file instead. It never
// prints or writes a token: snippets carry a placeholder or an environment reference instead.

import type { CAC } from 'cac';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/index.js';
import type { GatewaySettings } from '../generated/config.js';
import { hasErrors } from '../diag/diagnostic.js';
import { TOKEN_ENV, tokenFilePath } from '../host/auth.js';
import { servedUrl } from '../host/served.js';
import { clientConfigFile, writeClientConfig, type WritableClient } from './client-config-write.js';
import { configPath, printDiagnostics } from './config-file.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

export const CLIENTS = ['claude-desktop', 'vscode', 'cursor', 'claude-code', 'inspector'] as const;
export type ClientKind = (typeof CLIENTS)[number];

export interface ClientConfigInput {
  client: ClientKind;
  /** Server name inside the client's config. */
  name: string;
  /** The gateway's MCP URL, e.g. http://127.0.0.1:4444/mcp. */
  url: string;
  /** False when gateway.auth is none. */
  auth: boolean;
  /** Absolute config path, for the stdio command. */
  configFile: string;
  /** Absolute path of bin/contextforge.js and the node binary, for the stdio command. */
  bin: string;
  node: string;
}

export interface ClientSnippet {
  json: unknown;
  /** Where the snippet goes and how to supply the token (printed on stderr). */
  hints: string[];
}

export const TOKEN_PLACEHOLDER = '<token>';

export function clientSnippet(input: ClientConfigInput): ClientSnippet {
  const { name, url } = input;
  switch (input.client) {
    case 'claude-desktop':
      // Claude Desktop's config file launches local commands only: run the gateway over stdio.
      return {
        json: {
          mcpServers: {
            [name]: { command: input.node, args: [input.bin, 'serve', '--stdio', '-f', input.configFile] },
          },
        },
        hints: [
          'Merge this into claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: %APPDATA%\\Claude\\), then restart Claude Desktop.',
          'It runs `contextforge serve --stdio`, which serves what is applied for this config; no token is needed over stdio.',
        ],
      };
    case 'vscode':
      return {
        json: {
          servers: {
            [name]: {
              type: 'http',
              url,
              ...(input.auth ? { headers: { Authorization: `Bearer \${input:${name}-token}` } } : {}),
            },
          },
          ...(input.auth
            ? {
                inputs: [
                  {
                    type: 'promptString',
                    id: `${name}-token`,
                    description: 'contextforge gateway token',
                    password: true,
                  },
                ],
              }
            : {}),
        },
        hints: [
          'Save this as .vscode/mcp.json in your workspace (or merge it into your user mcp.json).',
          ...(input.auth ? ['VS Code asks for the token once and stores it securely.'] : []),
        ],
      };
    case 'cursor':
      return {
        json: {
          mcpServers: {
            [name]: { url, ...(input.auth ? { headers: { Authorization: `Bearer \${env:${TOKEN_ENV}}` } } : {}) },
          },
        },
        hints: [
          'Merge this into ~/.cursor/mcp.json (or .cursor/mcp.json in a project).',
          ...(input.auth
            ? [`Cursor reads the token from ${TOKEN_ENV} in its environment: start Cursor with it set.`]
            : []),
        ],
      };
    case 'claude-code':
      // Claude Code expands ${VAR} in .mcp.json from its environment.
      return {
        json: {
          mcpServers: {
            [name]: {
              type: 'http',
              url,
              ...(input.auth ? { headers: { Authorization: `Bearer \${${TOKEN_ENV}}` } } : {}),
            },
          },
        },
        hints: [
          'Save this as .mcp.json in your project (or run: claude mcp add --transport http ...).',
          ...(input.auth
            ? [`Claude Code reads the token from ${TOKEN_ENV} in its environment: start it with that set.`]
            : []),
        ],
      };
    case 'inspector':
      return {
        json: { mcpServers: { [name]: { type: 'streamable-http', url } } },
        hints: [
          `Save this as inspector.json, then: npx @modelcontextprotocol/inspector --cli --config inspector.json --server ${name}${input.auth ? ` --header "Authorization: Bearer ${TOKEN_PLACEHOLDER}"` : ''} --method tools/list`,
          ...(input.auth
            ? [
                `(the inspector takes headers on the command line only; replace ${TOKEN_PLACEHOLDER} with the gateway token)`,
              ]
            : []),
        ],
      };
  }
}

/** The URL to point at: --host/--port, else the gateway of this config that runs, else its settings. */
function gatewayUrl(
  g: GatewaySettings | undefined,
  host: string | undefined,
  port: number | undefined,
  served: string | undefined,
): string {
  if (served && host === undefined && port === undefined) {
    const u = new URL(served);
    if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1';
    if (u.hostname === '[::]') u.hostname = '[::1]';
    return `${u.origin}/mcp`;
  }
  let h = host ?? g?.host ?? '127.0.0.1';
  // A gateway listening on every interface is still reached on loopback from this machine.
  if (h === '0.0.0.0') h = '127.0.0.1';
  if (h === '::') h = '::1';
  const shown = h.includes(':') ? `[${h}]` : h;
  return `http://${shown}:${port ?? g?.port ?? 4444}/mcp`;
}

interface Flags {
  file?: string;
  name?: string;
  host?: string;
  port?: string | number;
  write?: boolean;
  configPath?: string;
}

export async function runClientConfig(client: string | undefined, flags: Flags): Promise<number> {
  if (!client || !(CLIENTS as readonly string[]).includes(client)) {
    process.stderr.write(
      `error[cli.unknown-client]: ${client ? `unknown client "${client}"` : 'which client?'}\n  use one of: ${CLIENTS.join(', ')}\n`,
    );
    return 1;
  }
  const file = configPath(flags.file, true)!;
  let gateway: GatewaySettings | undefined;
  let dir: string | undefined;
  if (existsSync(file)) {
    const loaded = await loadConfig(file);
    if (!loaded.value || hasErrors(loaded.diags)) {
      printDiagnostics(loaded.diags, loaded.sensitiveValues);
      return 1;
    }
    gateway = loaded.value.gateway;
    dir = loaded.value.dir;
  } else if (flags.file) {
    process.stderr.write(`error[config.not-found]: ${file} does not exist\n`);
    return 1;
  }
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    process.stderr.write(`error[cli.bad-flag]: --port must be a TCP port, not ${flags.port}\n`);
    return 1;
  }
  const auth = gateway?.auth !== 'none';
  const served = servedUrl(dir ?? dirname(file));
  const snippet = clientSnippet({
    client: client as ClientKind,
    name: flags.name ?? 'contextforge',
    url: gatewayUrl(gateway, flags.host, port, served),
    auth,
    configFile: file,
    bin: fileURLToPath(new URL('../../bin/contextforge.js', import.meta.url)),
    node: process.execPath,
  });
  if (flags.write) {
    if (client === 'inspector') {
      process.stderr.write(
        'error[cli.bad-flag]: the inspector has no config file of its own to write; save the printed snippet instead\n',
      );
      return 1;
    }
    const target = resolve(flags.configPath ?? clientConfigFile(client as WritableClient, process.cwd()));
    const w = writeClientConfig(target, snippet.json as Record<string, unknown>, client as WritableClient);
    if ('error' in w) {
      process.stderr.write(`error[client-config.unwritable]: ${w.error}\n  ${w.detail}\n`);
      return 1;
    }
    process.stdout.write(
      `Wrote server "${flags.name ?? 'contextforge'}" into ${w.file}${w.backup ? ` (the previous file is ${w.backup})` : ''}.\n`,
    );
  } else {
    process.stdout.write(`${JSON.stringify(snippet.json, null, 2)}\n`);
    for (const h of snippet.hints) process.stderr.write(`# ${h}\n`);
  }
  if (flags.host === undefined && port === undefined)
    process.stderr.write(
      served
        ? `# The gateway of this config is running: pointing at ${served}.\n`
        : '# No gateway of this config is running: pointing at the port of its gateway settings (start it with `contextforge up` or `serve`).\n',
    );
  if (auth && client !== 'claude-desktop') {
    const custom =
      typeof gateway?.auth === 'object' &&
      Boolean(
        gateway.auth.tokens?.length ||
        gateway.auth.tokens_file ||
        gateway.auth.jwt_secret ||
        gateway.auth.jwt_secret_file,
      );
    process.stderr.write(
      custom
        ? '# Token: one of the tokens configured under gateway.auth.\n'
        : `# Token: $${TOKEN_ENV} if set when the gateway starts, else the file ${tokenFilePath(dir ?? process.cwd())} (created by serve/up).\n`,
    );
  }
  return 0;
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'client-config')
    .option('-f, --file <path>', 'Config file (default ./contextforge.yaml)')
    .option('--name <name>', 'Server name in the client config (default contextforge)')
    .option('--host <address>', 'Gateway host to point at (default gateway.host)')
    .option('--port <port>', 'Gateway port to point at (default: the running gateway, else gateway.port)')
    .option('--write', "Merge the entry into the client's config file (the old file is kept as <file>.bak)")
    .option('--config-path <file>', "With --write: the client config file to merge into (default: the client's own)")
    .example('contextforge client-config claude-code --write')
    .example('contextforge client-config vscode > .vscode/mcp.json')
    .example('contextforge client-config claude-desktop')
    .action((client: string | undefined, flags: Flags) => setExit(runClientConfig(client, flags)));
};
