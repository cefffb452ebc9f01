// Shared by the watch, approval and gitops end-to-end tests: run the CLI from source in a child
// process (as users run it), wait for lines in a long-running child's output, and write stack
// configs that use the locally built fixture image.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EVERYTHING_IMAGE } from '../support/images.js';
import { testStateYaml } from '../support/stores.js';
import { MIN_BOUND_MS } from '../support/wait.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// tsx's loader by absolute URL, since `--import tsx` resolves against the working directory.
const TSX = pathToFileURL(`${ROOT}node_modules/tsx/dist/loader.mjs`).href;
// An absolute module URL, so that the CLI can run in any working directory (git mode clones there).
const RUNNER = `import { main } from '${pathToFileURL(`${ROOT}src/cli/main.ts`).href}'; process.exitCode = await main(process.argv.slice(1));`;

export interface Child {
  proc: ChildProcess;
  out(): string;
  err(): string;
  done: Promise<number>;
  /** Resolves when stdout+stderr (from `from` on) matches, or rejects after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Current length of the combined output (a mark for waitFor). */
  mark(): number;
  /** The combined output (stdout and stderr as they arrived), which mark() indexes. */
  all(): string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** A command that runs the CLI (exec'ing it, so the child's pid is the CLI's), e.g. nsenter into a namespace. */
  wrap?: string[];
}

export function startCli(args: string[], options: CliOptions = {}): Child {
  const argv = [process.execPath, '--import', TSX, '--input-type=module', '-e', RUNNER, ...args];
  const command = [...(options.wrap ?? []), ...argv];
  const proc = spawn(command[0]!, command.slice(1), {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...(options.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let all = '';
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const w of [...waiters]) w();
  };
  proc.stdout!.on('data', (d) => {
    out += d;
    all += d;
    poke();
  });
  proc.stderr!.on('data', (d) => {
    err += d;
    all += d;
    poke();
  });
  const done = new Promise<number>((resolve) =>
    proc.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  let exited = false;
  void done.then(() => {
    exited = true;
    poke();
  });
  return {
    proc,
    out: () => out,
    err: () => err,
    done,
    mark: () => all.length,
    all: () => all,
    waitFor(pattern: RegExp, timeoutMs = 120_000, from = 0): Promise<string> {
      const bound = Math.max(timeoutMs, MIN_BOUND_MS);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = pattern.exec(all.slice(from));
          if (m) {
            finish();
            resolve(m[0]);
          } else if (exited) {
            finish();
            reject(new Error(`process exited before ${pattern} appeared:\n${all.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out after ${bound} ms waiting for ${pattern}:\n${all.slice(-4000)}`));
        }, bound);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs one CLI command to completion. */
export async function runCli(
  args: string[],
  options: CliOptions = {},
): Promise<{ code: number; out: string; err: string }> {
  const c = startCli(args, options);
  const code = await c.done;
  return { code, out: c.out(), err: c.err() };
}

export interface RuntimeDef {
  name: string;
  env?: Record<string, string>;
  profile?: string;
  catalog?: string;
}

export interface StackDef {
  stack: string;
  runtimes: RuntimeDef[];
  /** Docker socket to use (a counting proxy). */
  socket?: string;
  /** YAML lines of an `approval:` block (without the key). */
  approval?: string[];
}

/** A stack on the local Docker engine using the fixture MCP server. */
export function stackYaml(def: StackDef): string {
  const lines = [
    `name: ${def.stack}`,
    'backends:',
    '  local:',
    '    type: docker',
    '    allow_local_images: true',
    ...(def.socket ? [`    socket: ${def.socket}`] : []),
    'profiles:',
    '  open:',
    '    network: { egress_allowed: true, ingress_ports: [3001] }',
    '    resources: { max_memory: 256m, max_pids: 200 }',
    '  wide-open:',
    '    network: { egress_allowed: true, ingress_ports: [3001] }',
    '    resources: { max_memory: 512m, max_pids: 400 }',
    'defaults:',
    '  guardrails_profile: open',
    'catalog:',
    '  - name: Echo',
    '    slug: echo',
    `    source: { type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never }`,
    '    transport: { type: streamable-http, port: 3001, path: /mcp }',
    '  - name: Vetted echo',
    '    slug: vetted',
    '    requires_approval: true',
    `    source: { type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never }`,
    '    transport: { type: streamable-http, port: 3001, path: /mcp }',
  ];
  if (def.approval) lines.push('approval:', ...def.approval.map((l) => `  ${l}`));
  // The suite's state store: SQLite by default, PostgreSQL under a *.postgres.test.ts wrapper.
  lines.push(...testStateYaml());
  lines.push('runtimes:');
  for (const r of def.runtimes) {
    lines.push(`  - name: ${r.name}`, `    catalog: ${r.catalog ?? 'echo'}`, '    backend: local');
    if (r.profile) lines.push(`    guardrails_profile: ${r.profile}`);
    if (r.env) lines.push(`    env: ${JSON.stringify(r.env)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The gateway's /mcp URL, from the listening line of a `serve` or `up` child. */
export async function gatewayUrl(child: Child, timeoutMs = 120_000): Promise<string> {
  const line = await child.waitFor(/Gateway listening on http:\/\/127\.0\.0\.1:\d+\/mcp/, timeoutMs);
  return line.slice('Gateway listening on '.length);
}

/** An SDK client connected to the gateway at url with the token it wrote under dir/.contextforge/. */
export async function connectWithStoredToken(url: string, dir: string, name: string): Promise<Client> {
  const token = readFileSync(join(dir, '.contextforge', 'gateway.token'), 'utf8').trim();
  const client = new Client({ name, version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  return client;
}

export { sleep, until } from '../support/wait.js';
