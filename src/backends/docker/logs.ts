// Log lines of a runtime's main container as an AsyncIterable: demultiplexes Docker's framed
// stdout/stderr stream (containers run without a TTY) and splits it into lines. Read-only.

import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';

/** Splits Docker's multiplexed frames (8-byte header: stream, 0, 0, 0, uint32 BE size). */
export class FrameDecoder {
  private buf = Buffer.alloc(0);
  private partial = ['', '', ''];

  push(chunk: Buffer): string[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const lines: string[] = [];
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      const stream = this.buf[0] === 2 ? 2 : 1;
      const text = this.partial[stream] + this.buf.subarray(8, 8 + size).toString('utf8');
      this.buf = this.buf.subarray(8 + size);
      const parts = text.split('\n');
      this.partial[stream] = parts.pop() ?? '';
      lines.push(...parts);
    }
    return lines;
  }

  flush(): string[] {
    const out = this.partial.filter((p) => p.length > 0);
    this.partial = ['', '', ''];
    return out;
  }
}

export async function* containerLogs(
  docker: Dockerode,
  containerId: string,
  opts: { follow?: boolean; tail?: number; since?: number; signal?: AbortSignal },
): AsyncIterable<string> {
  const c = docker.getContainer(containerId);
  const decoder = new FrameDecoder();
  // tail omitted means every line.
  const base = {
    stdout: true,
    stderr: true,
    timestamps: false,
    ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
    ...(opts.since !== undefined ? { since: opts.since } : {}),
  };
  if (!opts.follow) {
    const buf = await c.logs({ ...base, follow: false });
    yield* decoder.push(buf);
    yield* decoder.flush();
    return;
  }
  const stream = (await c.logs({ ...base, follow: true, abortSignal: opts.signal })) as unknown as Readable;
  const onAbort = (): void => {
    stream.destroy();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) yield* decoder.push(chunk as Buffer);
    yield* decoder.flush();
  } catch (err) {
    if (!opts.signal?.aborted) throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stream.destroy();
  }
}
