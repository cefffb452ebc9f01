// Bad input for the Code Engine backend is refused before any API write: invalid cpu/memory
// pairs, app names that break Code Engine's rules once prefixed, compose sources, a 41st app,
// and the project quota (foreign apps count too), at validate/plan time and again at apply.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../../src/emulators/code-engine/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { compileDesired } from '../../../src/plan/desired.js';
import type { DesiredResource } from '../../../src/model/resources.js';
import { createCodeEngineBackend } from '../../../src/backends/code-engine/index.js';
import type { CodeEngineBackend } from '../../../src/generated/config.js';
import { appName } from '../../../src/backends/code-engine/names.js';
import { CeStack, rawApi, writeCalls, yamlFor, type RuntimeDef, deleteAppsAndWait } from './backend-support.js';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let emu: CodeEngineEmulator;

test.before(async () => {
  emu = await startCodeEngineEmulator({ timing: { appReadyDelayMs: 50 }, log: () => undefined });
});
test.after(async () => {
  await emu.close();
});

async function loadDiags(
  runtimes: RuntimeDef[],
  extra: { catalog?: string[]; profile?: string[] } = {},
): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cf-ce-v-'));
  try {
    const file = join(dir, 'contextforge.yaml');
    writeFileSync(file, yamlFor({ emu, runtimes, ...extra }, 'cfvalid'));
    const r = await loadConfig(file);
    return r.diags.filter((d) => d.severity === 'error').map((d) => d.code);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function clone(d: DesiredResource, patch: (d: DesiredResource) => void): DesiredResource {
  const c = structuredClone(d);
  patch(c);
  return c;
}

test('the config front end refuses the four cases before any backend exists', async () => {
  const before = emu.stats.total;
  assert.ok(
    (await loadDiags([{ name: 'a', resources: { cpu: '0.25', memory: '4G' } }])).includes('ce.invalid-cpu-memory'),
  );
  assert.ok((await loadDiags([{ name: 'bad_name' }])).includes('ce.invalid-app-name'));
  const compose = [
    '  - name: Stack',
    '    slug: stack',
    '    source: { type: compose, compose_file: "services: {a: {image: x}}", main_service: a }',
  ];
  assert.ok(
    (await loadDiags([{ name: 'c', catalog: 'stack' }], { catalog: compose })).includes('source.unsupported-backend'),
  );
  const many = Array.from({ length: 41 }, (_, i) => ({ name: `r${i}` }));
  assert.ok((await loadDiags(many)).includes('ce.too-many-apps'));
  assert.is(emu.stats.total, before, 'no request reached the emulator');
});

test('a public app without protection is a warning, an error when strict; project, private or the auth label quiet it', async () => {
  const s = new CeStack({ emu, runtimes: [{ name: 'open' }] });
  try {
    const cfg = await s.load();
    const [d] = compileDesired(cfg).value!;
    const exposure = (x: DesiredResource) => s.backend.validate([x]).filter((g) => g.code === 'ce.public-unprotected');
    const [w] = exposure(d);
    assert.is(w?.severity, 'warning');
    assert.match(w.summary, /unauthenticated MCP server on the internet/);
    assert.match(w.detail ?? '', /visibility: project/);
    assert.is(w.address, 'runtime.open');
    assert.is(exposure(clone(d, (x) => (x.spec.guardrails.strict = true)))[0]?.severity, 'error');
    assert.equal(exposure(clone(d, (x) => (x.spec.visibility = 'project'))), []);
    assert.equal(exposure(clone(d, (x) => (x.spec.visibility = 'private'))), []);
    assert.equal(
      exposure(clone(d, (x) => (x.spec.labels = { 'contextforge.dev/public-endpoint': 'authenticated' }))),
      [],
    );
    // Through the compiler: --strict turns it into an error of the plan.
    const strict = compileDesired(cfg, { strict: true }).value!;
    assert.is(s.backend.validate(strict).find((g) => g.code === 'ce.public-unprotected')?.severity, 'error');
    const p = await s.plan();
    assert.ok(
      p.diags.some((g) => g.code === 'ce.public-unprotected' && g.severity === 'warning'),
      JSON.stringify(p.diags),
    );
  } finally {
    await s.close();
  }
});

test('backend.validate refuses each case as a diagnostic (pure: no request)', async () => {
  const s = new CeStack({ emu, runtimes: [{ name: 'ok' }] });
  try {
    const cfg = await s.load();
    const [d] = compileDesired(cfg).value!;
    const before = emu.stats.total;
    // (The public-exposure warning has its own test below.)
    const codes = (ds: DesiredResource[]): string[] =>
      s.backend
        .validate(ds)
        .map((x) => x.code)
        .filter((c) => c !== 'ce.public-unprotected');
    assert.equal(codes([d]), []);
    assert.ok(codes([clone(d, (x) => (x.spec.guardrails.maxMemory = 4e9))]).includes('ce.invalid-cpu-memory'));
    assert.ok(codes([clone(d, (x) => (x.spec.guardrails.maxCpu = 3))]).includes('ce.invalid-cpu-memory'));
    assert.ok(codes([clone(d, (x) => (x.runtime = 'Upper'))]).includes('ce.invalid-app-name'));
    assert.ok(
      codes([clone(d, (x) => (x.runtime = 'x'.repeat(50)))]).includes('ce.invalid-app-name'),
      'too long once the stack prefix is added',
    );
    assert.ok(
      codes([
        clone(
          d,
          (x) =>
            (x.spec.source = { type: 'compose', composeFile: 'a.yml', inline: false, mainService: 'a', baseDir: '/' }),
        ),
      ]).includes('ce.source-unsupported'),
    );
    const forty1 = Array.from({ length: 41 }, (_, i) =>
      clone(d, (x) => {
        x.runtime = `r${i}`;
        x.address = `runtime.r${i}`;
      }),
    );
    assert.ok(codes(forty1).includes('ce.too-many-apps'));
    assert.equal(codes(forty1.slice(0, 40)), []);
    assert.ok(codes([clone(d, (x) => (x.spec.scale = { min: 5, max: 2 }))]).includes('ce.scale-min-above-max'));
    const big = createCodeEngineBackend(
      'ce2',
      {
        ...(cfg.backends.ce as CodeEngineBackend),
        per_deployment_limits: { cpu: '0.25', memory: '1G', ephemeral_storage: '2G' },
      },
      { stack: s.stack },
    );
    assert.ok(big.validate([{ ...d, backend: 'ce2' }]).some((x) => x.code === 'ce.invalid-ephemeral-storage'));
    await big.close?.();
    assert.is(emu.stats.total, before);
  } finally {
    await s.close();
  }
});

test('plan refuses a runtime name that is too long once prefixed, with no API write', async () => {
  const long = new CeStack({ emu, runtimes: [{ name: `r${'x'.repeat(50)}` }] });
  try {
    const w0 = writeCalls(emu);
    await long.load();
    const p = await long.plan();
    assert.not.ok(p.plan);
    assert.ok(
      p.diags.some((d) => d.code === 'ce.invalid-app-name' && d.address === `runtime.r${'x'.repeat(50)}`),
      JSON.stringify(p.diags),
    );
    assert.is(writeCalls(emu), w0, 'no POST/PATCH/PUT/DELETE');
  } finally {
    await long.close();
  }
});

test('profile ceilings without per_deployment_limits: validate, plan and the created app agree on the fitted pair', async () => {
  const fitted = new CeStack({
    emu,
    runtimes: [{ name: 'fitted' }],
    noLimits: true,
    profile: ['    resources: { max_cpu: "0.5", max_memory: 512m }'],
  });
  const tiny = new CeStack({
    emu,
    runtimes: [{ name: 'tiny' }],
    noLimits: true,
    profile: ['    resources: { max_cpu: "0.25", max_memory: 128m }'],
  });
  try {
    await fitted.load();
    const v = await loadConfig(fitted.file);
    const warned = v.diags.filter((d) => d.code === 'ce.limits-fitted');
    assert.equal(
      warned.map((d) => d.summary),
      ['max_cpu 0.5 / max_memory 512m of profile "ce-open" fitted to Code Engine\'s 0.25 vCPU / 0.5G'],
    );
    const p = await fitted.plan();
    assert.ok(p.plan, JSON.stringify(p.diags));
    const d = p.desired.find((x) => x.runtime === 'fitted')!;
    assert.equal([d.spec.guardrails.maxCpu, d.spec.guardrails.maxMemory], [0.25, 500e6]);
    const change = p.plan!.changes.find((c) => c.address === 'runtime.fitted')!;
    assert.ok(
      change.diagnostics.some((x) => x.code === 'ce.limits-fitted' && x.severity === 'warning'),
      JSON.stringify(change.diagnostics),
    );
    const r = await fitted.apply(p);
    assert.equal(
      r.results.map((x) => x.status),
      ['created'],
      JSON.stringify(r.results),
    );
    const app = (await rawApi(emu, 'GET', `/projects/${emu.projects[0].id}/apps/${appName(fitted.stack, 'fitted')}`))
      .body as { scale_cpu_limit: string; scale_memory_limit: string };
    assert.equal([app.scale_cpu_limit, app.scale_memory_limit], ['0.25', '500M']);
    await fitted.apply(await fitted.plan(true));

    // Below Code Engine's smallest pair: the config front end refuses, before any request.
    const w0 = writeCalls(emu);
    const refused = await tiny.load().then(
      () => undefined,
      (e: Error) => e.message,
    );
    assert.match(refused ?? 'loaded', /ce\.limits-no-fit/);
    assert.is(writeCalls(emu), w0);
  } finally {
    await fitted.close();
    await tiny.close();
  }
});

test('quota pre-flight: foreign apps count; plan refuses the 41st app, apply refuses it too when the project filled up after planning', async () => {
  const pid = emu.projects[0].id;
  const foreign: string[] = [];
  const s = new CeStack({ emu, runtimes: [{ name: 'one' }, { name: 'two' }] });
  try {
    for (let i = 0; i < 39; i++) {
      const name = `foreign-${i}`;
      const r = await rawApi(emu, 'POST', `/projects/${pid}/apps`, {
        name,
        image_reference: 'icr.io/x/y:1',
        scale_cpu_limit: '0.25',
        scale_memory_limit: '1G',
      });
      assert.is(r.status, 201);
      foreign.push(name);
    }
    await s.load();
    const w0 = writeCalls(emu);
    const p = await s.plan();
    assert.not.ok(p.plan, 'no plan when the quota would be exceeded');
    const q = p.diags.find((d) => d.code === 'ce.quota-apps');
    assert.ok(q, JSON.stringify(p.diags));
    assert.match(q!.summary, /41 apps/);
    assert.is(writeCalls(emu), w0);

    // One runtime fits: plan it, then someone else takes the last slot before apply.
    await s.load([{ name: 'one' }]);
    const p2 = await s.plan();
    assert.ok(p2.plan, JSON.stringify(p2.diags));
    assert.is(
      (
        await rawApi(emu, 'POST', `/projects/${pid}/apps`, {
          name: 'foreign-late',
          image_reference: 'icr.io/x/y:1',
          scale_cpu_limit: '0.25',
          scale_memory_limit: '1G',
        })
      ).status,
      201,
    );
    foreign.push('foreign-late');
    // A fresh backend (another process applying a saved plan) counts the project itself.
    const fresh = new CeStack({ emu, runtimes: [{ name: 'one' }], stack: s.stack });
    await fresh.load();
    const w1 = writeCalls(emu);
    const a = await fresh.apply(p2);
    await fresh.close();
    assert.is(a.exitCode, 1);
    assert.ok(
      a.diags.some((d) => d.code === 'ce.quota-apps'),
      JSON.stringify(a.diags),
    );
    assert.is(writeCalls(emu), w1, 'the gate made no write');
  } finally {
    await s.close();
    await deleteAppsAndWait(emu, pid, foreign);
  }
});

test('project resolved by name; an unknown project is a diagnostic', async () => {
  const byName = new CeStack({ emu, runtimes: [{ name: 'named' }], project: emu.projects[0].name });
  const missing = new CeStack({ emu, runtimes: [{ name: 'named' }], project: 'no-such-project' });
  try {
    await byName.load();
    const p = await byName.plan();
    assert.ok(p.plan, JSON.stringify(p.diags));
    assert.is((await byName.apply(p)).exitCode, 0);
    assert.is((await byName.projectId()).value, emu.projects[0].id);
    await byName.apply(await byName.plan(true));
    await missing.load();
    const q = await missing.plan();
    assert.not.ok(q.plan);
    assert.ok(
      q.diags.some((d) => d.code === 'ce.project-not-found'),
      JSON.stringify(q.diags),
    );
  } finally {
    await byName.close();
    await missing.close();
  }
});

test.run();
