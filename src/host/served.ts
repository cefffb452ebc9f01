// Where a running gateway says it listens: `.contextforge/gateway.json` beside the config, written
// once the listener is up (serve, up) and removed when it stops, so that `client-config` points
// clients at the port really served (a `--port 0` or an override), not at the configured one.
// Holds a URL and a pid, never a token.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface ServedFile {
  url: string;
  pid: number;
}

export function servedFilePath(configDir: string): string {
  return join(configDir, '.contextforge', 'gateway.json');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records that this process serves `url` (the gateway's base URL, without /mcp). */
export function recordServed(configDir: string, url: string): void {
  const file = servedFilePath(configDir);
  mkdirSync(join(configDir, '.contextforge'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ url, pid: process.pid } satisfies ServedFile)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Removes the record when it is this process's own. */
export function forgetServed(configDir: string): void {
  const file = servedFilePath(configDir);
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as ServedFile;
    if (s.pid === process.pid) rmSync(file, { force: true });
  } catch {
    // Nothing recorded, or not ours to read.
  }
}

/** The base URL a live gateway of this config serves, if one runs. */
export function servedUrl(configDir: string): string | undefined {
  try {
    const s = JSON.parse(readFileSync(servedFilePath(configDir), 'utf8')) as Partial<ServedFile>;
    return typeof s.url === 'string' && typeof s.pid === 'number' && alive(s.pid) ? s.url : undefined;
  } catch {
    return undefined;
  }
}
