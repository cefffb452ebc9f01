// Log lines of a process-backend runtime: the supervisor's log file (its own lines plus the
// child's stderr), read from the end and optionally followed by polling. Read-only.

import { open, readFile, stat } from 'node:fs/promises';
import type { LogOptions } from '../backend.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function* readLogLines(path: string, options: LogOptions): AsyncIterable<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  yield* options.tail !== undefined ? lines.slice(-options.tail) : lines;
  if (!options.follow) return;
  let offset = Buffer.byteLength(text);
  let pending = '';
  while (!options.signal?.aborted) {
    await sleep(250);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0; // Rotated: start over from the new file.
    if (size === offset) continue;
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      await fh.read(buf, 0, buf.length, offset);
      offset = size;
      const parts = (pending + buf.toString('utf8')).split('\n');
      pending = parts.pop() ?? '';
      yield* parts;
    } finally {
      await fh.close();
    }
  }
}
