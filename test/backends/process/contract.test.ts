// The shared backend contract suite against the process backend: real supervisors and the
// quick-start server as the child. Foreign resources are a process we did not start plus an
// unmarked file in the stack's process directory; neither may be listed nor touched.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createBackend } from '../../../src/backends/process/index.js';
import { pidAlive, processDir, readStatus } from '../../../src/backends/process/index.js';
import type { DesiredResource } from '../../../src/model/resources.js';
import { runContractSuite } from '../contract/suite.js';
import { commandRuntime } from '../../support/process.js';

const SERVER = resolve('examples/quickstart-server/server.js');
const configDir = mkdtempSync(join(tmpdir(), 'cf-process-contract-'));
const SECRET = `contract-secret-${randomBytes(6).toString('hex')}`;

runContractSuite({
  name: 'process',
  makeBackend: () =>
    createBackend('local', { type: 'process' }, { stack: 'contract', configDir, sensitiveValues: new Set([SECRET]) }),
  makeDesired: ({ runtime, variant }): DesiredResource =>
    commandRuntime(runtime, {
      args: [SERVER],
      env: { VARIANT: String(variant ?? 0) },
      secretDigests: { API_TOKEN: 'sha256:digest' },
      secretEnv: { API_TOKEN: SECRET },
      specHash: `sha256:variant-${variant ?? 0}`,
    }),
  uniqueStack: () => `pc${randomBytes(4).toString('hex')}`,
  cleanupStack: async (stack) => {
    const dir = processDir(configDir, stack);
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.json')) continue;
      const st = readStatus(join(dir, f));
      for (const p of [st?.supervisorPid, st?.childPid, ...(st?.sessionPids ?? [])]) {
        if (p && pidAlive(p)) process.kill(p, 'SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  },
  makeForeign: async ({ stack, runtime }) => {
    const dir = processDir(configDir, stack);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${runtime}.json`);
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    // Named like ours, but without our marks (no version, supervisor pid or socket).
    writeFileSync(file, JSON.stringify({ runtime, pid: child.pid, note: 'started by someone else' }));
    return {
      exists: async () => existsSync(file) && pidAlive(child.pid),
      remove: async () => {
        child.kill('SIGKILL');
        rmSync(file, { force: true });
      },
    };
  },
  applyTimeoutMs: 60_000,
});

process.on('exit', () => rmSync(configDir, { recursive: true, force: true }));
