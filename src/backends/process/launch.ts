// Starting and stopping supervisors from the short-lived CLI: spawn the detached supervisor with
// its spec on stdin (so secrets never touch argv, environ of the supervisor, or disk), wait for
// its status file, and stop it by pid after checking the pid is really our supervisor.

import { spawn } from 'node:child_process';
import { existsSync, closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseStatus, type StatusFile, type SupervisorSpec } from './files.js';
import { mcpHandshake } from './health.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * True when pid names a live process. A zombie counts as dead: where PID 1 does not reap (as
 * in many containers) an exited, orphaned supervisor or child lingers as one.
 */
export function pidAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // Without /proc (macOS) signal 0 is all we have; with it, the process just went away.
    return !existsSync('/proc/self/stat');
  }
}

/**
 * True when pid is alive and (where /proc exists) runs our supervisor script, so that a pid
 * reused by an unrelated process after a reboot is never signalled.
 */
export function supervisorAlive(pid: number | undefined): boolean {
  if (!pidAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(cmdline, 'utf8').includes('supervisor');
  } catch {
    return false;
  }
}

/** The supervisor entry: compiled JS next to this module, or the TS source under tsx. */
function supervisorCommand(): { execArgv: string[]; script: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'supervisor.js');
  if (existsSync(js)) return { execArgv: [], script: js };
  const ts = join(here, 'supervisor.ts');
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return { execArgv: ['--import', pathToFileURL(tsx).href], script: ts };
}

export function readStatus(path: string): StatusFile | undefined {
  try {
    return parseStatus(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The variables the supervisor itself needs; nothing of the user's shell beyond these. */
function supervisorEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

const LOG_ROTATE_BYTES = 5 * 1024 * 1024;

function rotateLog(path: string): void {
  try {
    if (statSync(path).size > LOG_ROTATE_BYTES) renameSync(path, `${path}.1`);
  } catch {
    // No log yet.
  }
}

export interface LaunchResult {
  status?: StatusFile;
  /** Why the launch failed, in a sentence (no secret values). */
  error?: string;
}

export interface LaunchOptions {
  /** Longest wait for the child's answer to an MCP initialize (default 20 s). */
  healthTimeoutMs?: number;
  /** Longest wait for the supervisor to start its first child (default: 15 s or healthTimeoutMs, the longer). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Starts a detached supervisor, waits until its first child runs, then checks health with one
 * MCP handshake over the socket. A child that exits meanwhile fails the launch at once.
 */
export async function launchSupervisor(spec: SupervisorSpec, options: LaunchOptions = {}): Promise<LaunchResult> {
  // Starting node (the supervisor) and spawning the child can take many seconds on a starved
  // host; a launch given up here is retried by apply, and a child that had begun a first-run
  // install would install twice. The server's own budget (health.timeout) bounds this wait too.
  const startTimeoutMs = options.timeoutMs ?? Math.max(15_000, options.healthTimeoutMs ?? 0);
  const deadline = Date.now() + startTimeoutMs;
  rotateLog(spec.logPath);
  const fd = openSync(spec.logPath, 'a', 0o600);
  writeSync(
    fd,
    `--- launch ${spec.launchId} of ${spec.address} (spec ${spec.specHash.slice(0, 12)}) at ${new Date().toISOString()}\n`,
  );
  const { execArgv, script } = supervisorCommand();
  const child = spawn(process.execPath, [...execArgv, script, spec.address], {
    detached: true,
    stdio: ['pipe', fd, fd],
    cwd: dirname(spec.statusPath),
    env: supervisorEnv(),
  });
  closeSync(fd);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  child.once('error', () => undefined);
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(JSON.stringify(spec));
  child.unref();

  const mine = (): StatusFile | undefined => {
    const st = readStatus(spec.statusPath);
    return st && st.launchId === spec.launchId ? st : undefined;
  };
  /** Why the launch already failed, judging by the status file and the supervisor's exit. */
  const failed = (st: StatusFile | undefined): string | undefined =>
    exitCode !== undefined ||
    st?.state === 'failed' ||
    (st?.state === 'backoff' && st.restarts > 0) ||
    (st?.restarts ?? 0) > 0
      ? failureText(st, spec.logPath, spec.launchId)
      : undefined;
  const give = async (error: string, st?: StatusFile): Promise<LaunchResult> => {
    await stopSupervisor(spec.statusPath, { pid: child.pid });
    return { status: st, error };
  };

  // 1. The supervisor listens and its first child has spawned.
  for (;;) {
    if (options.signal?.aborted) return give('the launch was cancelled');
    const st = mine();
    const why = failed(st);
    if (why) return give(why, st);
    if (st?.state === 'running' && st.childPid) break;
    if (Date.now() > deadline)
      return give(
        `the server did not start within ${Math.round(startTimeoutMs / 1000)}s${logTail(spec.logPath, spec.launchId)}`,
        st,
      );
    await sleep(50);
  }

  // 2. It speaks MCP: one handshake, raced against a crash seen in the status file.
  const watch = new AbortController();
  const crashed = (async (): Promise<string | undefined> => {
    while (!watch.signal.aborted) {
      const why = failed(mine());
      if (why) return why;
      if (options.signal?.aborted) return 'the launch was cancelled';
      await sleep(100);
    }
    return undefined;
  })();
  const hs = mcpHandshake(spec.socketPath, { timeoutMs: options.healthTimeoutMs ?? 20_000 }).then((r) => ({ r }));
  const first = await Promise.race([hs, crashed.then((why) => ({ why }))]);
  watch.abort();
  await crashed;
  if ('why' in first && first.why) return give(first.why, mine());
  const result = 'r' in first ? first.r : (await hs).r;
  if (!result.ok) {
    const why = failed(mine());
    return give(why ?? `${result.error}${logTail(spec.logPath, spec.launchId)}`, mine());
  }
  return { status: mine() };
}

function failureText(st: StatusFile | undefined, logPath: string, launchId: string): string {
  const e = st?.lastExit;
  const what = !e
    ? 'the supervisor exited before the server started'
    : e.error
      ? `the command could not be started: ${e.error}`
      : `the server exited right after starting (code ${e.code ?? '-'}, signal ${e.signal ?? '-'})`;
  return `${what}${logTail(logPath, launchId)}`;
}

/** The last lines this launch wrote to the log, as an indented block. */
export function logTail(logPath: string, launchId: string, lines = 8): string {
  let text: string;
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return '';
  }
  const start = text.lastIndexOf(`--- launch ${launchId}`);
  const own = (start >= 0 ? text.slice(start) : text)
    .split('\n')
    .slice(1)
    .filter((l) => l.trim());
  const tail = own.slice(-lines);
  return tail.length ? `; last log lines:\n    ${tail.join('\n    ')}` : '';
}

export interface StopOptions {
  /** Supervisor pid to stop when the status file is missing or not yet written. */
  pid?: number;
  timeoutMs?: number;
}

/** SIGTERM the supervisor (it stops its child), wait, then SIGKILL whatever is left. */
export async function stopSupervisor(statusPath: string, options: StopOptions = {}): Promise<void> {
  const st = readStatus(statusPath);
  const pid = st?.supervisorPid ?? options.pid;
  const children = [st?.childPid, ...(st?.sessionPids ?? [])].filter((p): p is number => typeof p === 'number');
  if (pid && supervisorAlive(pid)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Exited meanwhile.
    }
    const until = Date.now() + (options.timeoutMs ?? 6000);
    while (pidAlive(pid) && Date.now() < until) await sleep(50);
    if (pidAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
  }
  // Children orphaned by a killed supervisor: only signalled when they carry this launch's mark.
  for (const child of children) {
    if (!pidAlive(child) || !childBelongsTo(child, st)) continue;
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}

function childBelongsTo(pid: number, st: StatusFile | undefined): boolean {
  if (!st) return false;
  if (!existsSync('/proc/self/environ')) return true;
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`CONTEXTFORGE_LAUNCH_ID=${st.launchId}`);
  } catch {
    return false;
  }
}

export function removeRuntimeFiles(paths: { status: string; socket: string; log?: string }): void {
  for (const p of [paths.status, paths.socket, paths.log]) {
    if (!p) continue;
    try {
      unlinkSync(p);
    } catch {
      // Already gone.
    }
  }
}
