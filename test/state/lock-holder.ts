// Child process for the lock tests: takes the stack lock in the given state DB, prints
// "locked <pid>", then holds it until told to release (a line "release" on stdin) or killed.
// The location is a SQLite path or a postgres:// URL.
import { openStore, parseStateLocation } from '../../src/state/open.js';

const [path, stack] = process.argv.slice(2);
const store = openStore(parseStateLocation(path));
const r = await store.acquireLock(stack, 'apply', 5_000);
if (!r.ok) {
  process.stdout.write(`busy ${r.holder.pid}\n`);
  process.exit(2);
}
process.stdout.write(`locked ${process.pid}\n`);
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (String(d).includes('release')) {
    store.releaseLock(stack);
    store.close();
    process.stdout.write('released\n');
    process.exit(0);
  }
});
