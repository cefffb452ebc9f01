// The supervisor's byte relay between a client connection and its child's stdio: bytes pass as
// they are (no framing, parsing or validation: the gateway at the other end does that once), and
// everything that arrives during one turn of the event loop leaves in one write.
//
// Hand-written instead of stream.pipe() because pipe writes each chunk as it is read; with
// cork() until setImmediate, the chunks read in one poll phase go out as one write.

import type { Readable, Writable } from 'node:stream';

/** Relays from → to until the returned function is called (to is never ended by the relay). */
export function relay(from: Readable, to: Writable): () => void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    if (!to.destroyed) to.uncork();
  };
  const onData = (chunk: Buffer): void => {
    if (to.destroyed) return;
    if (!corked) {
      corked = true;
      to.cork();
      setImmediate(uncork);
    }
    // Backpressure as pipe() does it: stop reading until the slow side drains.
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  };
  from.on('data', onData);
  // A stream paused on purpose (a connection whose first bytes were looked at) flows again.
  from.resume();
  return (): void => {
    from.off('data', onData);
    from.resume();
  };
}
