// The compose subset parser without Docker: normalized values (environment list or map,
// depends_on list or map with conditions, healthcheck durations, ports, named volumes,
// networks), start order, and diagnostics pointing at the line of the offending key, both in
// a compose file of its own and inside contextforge.yaml for inline YAML.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCompose } from '../../src/config/compose/parse.js';
import { parseComposeDuration, splitCommand, startOrder } from '../../src/config/compose/model.js';
import { composeInline, positionsOf } from '../../src/config/compose/text.js';

function own(text: string) {
  const pos = positionsOf(text);
  return { text, file: 'c.yaml', toRange: (a: number, b: number) => ({ file: 'c.yaml', start: pos(a), end: pos(b) }) };
}

test('normalizes the supported subset', () => {
  const r = parseCompose(
    own(
      [
        'version: "3.8"',
        'services:',
        '  app:',
        '    image: app:1',
        '    command: node server.js --name "a b"',
        '    environment: [A=1, B=two=2]',
        '    ports: ["8080", "127.0.0.1:9000:9001", { target: 7000, published: 7001 }]',
        '    depends_on: { db: { condition: service_healthy }, cache: { condition: service_started } }',
        '    networks: [back]',
        '  db:',
        '    image: db:1',
        '    environment: { X: 1 }',
        '    healthcheck: { test: "pg_isready", interval: 1m30s, timeout: 500ms, retries: 3, start_period: 2s }',
        '    volumes: ["data:/var/lib/db:ro"]',
        '  cache:',
        '    build: { context: ./cache, args: [V=2] }',
        '    depends_on: [db]',
        'volumes: { data: }',
        'networks: { back: {} }',
      ].join('\n'),
    ),
    'app',
  );
  assert.equal(r.diags, []);
  const m = r.value!;
  assert.equal(m.services.app.command, ['node', 'server.js', '--name', 'a b']);
  assert.equal(m.services.app.environment, { A: '1', B: 'two=2' });
  assert.equal(m.services.app.ports, [
    { container: 8080 },
    { container: 9001, host: 9000, hostIp: '127.0.0.1' },
    { container: 7000, host: 7001, hostIp: undefined },
  ]);
  assert.equal(m.services.app.dependsOn, { db: 'service_healthy', cache: 'service_started' });
  assert.equal(m.services.app.networks, ['back']);
  assert.equal(m.services.db.environment, { X: '1' });
  assert.equal(m.services.db.healthcheck, {
    test: ['CMD-SHELL', 'pg_isready'],
    intervalMs: 90_000,
    timeoutMs: 500,
    retries: 3,
    startPeriodMs: 2000,
  });
  assert.equal(m.services.db.volumes, [{ source: 'data', target: '/var/lib/db', readOnly: true }]);
  assert.equal(m.services.cache.build, { context: './cache', dockerfile: undefined, args: { V: '2' } });
  assert.equal(startOrder(m), ['db', 'cache', 'app']);
});

test('every unsupported key is a diagnostic at its line', () => {
  const r = parseCompose(
    own(
      [
        'services:',
        '  app:',
        '    image: app:1',
        '    privileged: true',
        '    healthcheck: { test: [CMD, "true"], start_interval: 1s }',
        '    deploy:',
        '      replicas: 2',
        'configs: {}',
      ].join('\n'),
    ),
  );
  assert.is(r.value, undefined);
  const got = r.diags.map((d) => `${d.range?.start.line}:${d.range?.start.col} ${d.code} ${d.summary}`);
  assert.equal(
    got.sort(),
    [
      '4:5 compose.unsupported-key Compose key services.app.privileged is not supported',
      '5:41 compose.unsupported-key Compose key services.app.healthcheck.start_interval is not supported',
      '6:5 compose.unsupported-key Compose key services.app.deploy is not supported',
      '8:1 compose.unsupported-key Compose key configs is not supported',
    ].sort(),
  );
});

test('references, conditions, bind mounts and cycles are refused', () => {
  const r = parseCompose(
    own(
      [
        'services:',
        '  a:',
        '    image: a',
        '    depends_on: [b, ghost]',
        '    volumes: ["./src:/src", "undeclared:/x"]',
        '  b:',
        '    image: b',
        '    depends_on: { a: { condition: service_completed_successfully } }',
      ].join('\n'),
    ),
    'main',
  );
  const sums = r.diags.map((d) => `${d.range?.start.line} ${d.summary}`);
  assert.ok(sums.includes('4 Service a depends on unknown service ghost'), sums.join('\n'));
  assert.ok(sums.includes('5 Bind mount ./src is not supported'), sums.join('\n'));
  assert.ok(sums.includes('5 Volume undeclared is not declared under the top-level volumes:'), sums.join('\n'));
  assert.ok(sums.includes('8 depends_on condition service_completed_successfully is not supported'), sums.join('\n'));
  assert.ok(
    sums.some((s) => s.endsWith('main_service main is not a service of the compose file')),
    sums.join('\n'),
  );
  const cyc = parseCompose(own('services:\n  a: { image: a, depends_on: [b] }\n  b: { image: b, depends_on: [a] }\n'));
  assert.ok(cyc.diags.some((d) => d.summary === 'The depends_on of the services form a cycle'));
});

test('inline compose YAML: positions land inside contextforge.yaml', () => {
  const config = [
    'catalog:',
    '  - source:',
    '      compose_file: |',
    '        services:',
    '          app:',
    '            image: x',
    '            cap_add: [NET_ADMIN]',
    '      main_service: app',
  ].join('\n');
  const content = 'services:\n  app:\n    image: x\n    cap_add: [NET_ADMIN]\n';
  const r = parseCompose(
    composeInline(content, { fileText: config, file: 'contextforge.yaml', valueOffset: config.indexOf('|') }),
    'app',
  );
  assert.is(r.diags.length, 1);
  assert.is(r.diags[0].range?.file, 'contextforge.yaml');
  assert.is(r.diags[0].range?.start.line, 7);
  assert.is(r.diags[0].range?.start.col, 13);
});

test('durations and command splitting', () => {
  assert.is(parseComposeDuration('1h2m3s'), 3_723_000);
  assert.is(parseComposeDuration(5), 5000);
  assert.is(parseComposeDuration('soon'), undefined);
  assert.equal(splitCommand(`sh -c 'echo "hi there"'`), ['sh', '-c', 'echo "hi there"']);
  assert.equal(splitCommand('a  b\\ c ""'), ['a', 'b c', '']);
});

test.run();
