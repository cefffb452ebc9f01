// The gateway's byte-level SSE reader (src/gateway/sse-scan.ts) against eventsource-parser, the
// well-kept string parser, as the oracle: the same streams, cut into chunks at every byte (and
// in a multi-byte character), must give the same events, types, last event ids and retries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createParser } from 'eventsource-parser';
import { SseScanner } from '../../src/gateway/sse-scan.js';

type Seen = (string | number | undefined)[][];

function ours(chunks: Buffer[]): Seen {
  const seen: Seen = [];
  const s = new SseScanner({
    onSseEvent: (data, event, id) => seen.push(['event', data, event, id]),
    onSseRetry: (ms) => seen.push(['retry', ms]),
  });
  for (const c of chunks) s.feed(c);
  return seen;
}

/** eventsource-parser gives an event only its own id; the format keeps the last one seen. */
function oracle(stream: Buffer): Seen {
  const seen: Seen = [];
  let last: string | undefined;
  const p = createParser({
    onEvent: (e) => {
      if (e.id !== undefined) last = e.id;
      seen.push(['event', e.data, e.event, last]);
    },
    onRetry: (ms) => seen.push(['retry', ms]),
  });
  // The format drops a byte order mark opening the stream (the oracle's check is for byte strings).
  p.feed(stream.toString('utf8').replace(/^\ufeff/, ''));
  return seen;
}

const streams: [string, string][] = [
  [
    'an MCP answer',
    'event: message\nid: 0bde9d46\ndata: {"result":{"content":[{"type":"text","text":"Echo: é✓"}]},"jsonrpc":"2.0","id":2}\n\n',
  ],
  ['two events, multi-line data', 'data: a\ndata: b\n\ndata:c\n\n'],
  ['CRLF line ends', 'event: message\r\nid: 7\r\ndata: {"x":1}\r\n\r\ndata: y\r\n\r\n'],
  // (eventsource-parser holds a CR that ends its input, waiting for a LF; so no CR last here.)
  ['CR line ends', 'data: one\r\rdata: two\r\rdata: three\n\n'],
  ['mixed ends and comments', ': keep-alive\n\ndata: a\r\n: note\rdata: b\n\n'],
  ['retry and its invalid forms', 'retry: 1500\n\nretry: x1\nretry:\ndata: z\n\n'],
  ['id persists, NUL id ignored', 'id: 5\ndata: a\n\ndata: b\n\nid: bad\0id\ndata: c\n\n'],
  ['named event, empty event field', 'event: ping\ndata: p\n\nevent:\ndata: q\n\n'],
  ['field without colon, unknown fields', 'data\n\nfoo: bar\ndata: x\n\n'],
  ['no space after colon, two spaces', 'data:tight\n\ndata:  loose\n\n'],
  ['a byte order mark', '\ufeffdata: after bom\n\n'],
  ['an unfinished event is not dispatched', 'data: done\n\ndata: pending'],
  ['empty data lines', 'data:\n\ndata:\ndata:\n\n'],
];

for (const [name, text] of streams) {
  test(`${name}: same events whole and cut at every byte`, () => {
    const bytes = Buffer.from(text, 'utf8');
    const want = oracle(bytes);
    assert.ok(want.length > 0 || text.includes('pending'), 'the oracle read something');
    assert.equal(ours([bytes]), want, 'whole');
    for (let i = 0; i <= bytes.length; i++)
      assert.equal(ours([bytes.subarray(0, i), bytes.subarray(i)]), want, `cut at byte ${i}`);
    // Every byte its own chunk, in a buffer that is overwritten after each feed (as a socket's may be).
    const shared = Buffer.alloc(1);
    const seen: Seen = [];
    const s = new SseScanner({
      onSseEvent: (data, event, id) => seen.push(['event', data, event, id]),
      onSseRetry: (ms) => seen.push(['retry', ms]),
    });
    for (const b of bytes) {
      shared[0] = b;
      s.feed(shared);
      shared[0] = 0x21;
    }
    assert.equal(seen, want, 'byte by byte');
  });
}

test('the last event id is kept for the GET stream', () => {
  const s = new SseScanner({ onSseEvent: () => undefined, onSseRetry: () => undefined });
  s.feed(Buffer.from('id: abc\ndata: x\n\ndata: y\n\n'));
  assert.is(s.lastEventId, 'abc');
});

test.run();
