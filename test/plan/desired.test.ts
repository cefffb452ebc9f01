import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileDesired } from '../../src/plan/desired.js';
import { evaluateApproval, approvalSatisfied, imageRepository } from '../../src/plan/approval.js';
import { CAPABILITIES_BY_KIND } from '../../src/model/capabilities.js';
import { buildConfig, ECHO_ENTRY, profile, RESTRICTED, runtime, STANDARD, TEST_SECRET } from './config-builder.js';
import { ceResources } from '../../src/backends/code-engine/resources.js';

test('a runtime compiles to a desired resource with merged guardrails and split env', () => {
  const config = buildConfig({
    runtimes: [
      runtime({
        name: 'echo',
        catalog: 'echo',
        backend: 'local',
        env: { LOG_LEVEL: 'debug', PORT: 3001 },
        secrets: { API_TOKEN: TEST_SECRET },
      }),
    ],
  });
  const r = compileDesired(config);
  assert.equal(
    r.diags.filter((d) => d.severity === 'error'),
    [],
  );
  const [d] = r.value!;
  assert.is(d.address, 'runtime.echo');
  assert.is(d.backendType, 'docker');
  assert.equal(d.spec.env, { LOG_LEVEL: 'debug', PORT: '3001' });
  assert.equal(Object.keys(d.secretEnv), ['API_TOKEN']);
  assert.is(d.secretEnv.API_TOKEN, TEST_SECRET);
  assert.match(d.spec.secretDigests.API_TOKEN, /^sha256:[0-9a-f]{24}$/);
  assert.not.ok(JSON.stringify(d.spec).includes(TEST_SECRET), 'the spec carries no secret value');
  // Profile standard: max_memory 512m; backend default 256m is below it, so it wins.
  assert.is(d.spec.guardrails.maxMemory, 256 * 1024 ** 2);
  assert.is(d.spec.guardrails.maxCpu, 1);
  assert.is(d.spec.guardrails.maxPids, 128);
  assert.is(d.spec.guardrails.readOnlyRoot, true);
  assert.equal(d.spec.transport, { type: 'streamable-http', port: 3001, path: '/mcp' });
  assert.equal(d.spec.source, {
    type: 'docker',
    image: 'contextforge-fixture/everything:latest',
    args: ['streamableHttp'],
    pull: 'missing',
  });
  assert.match(d.specHash, /^sha256:[0-9a-f]{64}$/);
});

test('the spec hash is stable, and moves with env, secrets and profile', () => {
  const base = {
    name: 'echo',
    catalog: 'echo',
    backend: 'local',
    env: { LOG_LEVEL: 'debug' },
    secrets: { API_TOKEN: TEST_SECRET },
  };
  const h = (r: Parameters<typeof runtime>[0]): string =>
    compileDesired(buildConfig({ runtimes: [runtime(r)] })).value![0].specHash;
  assert.is(h(base), h({ ...base }));
  assert.is.not(h(base), h({ ...base, env: { LOG_LEVEL: 'warn' } }));
  assert.is.not(h(base), h({ ...base, secrets: { API_TOKEN: `${TEST_SECRET}-rotated` } }));
  assert.is.not(h(base), h({ ...base, guardrails_profile: 'restricted' }));
});

test('profile resolution: runtime, then catalog entry, then the default', () => {
  const entryRestricted = { ...ECHO_ENTRY, slug: 'echo-r', guardrails_profile: 'restricted' };
  const config = buildConfig({
    catalog: [ECHO_ENTRY, entryRestricted],
    runtimes: [
      runtime({ name: 'a', catalog: 'echo', backend: 'local' }),
      runtime({ name: 'b', catalog: 'echo-r', backend: 'local' }),
      runtime({ name: 'c', catalog: 'echo-r', backend: 'local', guardrails_profile: 'standard' }),
    ],
  });
  const byName = Object.fromEntries(compileDesired(config).value!.map((d) => [d.runtime, d.spec.guardrails.profile]));
  assert.equal(byName, { a: 'standard', b: 'restricted', c: 'standard' });
});

test('a resource request above the profile maximum is an error naming the runtime', () => {
  const config = buildConfig({
    runtimes: [runtime({ name: 'big', catalog: 'echo', backend: 'local', resources: { memory: '2g' } })],
  });
  const r = compileDesired(config);
  const e = r.diags.find((d) => d.code === 'guardrail.limit-exceeded');
  assert.ok(e, 'limit-exceeded diagnostic');
  assert.match(e!.summary, /big/);
});

test('a required env variable left unset is an error; disabled runtimes are left out', () => {
  const strictEntry = { ...ECHO_ENTRY, env: { API_TOKEN: { secret: true, required: true } } };
  const config = buildConfig({
    catalog: [strictEntry],
    runtimes: [
      runtime({ name: 'x', catalog: 'echo', backend: 'local' }),
      runtime({ name: 'off', catalog: 'echo', backend: 'local', enabled: false }),
    ],
  });
  const r = compileDesired(config);
  assert.ok(r.diags.some((d) => d.code === 'env.required-missing' && d.summary.includes('API_TOKEN')));
  assert.equal(
    r.value!.map((d) => d.runtime),
    ['x'],
  );
});

test('unenforced guardrails on the process backend are warnings, errors under --strict', () => {
  const config = buildConfig({
    backends: { procs: { type: 'process' } },
    catalog: [
      { ...ECHO_ENTRY, source: { type: 'command', command: 'node', args: ['server.js'] }, transport: undefined },
    ],
    runtimes: [runtime({ name: 'p', catalog: 'echo', backend: 'procs', guardrails_profile: 'restricted' })],
  });
  const loose = compileDesired(config);
  const warnings = loose.value![0].diagnostics.filter((d) => d.code === 'guardrail.unenforced');
  assert.ok(warnings.length >= 3, `expected several unenforced controls, got ${warnings.length}`);
  assert.ok(warnings.every((w) => w.severity === 'warning'));
  assert.ok(warnings.some((w) => w.summary.includes('read_only_root') && w.summary.includes('procs')));
  assert.is(loose.value![0].spec.transport.type, 'stdio');
  const strict = compileDesired(config, { strict: true });
  assert.ok(strict.diags.some((d) => d.code === 'guardrail.unenforced' && d.severity === 'error'));
  // Docker enforces everything the restricted profile asks for.
  const docker = compileDesired(
    buildConfig({
      runtimes: [runtime({ name: 'd', catalog: 'echo', backend: 'local', guardrails_profile: 'restricted' })],
    }),
    {
      capabilities: { local: CAPABILITIES_BY_KIND.docker },
    },
  );
  assert.equal(docker.value![0].diagnostics, []);
  assert.ok(RESTRICTED && STANDARD);
});

test('approval rules: source type, registry allow-list, profile, backend type, requires_approval', () => {
  assert.is(imageRepository('node:20'), 'docker.io/library/node');
  assert.is(imageRepository('mcp/fs:1.2'), 'docker.io/mcp/fs');
  assert.is(imageRepository('ghcr.io/acme/srv@sha256:abc'), 'ghcr.io/acme/srv');
  assert.is(imageRepository('127.0.0.1:5000/x/y:1'), '127.0.0.1:5000/x/y');
  const settings = {
    enabled: true,
    required_for: [
      { source_type: 'github' as const },
      { registry_not_in: ['docker.io/library', 'docker.io/mcp'] },
      { guardrails_profile: 'unrestricted', approvers: ['cto'] },
    ],
    approvers: [{ group: 'security-team' }, { user: 'admin@example.com' }],
  };
  const subject = {
    runtime: 'r',
    catalog: 'c',
    sourceType: 'docker' as const,
    image: 'mcp/fs:1',
    profile: 'standard',
    backendType: 'docker' as const,
  };
  assert.is(evaluateApproval(settings, subject), undefined);
  const foreign = evaluateApproval(settings, { ...subject, image: 'ghcr.io/x/y:1' })!;
  assert.equal(foreign.reasons, ['image ghcr.io/x/y is not from docker.io/library, docker.io/mcp']);
  assert.equal(foreign.approvers, [['security-team', 'admin@example.com']]);
  const open = evaluateApproval(settings, {
    ...subject,
    profile: 'unrestricted',
    sourceType: 'github',
    image: undefined,
  })!;
  assert.equal(open.reasons, ['source_type is github', 'guardrails_profile is unrestricted']);
  assert.ok(approvalSatisfied(open, ['security-team', 'cto']));
  assert.not.ok(approvalSatisfied(open, ['security-team']));
  assert.not.ok(approvalSatisfied(open, []));
  const entryOnly = evaluateApproval(undefined, { ...subject, entryRequiresApproval: true })!;
  assert.equal(entryOnly.reasons, ['catalog entry c requires approval']);
  assert.ok(approvalSatisfied(entryOnly, ['anyone']));
  assert.is(evaluateApproval({ enabled: false }, { ...subject, entryRequiresApproval: true }), undefined);
});

test('one memory value, one meaning: 512m is 512 MiB for Docker; on Code Engine the ceilings are fitted to a table pair', () => {
  const ce = {
    type: 'ibm_code_engine' as const,
    region: 'us-south' as const,
    project_id: 'p',
    api_key: 'k-0000000000',
  };
  const config = buildConfig({
    backends: { local: { type: 'docker', allow_local_images: true }, ce },
    profiles: {
      standard: STANDARD,
      decimal: profile('decimal', { resources: { max_cpu: '0.5', max_memory: '512M' } }),
    },
    runtimes: [
      runtime({ name: 'on-docker', catalog: 'echo', backend: 'local' }),
      runtime({ name: 'on-docker-decimal', catalog: 'echo', backend: 'local', guardrails_profile: 'decimal' }),
      runtime({ name: 'on-ce', catalog: 'echo', backend: 'ce' }),
      runtime({ name: 'on-ce-exact', catalog: 'echo', backend: 'ce', resources: { cpu: '0.125', memory: '256Mi' } }),
    ],
  });
  const r = compileDesired(config);
  assert.equal(
    r.diags.filter((d) => d.severity === 'error'),
    [],
  );
  const by = Object.fromEntries(r.value!.map((d) => [d.runtime, d]));
  // Docker's HostConfig.Memory takes these bytes as they are.
  assert.is(by['on-docker'].spec.guardrails.maxMemory, 512 * 1024 ** 2);
  assert.is(by['on-docker-decimal'].spec.guardrails.maxMemory, 512e6);
  // STANDARD here is max_cpu 1 / max_memory 512m: the largest pair under it is 0.25 vCPU / 0.5G.
  assert.equal([by['on-ce'].spec.guardrails.maxCpu, by['on-ce'].spec.guardrails.maxMemory], [0.25, 500e6]);
  assert.equal(ceResources(by['on-ce'].spec.guardrails.maxCpu, by['on-ce'].spec.guardrails.maxMemory), {
    ok: true,
    cpu: '0.25',
    memory: '500M',
  });
  const fitted = r.diags.filter((d) => d.code === 'ce.limits-fitted');
  assert.equal(
    fitted.map((d) => [d.severity, d.address]),
    [['warning', 'runtime.on-ce']],
  );
  assert.ok(
    by['on-ce'].diagnostics.some((d) => d.code === 'ce.limits-fitted'),
    'the warning travels with the resource into the plan',
  );
  // Explicit runtime resources are exact: no fitting, no warning.
  assert.equal(
    [by['on-ce-exact'].spec.guardrails.maxCpu, by['on-ce-exact'].spec.guardrails.maxMemory],
    [0.125, 256 * 1024 ** 2],
  );
  assert.equal(ceResources(0.125, 256 * 1024 ** 2), { ok: true, cpu: '0.125', memory: '250M' });
});

test.run();
