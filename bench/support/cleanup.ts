// Bench clean-up that proves itself: removes everything a bench created under a label selector
// (containers at most 8 at a time, through test/support/docker.ts), retrying daemon hiccups, then
// checks that no container with the labels and no containerd shim of a removed container is
// left, and says so on stdout. It never touches anything outside the selector.
import { readdirSync, readFileSync } from 'node:fs';
import {
  docker,
  labelFilters,
  removeByLabel,
  REMOVE_CONCURRENCY,
  type LabelSelector,
} from '../../test/support/docker.js';

/** Pids of containerd shims serving any of `ids` (their command line carries `-id <id>`). */
function shimsOf(ids: Set<string>): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // Gone meanwhile, or not ours to read.
    }
    if (!argv[0]?.includes('containerd-shim')) continue;
    const i = argv.indexOf('-id');
    if (i >= 0 && ids.has(argv[i + 1])) pids.push(Number(entry));
  }
  return pids;
}

export async function cleanUpAndVerify(what: string, selector: LabelSelector): Promise<void> {
  const filters = JSON.stringify({ label: labelFilters(selector) });
  const ids = new Set((await docker().listContainers({ all: true, filters })).map((c) => c.Id));
  let removed = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      removed += (await removeByLabel(selector)).containers;
      break;
    } catch (err) {
      if (attempt === 5) throw err;
      process.stderr.write(`clean-up of ${what} hit: ${(err as Error).message.split('\n')[0]}; retrying\n`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  const left = await docker().listContainers({ all: true, filters });
  // A shim exits shortly after its container is removed: give it the time it takes, then count.
  let shims = shimsOf(ids);
  for (let i = 0; i < 50 && shims.length; i++) {
    await new Promise((r) => setTimeout(r, 200));
    shims = shimsOf(ids);
  }
  process.stdout.write(
    `  clean-up of ${what}: removed ${removed} containers (${REMOVE_CONCURRENCY} at a time); left: ${left.length} containers, ${shims.length} containerd shims\n`,
  );
  if (left.length || shims.length)
    throw new Error(
      `clean-up of ${what} left ${left.length} containers and ${shims.length} shims (pids ${shims.join(' ')})`,
    );
}
