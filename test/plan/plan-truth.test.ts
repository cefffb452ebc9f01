// Plans tell the truth (issue 19): a change with several causes lists every changed field and
// names every cause in text and JSON; `enabled: false` deletes as delete:disabled; plan lines
// use the config's own key names and, for a created runtime, leave out the profile's values and
// defaults unless --verbose; a saved plan made with -f is applied against that config.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileDesired } from '../../src/plan/desired.js';
import { diffPlan } from '../../src/plan/diff.js';
import { renderText } from '../../src/plan/render-text.js';
import { renderJson } from '../../src/plan/render-json.js';
import { renderMarkdown } from '../../src/plan/render-markdown.js';
import { defaultResourcePlan } from '../../src/model/resource-plan.js';
import type { DesiredResource, ObservedResource } from '../../src/model/resources.js';
import { buildConfig, ECHO_ENTRY, runtime } from './config-builder.js';
import { CREATED_AT, observedFrom } from './plan-scenario.js';
import { runCliInProcess } from '../config/cli-in-process.js';

const planner = { plan: (d?: DesiredResource, o?: ObservedResource) => defaultResourcePlan(d, o) };
const lib = { ...ECHO_ENTRY, slug: 'lib', source: { type: 'docker' as const, image: 'node:20' } };

function planOf(input: {
  desired: DesiredResource[];
  observed?: ObservedResource[];
  disabled?: string[];
}): ReturnType<typeof diffPlan> {
  return diffPlan({
    stack: 'demo',
    desired: input.desired,
    observed: input.observed ?? [],
    state: [],
    backends: { local: planner },
    configFingerprint: 'sha256:cfg',
    createdAt: CREATED_AT,
    disabled: input.disabled,
  });
}

test('an image change plus an env edit lists both fields and names both causes (text, markdown, JSON)', () => {
  const before = compileDesired(
    buildConfig({ catalog: [lib], runtimes: [runtime({ name: 'web', catalog: 'lib', backend: 'local' })] }),
  ).value![0];
  const after = compileDesired(
    buildConfig({
      catalog: [{ ...lib, source: { type: 'docker', image: 'node:22' } }],
      runtimes: [runtime({ name: 'web', catalog: 'lib', backend: 'local', env: { LOG_LEVEL: 'debug' } })],
    }),
  ).value![0];
  const plan = planOf({ desired: [after], observed: [observedFrom(before)] });
  const c = plan.changes[0];
  assert.is(c.action, 'replace');
  assert.is(c.reason, 'replace:image-changed');
  assert.equal(c.reasons, ['replace:image-changed', 'replace:env-changed']);
  assert.ok(c.fields.some((f) => f.path === 'source.image'));
  assert.ok(c.fields.some((f) => f.path === 'env.LOG_LEVEL'));
  const text = renderText(plan);
  assert.match(text, '(replace:image-changed, env-changed)');
  assert.match(text, /source\.image\s+= "node:20" → "node:22"/);
  assert.match(text, /env\.LOG_LEVEL\s+= "info" → "debug"/);
  assert.match(renderMarkdown(plan), 'replace:image-changed, env-changed');
  const doc = JSON.parse(renderJson(plan)) as { changes: Array<{ reason: string; reasons?: string[] }> };
  assert.is(doc.changes[0].reason, 'replace:image-changed');
  assert.equal(doc.changes[0].reasons, ['replace:image-changed', 'replace:env-changed']);
});

test('a runtime kept with enabled: false is deleted as delete:disabled; one removed as delete:not-in-config', () => {
  const d = compileDesired(
    buildConfig({
      catalog: [lib],
      runtimes: [
        runtime({ name: 'off', catalog: 'lib', backend: 'local' }),
        runtime({ name: 'gone', catalog: 'lib', backend: 'local' }),
      ],
    }),
  ).value!;
  const plan = planOf({ desired: [], observed: d.map((x) => observedFrom(x)), disabled: ['runtime.off'] });
  const reasons = Object.fromEntries(plan.changes.map((c) => [c.address, c.reason]));
  assert.equal(reasons, { 'runtime.gone': 'delete:not-in-config', 'runtime.off': 'delete:disabled' });
});

test("a created runtime's lines use the config's key names and leave out profile values and defaults", () => {
  const d = compileDesired(
    buildConfig({ catalog: [lib], runtimes: [runtime({ name: 'web', catalog: 'lib', backend: 'local' })] }),
  ).value!;
  const plan = planOf({ desired: d });
  const short = renderText(plan);
  const verbose = renderText(plan, { verbose: true });
  // No internal camelCase path appears, in either view.
  for (const text of [short, verbose]) {
    assert.not.match(text, /guardrails\.[a-z]+[A-Z]/);
    assert.not.match(text, /\b(hostPort|allowedHosts|readOnlyRoot|dropAll|capAdd|maxMemory)\b/);
  }
  assert.match(short, /guardrails_profile\s+= "standard"/);
  assert.match(short, 'source.image');
  assert.not.match(short, 'network.allowed_hosts');
  assert.not.match(short, 'restart');
  assert.match(short, /# \d+ more from the profile and defaults \(--verbose shows them\)/);
  assert.match(verbose, 'filesystem.read_only_root');
  assert.match(verbose, 'resources.max_memory');
  assert.match(verbose, 'restart');
  assert.not.match(verbose, '--verbose shows them');
  const fieldLines = (t: string): number => t.split('\n').filter((l) => /^\s+[+~-] /.test(l)).length;
  assert.ok(fieldLines(short) < fieldLines(verbose), `${short}\n---\n${verbose}`);
});

test('a limit the runtime sets itself is shown although the rest of the profile is not', () => {
  const d = compileDesired(
    buildConfig({
      catalog: [lib],
      runtimes: [runtime({ name: 'web', catalog: 'lib', backend: 'local', resources: { memory: '128m' } })],
    }),
  ).value!;
  const text = renderText(planOf({ desired: d }));
  assert.match(text, 'resources.max_memory');
  assert.not.match(text, 'resources.max_cpu');
});

test('apply FILE of a plan made with -f other.yaml reads other.yaml; a stale one says to re-plan with -f', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-plan-f-'));
  const cwd = process.cwd();
  try {
    const other = join(dir, 'other.yaml');
    const body = (n: string): string =>
      [`name: cf-plan-f-${n}`, 'backends:', '  host: { type: process }', 'runtimes: []', ''].join('\n');
    writeFileSync(other, body('a'));
    const work = mkdtempSync(join(dir, 'cwd-'));
    process.chdir(work); // no ./contextforge.yaml here
    const planned = await runCliInProcess(['plan', '-f', other, '-out', 'p.json']);
    assert.is(planned.code, 0, planned.stderr);
    const saved = JSON.parse(readFileSync(join(work, 'p.json'), 'utf8')) as { configPath: string };
    assert.is(saved.configPath, other);
    const applied = await runCliInProcess(['apply', 'p.json']);
    assert.is(applied.code, 0, applied.stderr + applied.stdout);
    assert.match(applied.stdout, 'No changes');
    // The config moves on: the refusal's hint re-plans the same config, with -f.
    writeFileSync(
      other,
      body('a').replace('  host: { type: process }', '  host: { type: process }\n  spare: { type: process }'),
    );
    const stale = await runCliInProcess(['apply', 'p.json']);
    assert.is(stale.code, 1);
    assert.match(stale.stderr, 'configuration changed');
    assert.match(stale.stderr, `contextforge plan -f ${other} -out p.json`);
  } finally {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
