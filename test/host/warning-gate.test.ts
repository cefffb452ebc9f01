// Quiet long-running hosts (issue 19): under `up`/`watch` each warning is printed once per
// version of the config, not on every pass; an edit prints the ones that still apply once more.
// And a runtime's unenforced controls read as one warning, not one per control.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconcileOnce } from '../../src/reconcile/once.js';
import { createWarningGate } from '../../src/host/warning-gate.js';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { compileDesired } from '../../src/plan/desired.js';
import { diffPlan } from '../../src/plan/diff.js';
import { renderText } from '../../src/plan/render-text.js';
import { defaultResourcePlan } from '../../src/model/resource-plan.js';
import { buildConfig, entry, runtime } from '../plan/config-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-gate-'));
const file = join(dir, 'contextforge.yaml');
const config = (extra = ''): string =>
  [
    'name: cf-warning-gate',
    'include:',
    '  catalog: ["nowhere/*.yaml"]', // matches nothing: a warning on every load
    'backends:',
    '  host: { type: process }',
    extra,
    'runtimes: []',
    '',
  ].join('\n');

async function pass(gate?: ReturnType<typeof createWarningGate>): Promise<string[]> {
  const reported: string[] = [];
  const r = await reconcileOnce({
    path: file,
    say: () => {},
    report: (diags: readonly Diagnostic[]) => reported.push(...diags.map((d) => d.code)),
    warnings: gate,
    quiet: true,
  });
  assert.is(r.exitCode, 0);
  return reported;
}

test('without a gate every pass repeats the warning (what watch did)', async () => {
  writeFileSync(file, config());
  assert.equal(await pass(), ['include.no-match']);
  assert.equal(await pass(), ['include.no-match']);
});

test('with the gate a warning prints once per version of the config', async () => {
  writeFileSync(file, config());
  const gate = createWarningGate();
  assert.equal(await pass(gate), ['include.no-match']);
  assert.equal(await pass(gate), []);
  assert.equal(await pass(gate), []);
  // An edit is a new plan: the warning that still applies is shown once more.
  writeFileSync(file, config('  spare: { type: process }'));
  assert.equal(await pass(gate), ['include.no-match']);
  assert.equal(await pass(gate), []);
});

test("a runtime's unenforced controls are one warning line in the plan", () => {
  const cfg = buildConfig({
    backends: { procs: { type: 'process' } },
    catalog: [
      entry({
        slug: 'cmd',
        name: 'Cmd',
        source: { type: 'command', command: 'node', args: ['server.js'] },
        transport: { type: 'stdio' },
      }),
    ],
    runtimes: [runtime({ name: 'juliet', catalog: 'cmd', backend: 'procs', guardrails_profile: 'restricted' })],
  });
  const desired = compileDesired(cfg).value!;
  assert.ok(desired[0].diagnostics.filter((d) => d.code === 'guardrail.unenforced').length > 3);
  const planner = { plan: defaultResourcePlan };
  const text = renderText(
    diffPlan({
      stack: 'demo',
      desired,
      observed: [],
      state: [],
      backends: { procs: planner },
      configFingerprint: 'x',
      createdAt: 'x',
    }),
  );
  const lines = text.split('\n').filter((l) => l.includes('guardrail.unenforced'));
  assert.is(lines.length, 1, text);
  assert.match(
    lines[0],
    /read_only_root, .*max_pids.* of profile "restricted" are not enforced on process backend "procs"/,
  );

  // A host retrying the same plan prints it again without the warnings it showed the first time.
  const gate = createWarningGate();
  assert.not.ok(gate.repeated(text));
  assert.ok(gate.repeated(text));
  const again = renderText(
    diffPlan({
      stack: 'demo',
      desired,
      observed: [],
      state: [],
      backends: { procs: planner },
      configFingerprint: 'x',
      createdAt: 'x',
    }),
    { warnings: false },
  );
  assert.match(again, 'runtime.juliet will be created');
  assert.not.match(again, 'guardrail.unenforced');
  assert.not.ok(gate.repeated(`${text}\nchanged`), 'a different plan is new');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
