// Server-sent events read from bytes as they arrive, for the upstream HTTP client: lines are found
// in the Buffer chunks themselves (LF, CRLF or CR, as the event-stream format allows), and only a
// field's value is turned into a string, so a `data:` line becomes the one string JSON.parse needs.
// Hand-written because eventsource-parser, the well-kept parser, takes strings: every chunk is
// decoded whole first (a StringDecoder per stream), and a parser is a dozen closures made per
// stream. On the gateway's HTTP path every tools/call answer is one short SSE stream, so that
// setup was paid per call (issue 11). The format rules followed are the WHATWG HTML
// "event stream interpretation" ones; test/gateway/sse-scan.test.ts checks the events against
// eventsource-parser's on the same streams cut into chunks at every byte.

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/** Receives what an SseScanner reads; an object, so a reader allocates no closures. */
export interface SseListener {
  /** One event: its data (lines joined by "\n"), its type when named, and the last event id seen. */
  onSseEvent(data: string, event: string | undefined, id: string | undefined): void;
  /** A valid `retry:` field (milliseconds). */
  onSseRetry(ms: number): void;
}

export class SseScanner {
  /** The start of a line whose end has not arrived yet (a copy: chunks may be reused). */
  private rest: Buffer | undefined;
  /** The previous chunk ended in CR: a LF starting the next one belongs to that line end. */
  private skipLf = false;
  private first = true;
  private data: string | undefined;
  private event: string | undefined;
  private id: string | undefined;

  constructor(private readonly listener: SseListener) {}

  /** The last event id received (it persists across events, as the format says). */
  get lastEventId(): string | undefined {
    return this.id;
  }

  feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let start = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (buf.length > 0 && buf[0] === LF) start = 1;
    }
    if (this.first) {
      // A byte order mark may open the stream; fewer than three bytes so far: wait for more.
      if (buf.length - start < 3 && isBomPrefix(buf, start)) {
        if (buf.length > start) this.rest = Buffer.from(buf.subarray(start));
        return;
      }
      this.first = false;
      if (buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    }
    const n = buf.length;
    // Most streams end lines with LF only; a CR anywhere switches to the byte-by-byte search.
    const anyCr = buf.indexOf(CR, start) !== -1;
    while (start < n) {
      let end: number;
      if (!anyCr) {
        end = buf.indexOf(LF, start);
        if (end === -1) break;
      } else {
        end = start;
        while (end < n && buf[end] !== LF && buf[end] !== CR) end++;
        if (end === n) break;
      }
      this.line(buf, start, end);
      if (buf[end] === CR) {
        if (end + 1 === n) {
          this.skipLf = true;
          start = n;
          break;
        }
        start = buf[end + 1] === LF ? end + 2 : end + 1;
      } else start = end + 1;
    }
    if (start < n) this.rest = Buffer.from(buf.subarray(start));
  }

  /** Forgets a partial event (the stream ended mid-event: it is not dispatched). */
  reset(): void {
    this.rest = undefined;
    this.data = this.event = undefined;
  }

  /** Bytes held while waiting for a line end (for a limit on an unterminated line). */
  get buffered(): number {
    return this.rest?.length ?? 0;
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (start === end) return this.dispatch();
    if (buf[start] === COLON) return; // a comment
    let colon = buf.indexOf(COLON, start);
    if (colon === -1 || colon > end) colon = end;
    let v = colon < end ? colon + 1 : end;
    if (v < end && buf[v] === SPACE) v++;
    const len = colon - start;
    if (len === 4 && isField(buf, start, 'data')) {
      const value = buf.toString('utf8', v, end);
      this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    } else if (len === 5 && isField(buf, start, 'event')) {
      this.event = v < end ? buf.toString('utf8', v, end) : undefined;
    } else if (len === 2 && isField(buf, start, 'id')) {
      if (buf.indexOf(0, v) === -1 || buf.indexOf(0, v) >= end) this.id = buf.toString('utf8', v, end);
    } else if (len === 5 && isField(buf, start, 'retry')) {
      let ms = 0;
      for (let i = v; i < end; i++) {
        const d = buf[i] - 0x30;
        if (d < 0 || d > 9) return;
        ms = ms * 10 + d;
      }
      if (v < end) this.listener.onSseRetry(ms);
    }
  }

  private dispatch(): void {
    const { data, event } = this;
    this.data = this.event = undefined;
    if (data !== undefined) this.listener.onSseEvent(data, event, this.id);
  }
}

function isField(buf: Buffer, start: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (buf[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

function isBomPrefix(buf: Buffer, start: number): boolean {
  const bom = [0xef, 0xbb, 0xbf];
  for (let i = start; i < buf.length; i++) if (buf[i] !== bom[i - start]) return false;
  return true;
}
