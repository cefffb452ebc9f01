// The one output sink of the CLI: every byte written to stdout and stderr passes through it,
// is redacted against the process's secret set (src/diag/redact.ts) and has its control
// characters escaped (colour codes excepted). It decides nothing about what is secret.

import { secrets, controlName } from './redact.js';

type Write = typeof process.stdout.write;

/** Colour (SGR) sequences are the only escapes allowed through; renderers emit them on a TTY. */
const UNSAFE = /\x1b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Redacts secrets and escapes every control character except newline, tab and colour codes. */
export function sanitizeOutput(text: string): string {
  return secrets.redact(text).replace(UNSAFE, (m) => (m.length > 1 ? m : controlName(m)));
}

const originals = new Map<NodeJS.WriteStream, Write>();
const passthrough = new Set<NodeJS.WriteStream>();

function wrap(stream: NodeJS.WriteStream): void {
  if (originals.has(stream)) return;
  const original = stream.write.bind(stream) as Write;
  originals.set(stream, original);
  const write = (chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
    const args = [encoding, cb].filter((a) => a !== undefined) as [];
    if (passthrough.has(stream)) return (original as (c: unknown, ...rest: unknown[]) => boolean)(chunk, ...args);
    const text =
      typeof chunk === 'string'
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk).toString('utf8')
          : String(chunk);
    const enc = typeof encoding === 'function' ? [encoding] : typeof cb === 'function' ? [cb] : [];
    return (original as (c: string, ...rest: unknown[]) => boolean)(sanitizeOutput(text), ...enc);
  };
  stream.write = write as Write;
}

/** Routes process.stdout and process.stderr through the sink (idempotent). */
export function installOutputSink(): void {
  wrap(process.stdout);
  wrap(process.stderr);
}

/**
 * Lets a stream carry a protocol verbatim (the stdio gateway's MCP messages on stdout): its
 * bytes are another program's input, not text for a person, and must not be rewritten.
 */
export function passThrough(stream: NodeJS.WriteStream): void {
  passthrough.add(stream);
}
