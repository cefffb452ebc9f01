// The capability table: what each backend enforces of each preset (the seed's matrix), the
// warnings validate emits for it, strictness, Code Engine rules and image references.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE_ENGINE_CAPABILITIES, DOCKER_CAPABILITIES, PROCESS_CAPABILITIES } from '../../src/model/capabilities.js';
import {
  checkCpuMemory,
  controlLabel,
  controlStatuses,
  isValidAppName,
  parseImageRef,
  registryAllowed,
  unenforcedControls,
  type ImageRef,
} from '../../src/config/index.js';
import { loadLibrary } from '../../src/config/library.js';
import { validateConfig } from '../../src/plan/validate-config.js';

const presets = loadLibrary(undefined).value!.profiles;
const labels = (cs: { control: Parameters<typeof controlLabel>[0] }[]): string[] =>
  cs.map((c) => controlLabel(c.control));

test('docker enforces every control of every preset', () => {
  for (const p of Object.values(presets)) assert.equal(unenforcedControls(p, DOCKER_CAPABILITIES), [], p.name);
});

test('docker: capability add is noted as root-only; a missing AppArmor is worded for Docker, not processes', () => {
  const add = controlStatuses(presets.standard, DOCKER_CAPABILITIES).find((s) => s.control === 'capabilities.add')!;
  assert.ok(add.enforced);
  assert.match(add.note, 'non-root USER gets no effective capabilities');
  const noAa = { ...DOCKER_CAPABILITIES, supports_apparmor: false };
  const aa = controlStatuses(presets.restricted, noAa).find((s) => s.control === 'apparmor')!;
  assert.not.ok(aa.enforced);
  assert.match(aa.note, 'Docker engine has no AppArmor');
  assert.not.match(aa.note, 'local processes');
  const proc = controlStatuses(presets.restricted, PROCESS_CAPABILITIES).find((s) => s.control === 'apparmor')!;
  assert.match(proc.note, 'local processes');
});

test('restricted on Code Engine: read_only_root, capability add, max_pids, apparmor are not enforceable', () => {
  const u = unenforcedControls(presets.restricted, CODE_ENGINE_CAPABILITIES);
  for (const c of ['read_only_root', 'capability add', 'max_pids', 'apparmor']) assert.ok(labels(u).includes(c), c);
  assert.ok(u.every((c) => c.backend === 'ibm_code_engine' && c.note.length > 0));
  // add: [] and allowed_mounts: [] ask for nothing: listed, but not lossy (no warning).
  assert.equal(labels(u.filter((c) => c.lossy)), ['read_only_root', 'max_pids', 'apparmor']);
  // seccomp runtime/default and drop_all are what Code Engine applies itself.
  assert.not.ok(labels(u).includes('seccomp'));
  assert.not.ok(labels(u).includes('capability drop_all'));
});

test('standard on Code Engine drops host filtering, read-only root, mounts, cap add, pids', () => {
  const lossy = labels(unenforcedControls(presets.standard, CODE_ENGINE_CAPABILITIES).filter((c) => c.lossy));
  assert.equal(lossy, ['allowed_hosts', 'read_only_root', 'allowed_mounts', 'capability add', 'max_pids']);
});

test('the process backend enforces nothing', () => {
  const lossy = labels(unenforcedControls(presets.restricted, PROCESS_CAPABILITIES).filter((c) => c.lossy));
  assert.equal(lossy, [
    'egress_allowed',
    'ingress_ports',
    'read_only_root',
    'capability drop_all',
    'max_cpu',
    'max_memory',
    'max_pids',
    'seccomp',
    'apparmor',
  ]);
  assert.equal(unenforcedControls({}, PROCESS_CAPABILITIES), []);
});

async function validate(yaml: string, strict = false) {
  const dir = mkdtempSync(join(tmpdir(), 'cf-compat-'));
  try {
    writeFileSync(join(dir, 'c.yaml'), yaml);
    return await validateConfig(join(dir, 'c.yaml'), { env: {}, strict });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ceStack = `name: compat
backends:
  ce: { type: ibm_code_engine, region: us-south, project_id: p, api_key: k-0000000000, per_deployment_limits: { cpu: "1", memory: 2G } }
runtimes:
  - { name: a, catalog: everything, backend: ce, guardrails_profile: restricted }
  - { name: b, catalog: everything, backend: ce, guardrails_profile: restricted }
`;

test('validate warns once per control per runtime, naming the profile and the backend', async () => {
  const r = await validate(ceStack);
  assert.ok(r.value, JSON.stringify(r.diags));
  const w = r.diags.filter((d) => d.code === 'guardrail.unenforced');
  // Two runtimes × three lossy controls, each on its own runtime (the plan shows them per change).
  assert.is(w.length, 6);
  assert.equal([...new Set(w.map((d) => d.address))].sort(), ['runtime.a', 'runtime.b']);
  assert.ok(
    w.every(
      (d) =>
        d.severity === 'warning' &&
        d.summary.includes('"restricted"') &&
        d.summary.includes('ibm_code_engine backend "ce"'),
    ),
  );
  assert.ok(w.some((d) => d.summary.startsWith('read_only_root')));
});

test('--strict (or strict: true on the profile) turns them into errors', async () => {
  const r = await validate(ceStack, true);
  assert.not.ok(r.value);
  assert.is(r.diags.filter((d) => d.code === 'guardrail.unenforced' && d.severity === 'error').length, 6);
});

test('Code Engine cpu/memory pairs follow the table, in decimal or binary units', () => {
  assert.ok(checkCpuMemory('0.25', '0.5G').ok);
  assert.ok(checkCpuMemory(0.125, '256Mi').ok);
  assert.ok(checkCpuMemory('0.125', '250M').ok);
  assert.ok(checkCpuMemory(1, '4G').ok);
  assert.ok(checkCpuMemory('12', '48G').ok);
  assert.not.ok(checkCpuMemory('0.25', '256m').ok);
  assert.not.ok(checkCpuMemory('0.5', '512m').ok);
  assert.not.ok(checkCpuMemory('3', '6G').ok);
  assert.not.ok(checkCpuMemory('8', '48G').ok);
});

test('Code Engine app names', () => {
  for (const ok of ['a', 'app', 'my-app-2', 'a'.repeat(63)]) assert.ok(isValidAppName(ok), ok);
  for (const bad of ['my_app', 'app-', '1app', 'App', 'a'.repeat(64), '']) assert.not.ok(isValidAppName(bad), bad);
});

test('image references: registry detection and allow-lists', () => {
  const p = (s: string): ImageRef => parseImageRef(s) as ImageRef;
  assert.equal(p('nginx'), {
    registry: undefined,
    effectiveRegistry: 'docker.io',
    repository: 'library/nginx',
    tag: undefined,
    digest: undefined,
  });
  assert.is(p('localhost:5000/mcp/x:1').registry, 'localhost:5000');
  assert.is(p('127.0.0.1:5000/x').registry, '127.0.0.1:5000');
  assert.is(p('ghcr.io/o/r@sha256:' + 'a'.repeat(64)).digest, 'sha256:' + 'a'.repeat(64));
  assert.is(p('my-org/tool:dev').registry, undefined);
  assert.ok('error' in parseImageRef('ghcr.io/Org/x'));
  assert.ok('error' in parseImageRef('x:bad tag'));
  assert.ok(registryAllowed(p('docker.io/mcp/fs:1'), ['docker.io/mcp'], false));
  assert.ok(registryAllowed(p('mcp/fs:1'), ['docker.io'], false));
  assert.not.ok(registryAllowed(p('docker.io/other/fs:1'), ['docker.io/mcp'], false));
  assert.not.ok(registryAllowed(p('localhost:5000/x'), ['127.0.0.1:5000'], false));
  assert.ok(registryAllowed(p('127.0.0.1:5000/x'), ['127.0.0.1:5000'], false));
  assert.ok(registryAllowed(p('local-only:dev'), ['ghcr.io'], true));
  assert.not.ok(registryAllowed(p('local-only:dev'), ['ghcr.io'], false));
  assert.ok(registryAllowed(p('anything/x'), [], false));
});

test('a profile used outside its recommended_backends is a warning (the seed: unrestricted on CE)', async () => {
  const r = await validate(ceStack.replaceAll('restricted', 'unrestricted'));
  assert.ok(r.value, JSON.stringify(r.diags));
  const w = r.diags.filter((d) => d.code === 'profile.not-recommended');
  assert.is(w.length, 1);
  assert.is(w[0].severity, 'warning');
  assert.match(w[0].summary, /profile "unrestricted" is not recommended for ibm_code_engine backends/);
});

test('an env name one typo away from a declared one is a warning with a suggestion', async () => {
  const r = await validate(`name: envtypo
backends: { local: { type: docker } }
runtimes:
  - name: a
    catalog: custom-analytics
    backend: local
    secrets: { ANALYTICS_API_TOKEN: x-secret-value, ANALYTICS_API_TOKN: typo-value }
    env: { UNRELATED_SETTING: "1" }
`);
  assert.ok(r.value, JSON.stringify(r.diags));
  const w = r.diags.filter((d) => d.code === 'env.undeclared');
  assert.is(w.length, 1);
  assert.is(w[0].suggestion, 'ANALYTICS_API_TOKEN');
  assert.is(w[0].range!.start.line, 7);
});

test('auth: none is a warning, louder when the gateway listens beyond loopback', async () => {
  const local = await validate('name: open\ngateway: { auth: none }\n');
  assert.ok(local.value);
  assert.equal(
    local.diags.map((d) => [d.code, d.severity, d.summary]),
    [['gateway.auth-none', 'warning', 'gateway authentication is off']],
  );
  const wide = await validate('name: open\ngateway: { auth: none, host: 0.0.0.0 }\n');
  assert.match(wide.diags[0].summary, /while listening on 0\.0\.0\.0/);
});

test.run();
