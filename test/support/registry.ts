// A real, private image registry for push/pull tests: Debian's docker-registry binary, started
// per test on 127.0.0.1 with a random port and a temporary storage directory, and stopped (with
// its directory removed) by the test. dockerd accepts 127.0.0.0/8 registries without TLS.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BINARY = process.env.CF_REGISTRY_BINARY ?? '/usr/bin/docker-registry';

export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the prefix of image references pushed to this registry. */
  host: string;
  port: number;
  /** Stops the registry process and deletes everything it stored. */
  stop(): Promise<void>;
}

/**
 * Gate like requireDocker(): true when the registry binary exists; otherwise throws under CI and
 * prints a skip reason elsewhere.
 */
export function requireRegistry(suiteName: string): boolean {
  if (existsSync(REGISTRY_BINARY)) return true;
  const why = `${REGISTRY_BINARY} is missing (Debian package docker-registry)`;
  if (process.env.CI) throw new Error(`${suiteName}: ${why}, and CI is set, so this suite fails.`);
  process.stdout.write(`- skipped ${suiteName}: ${why}.\n`);
  return false;
}

function config(dataDir: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(dataDir)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    // Port 0: the registry picks a free port and logs it, so parallel tests never collide.
    '  addr: 127.0.0.1:0',
    '',
  ].join('\n');
}

/** Starts a registry and resolves once it listens (within `timeoutMs`, default 15 s). */
export async function startRegistry(timeoutMs = 15_000): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'cf-registry-'));
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config(join(dir, 'data')));
  const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let log = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`docker-registry did not listen within ${timeoutMs} ms:\n${log}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`docker-registry exited (${signal ?? `code ${code}`}) before listening:\n${log}`));
      });
    });
    // Keep draining its output so the pipe never fills and blocks the registry.
    child.stdout.removeAllListeners('data').resume();
    child.stderr.removeAllListeners('data').resume();
    return { host: `127.0.0.1:${port}`, port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
