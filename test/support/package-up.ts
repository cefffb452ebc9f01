// Shared by the package-source e2e tests: writes a config in a temp dir, runs the real CLI
// (src/cli/main.ts under tsx) as `up --port 0` with a known gateway token, waits for the gateway
// URL, connects an SDK client, and tears everything down with `destroy` at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const RUNNER = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";

export interface UpRun {
  dir: string;
  configFile: string;
  url: string;
  token: string;
  output(): string;
  client(): Promise<Client>;
  /** Ends `up` (its servers stay, as after Ctrl-C) without destroying anything. */
  halt(): Promise<void>;
  /** Ends `up`, destroys the stack and removes the directory. */
  stop(): Promise<void>;
}

function cli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the CLI to its end; resolves with exit code and output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  const child = cli(args, env);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.once('close', (code) => r({ code: code ?? 1, out })));
}

export async function startUp(options: {
  prefix: string;
  /** The config's text, given the temp directory it is written to. */
  config: (dir: string) => string;
  timeoutMs?: number;
}): Promise<UpRun> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  const configFile = join(dir, 'contextforge.yaml');
  writeFileSync(configFile, options.config(dir));
  const token = `tok-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  const env = { CONTEXTFORGE_GATEWAY_TOKEN: token };
  const child = cli(['up', '--port', '0', '-f', configFile], env);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  // The first run installs the packages from npm: a generous bound, waiting for the line.
  const until = Date.now() + (options.timeoutMs ?? 600_000);
  let url = '';
  for (;;) {
    const m = /Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out);
    if (m) {
      url = m[1];
      break;
    }
    if (child.exitCode !== null) throw new Error(`up exited (${child.exitCode}) before serving:\n${out}`);
    if (Date.now() > until) {
      child.kill('SIGINT');
      throw new Error(`up did not serve in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const clients: Client[] = [];
  const halt = async (): Promise<void> => {
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
  };
  return {
    dir,
    configFile,
    url,
    token,
    output: () => out,
    async client(): Promise<Client> {
      const c = new Client({ name: 'package-e2e', version: '0' });
      await c.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      clients.push(c);
      return c;
    },
    halt,
    async stop(): Promise<void> {
      await halt();
      const d = await runCli(['destroy', '--auto-approve', '-f', configFile], env);
      if (d.code !== 0) process.stderr.write(`destroy failed:\n${d.out}\n`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
