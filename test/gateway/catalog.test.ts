// Routing tables built from upstream lists (pure): name collisions after sanitizing, long names,
// resource URI collisions marked per runtime, template routing, and virtual-server selection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { buildCatalog, routeResource } from '../../src/gateway/catalog.js';
import { TOOL_NAME_PATTERN } from '../../src/gateway/names.js';
import type { UpstreamSession } from '../../src/gateway/upstream.js';

/**
 * The catalog reads only a session's name, cached lists and spec (for its lock), so plain data
 * stands in for one.
 */
function session(
  name: string,
  lists: { tools?: string[]; prompts?: string[]; resources?: string[]; templates?: string[] },
): UpstreamSession {
  const tool = (n: string): Tool => ({ name: n, inputSchema: { type: 'object' } });
  return {
    name,
    spec: { name },
    catalog: {
      tools: (lists.tools ?? []).map(tool),
      prompts: (lists.prompts ?? []).map((n): Prompt => ({ name: n })),
      resources: (lists.resources ?? []).map((u): Resource => ({ uri: u, name: u })),
      templates: (lists.templates ?? []).map((t): ResourceTemplate => ({ uriTemplate: t, name: t })),
    },
  } as unknown as UpstreamSession;
}

const fed = { kind: 'federated' } as const;

test('tools that sanitize to the same name both get a stable hash suffix and route to their original', () => {
  const s = session('rt', { tools: ['get.item', 'get-item', 'plain'] });
  const c = buildCatalog([s], fed, '__');
  const names = [...c.tools.keys()];
  assert.is(names.length, 3);
  assert.ok(names.includes('rt__plain'));
  const hashed = names.filter((n) => n.startsWith('rt__get-item-'));
  assert.is(hashed.length, 2, names.join(','));
  assert.equal(hashed.map((n) => c.tools.get(n)!.original).sort(), ['get-item', 'get.item']);
  for (const n of names) assert.match(n, TOOL_NAME_PATTERN);
  assert.equal(buildCatalog([s], fed, '__').tools.keys().next().value, names[0], 'stable across builds');
});

test('the same tool name on two runtimes stays apart by prefix; a long one is shortened', () => {
  const long = 'x'.repeat(80);
  const c = buildCatalog([session('b', { tools: ['echo'] }), session('a', { tools: ['echo', long] })], fed, '__');
  assert.ok(c.tools.has('a__echo') && c.tools.has('b__echo'));
  assert.is(c.tools.get('b__echo')!.session.name, 'b');
  assert.is(c.tools.size, 3);
  const longName = [...c.tools.keys()].find((n) => c.tools.get(n)!.original === long)!;
  assert.is(longName.length, 64);
  assert.match(longName, TOOL_NAME_PATTERN);
});

test('colliding resource URIs are marked per runtime; unique ones are kept; reads route', () => {
  const a = session('alpha', { resources: ['file:///shared', 'file:///only-a'], templates: ['demo://{id}'] });
  const b = session('beta', { resources: ['file:///shared'], templates: ['demo://{id}', 'beta://{x}'] });
  const c = buildCatalog([a, b], fed, '__');
  assert.equal([...c.resources.keys()].sort(), ['cf-alpha+file:///shared', 'cf-beta+file:///shared', 'file:///only-a']);
  assert.equal(c.templates.map((t) => t.def.uriTemplate).sort(), [
    'beta://{x}',
    'cf-alpha+demo://{id}',
    'cf-beta+demo://{id}',
  ]);
  assert.equal(pick(routeResource(c, 'cf-beta+file:///shared')), ['beta', 'file:///shared']);
  assert.equal(pick(routeResource(c, 'file:///only-a')), ['alpha', 'file:///only-a']);
  assert.equal(pick(routeResource(c, 'cf-alpha+demo://7')), ['alpha', 'demo://7']);
  assert.equal(pick(routeResource(c, 'beta://q')), ['beta', 'beta://q']);
  assert.is(routeResource(c, 'demo://7'), undefined, 'an ambiguous template URI needs its marker');
  assert.is(routeResource(c, 'file:///shared'), undefined);
  assert.is(routeResource(c, 'cf-alpha+file:///nope'), undefined);
  assert.is(routeResource(c, 'cf-alpha+demo://7')!.label, 'demo://{id}', 'metric label is the template');
});

test('virtual server: globs plus whole runtimes', () => {
  const a = session('alpha', { tools: ['echo', 'sum'], prompts: ['p1'], resources: ['file:///a'] });
  const b = session('beta', { tools: ['echo', 'sum'], prompts: ['p2'] });
  const c = buildCatalog(
    [a, b],
    { kind: 'virtual', spec: { name: 'v', tools: ['*__echo'], runtimes: ['beta'] } },
    '__',
  );
  assert.equal([...c.tools.keys()].sort(), ['alpha__echo', 'beta__echo', 'beta__sum']);
  assert.equal([...c.prompts.keys()], ['beta__p2']);
  assert.equal([...c.resources.keys()], []);
});

test('a single-runtime view keeps upstream names', () => {
  const c = buildCatalog(
    [session('alpha', { tools: ['get.item'] }), session('beta', { tools: ['x'] })],
    { kind: 'runtime', name: 'alpha' },
    '__',
  );
  assert.equal([...c.tools.keys()], ['get.item']);
  assert.equal([...buildCatalog([], { kind: 'runtime', name: 'gone' }, '__').tools.keys()], []);
});

function pick(r: ReturnType<typeof routeResource>): [string, string] | undefined {
  return r ? [r.session.name, r.uri] : undefined;
}

test.run();
