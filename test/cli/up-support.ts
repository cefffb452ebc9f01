// Shared by the `up` / quick-start tests: a temp copy of the repository's quick start, the real
// CLI (bin/contextforge.js over dist/) run as a child process with Docker out of PATH, waiting
// for output lines, and a cleanup that stops every supervisor the copy started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve('.');
export const BIN = join(REPO, 'bin', 'contextforge.js');

/** Fails loudly when dist/ was not built: the CLI tests run the compiled program. */
export function requireBuild(): void {
  if (
    !existsSync(join(REPO, 'dist', 'cli', 'main.js')) ||
    !existsSync(join(REPO, 'dist', 'backends', 'process', 'supervisor.js'))
  ) {
    throw new Error('dist/ is not built: run `npm run build` (npm test does it) before this test');
  }
}

export interface QuickstartCopy {
  dir: string;
  /** PATH with only node on it: no docker binary can be found. */
  path: string;
}

export function quickstartCopy(): QuickstartCopy {
  const dir = mkdtempSync(join(tmpdir(), 'cf-qs-'));
  cpSync(join(REPO, 'contextforge.yaml'), join(dir, 'contextforge.yaml'));
  mkdirSync(join(dir, 'examples'));
  cpSync(join(REPO, 'examples', 'quickstart-server'), join(dir, 'examples', 'quickstart-server'), { recursive: true });
  // The example server imports the MCP SDK; a fresh `npm ci` would provide the same tree.
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const bin = join(dir, '.bin-node-only');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  return { dir, path: bin };
}

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** stdout and stderr together, in the order they came. */
  all: () => string;
  /** Resolves with the first match of re in stdout+stderr after `from` characters. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function runCli(args: string[], opts: { cwd: string; path: string; env?: Record<string, string> }): CliRun {
  const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: opts.path, LANG: 'C', NO_COLOR: '1', ...opts.env };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let all = '';
  child.stdout!.on('data', (c: Buffer) => {
    const t = c.toString('utf8');
    out += t;
    all += t;
  });
  child.stderr!.on('data', (c: Buffer) => {
    const t = c.toString('utf8');
    err += t;
    all += t;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    all: () => all,
    exited,
    async waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const m = (out + '\n' + err).match(re);
        if (m) return m;
        if (child.exitCode !== null)
          throw new Error(
            `contextforge exited (${child.exitCode}) before printing ${re}\nstdout:\n${out}\nstderr:\n${err}`,
          );
        if (Date.now() > until) throw new Error(`timed out waiting for ${re}\nstdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Runs the CLI to completion (for destroy, validate, client-config). */
export function runCliSync(
  args: string[],
  opts: { cwd: string; path: string; env?: Record<string, string> },
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { HOME: process.env.HOME, PATH: opts.path, LANG: 'C', NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the CLI to completion without blocking this process: use it while this process holds
 * open connections (an MCP client), whose sockets runCliSync would leave unattended, so a
 * keep-alive close by the server goes unnoticed and the next request fails.
 */
export async function runCliAsync(
  args: string[],
  opts: { cwd: string; path: string; env?: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = runCli(args, opts);
  // 'close', not 'exit': all of its output has been read by then.
  const code = await new Promise<number | null>((resolve) => run.child.once('close', (c) => resolve(c)));
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/**
 * Runs the CLI to completion without blocking this process, for the Docker end-to-end tests:
 * stdout and stderr in the order they came (`out`), the daemon's DOCKER_HOST passed on, and a
 * kill after timeoutMs (240 s unless given) so that a hang ends as a failure.
 */
export async function runCliCombined(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number | null; out: string }> {
  const run = runCli(args, {
    cwd: opts.cwd,
    path: process.env.PATH ?? '/usr/bin:/bin',
    env: { ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}), ...opts.env },
  });
  const timer = setTimeout(() => run.child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
  // 'close', not 'exit': all of its output has been read by then.
  const code = await new Promise<number | null>((resolve) => run.child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, out: run.all() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The supervisor and child pids recorded under the copy's .contextforge/process/. */
export function recordedPids(dir: string): number[] {
  const root = join(dir, '.contextforge', 'process');
  const pids: number[] = [];
  if (!existsSync(root)) return pids;
  for (const stack of readdirSync(root)) {
    for (const f of readdirSync(join(root, stack))) {
      if (!f.endsWith('.json')) continue;
      try {
        const st = JSON.parse(readFileSync(join(root, stack, f), 'utf8')) as {
          supervisorPid?: number;
          childPid?: number;
        };
        for (const p of [st.supervisorPid, st.childPid]) if (typeof p === 'number') pids.push(p);
      } catch {
        // Half-written: skipped.
      }
    }
  }
  return pids;
}

export function livePids(dir: string): number[] {
  return recordedPids(dir).filter(alive);
}

/** Stops whatever the copy still runs (destroy first, SIGKILL as a last resort) and deletes it. */
export function cleanupCopy(copy: QuickstartCopy): void {
  if (livePids(copy.dir).length) runCliSync(['destroy', '--auto-approve'], { cwd: copy.dir, path: copy.path });
  for (const p of livePids(copy.dir)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  rmSync(copy.dir, { recursive: true, force: true });
}
