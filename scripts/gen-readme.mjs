#!/usr/bin/env node
// Generates the configuration reference of README.md (between the config-reference markers)
// from schema/contextforge.schema.json, so the docs cannot drift from the schema.
// `node scripts/gen-readme.mjs --check` exits 1 instead of writing when README.md is stale.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const schema = JSON.parse(readFileSync(join(root, 'schema/contextforge.schema.json'), 'utf8'));
const defs = schema.definitions;
const BEGIN = '<!-- BEGIN config-reference -->';
const END = '<!-- END config-reference -->';

const refName = (ref) => ref.replace('#/definitions/', '');
const anchor = (title) => `#${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Object-like definitions get their own section; scalars are described inline. */
function isSection(def) {
  return def && ((def.properties && Object.keys(def.properties).length > 1) || def.oneOf?.every((b) => b.$ref));
}

function typeOf(s, queue) {
  if (!s) return 'any';
  if (s.$ref) {
    const name = refName(s.$ref);
    const d = defs[name];
    if (isSection(d)) {
      queue.push({ key: name, def: d });
      return `[${d.title ?? name}](${anchor(d.title ?? name)})`;
    }
    return typeOf(d, queue);
  }
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${v}\``).join(' | ');
  if (s.oneOf) return s.oneOf.map((b) => typeOf(b, queue)).join(' or ');
  if (s.type === 'array') return `list of ${typeOf(s.items, queue)}`;
  if (s.type === 'object' && s.properties && s.title) {
    queue.push({ key: s.title, def: s });
    return `[${s.title}](${anchor(s.title)})`;
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
    return `map of name → ${typeOf(s.additionalProperties, queue)}`;
  }
  if (Array.isArray(s.type)) return s.type.join(' or ');
  if (s.type === 'string' && s.pattern) return `string (\`${s.pattern}\`)`;
  return s.type ?? 'any';
}

function limits(s) {
  const out = [];
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength > 1) out.push(`at least ${s.minLength} characters`);
  return out.join(', ');
}

function section(name, d, queue) {
  const title = d.title ?? name;
  const lines = [`### ${title}`, ''];
  if (d.description) lines.push(d.description, '');
  if (d.oneOf) {
    lines.push(`One of (chosen by \`type\`): ${d.oneOf.map((b) => typeOf(b, queue)).join(', ')}.`, '');
    return lines;
  }
  const required = new Set(d.required ?? []);
  lines.push('| key | type | default | description |', '|---|---|---|---|');
  for (const [key, p] of Object.entries(d.properties ?? {})) {
    if (key === '$schema') continue;
    const target = p.$ref ? defs[refName(p.$ref)] : undefined;
    const desc = [p.description ?? (target && !isSection(target) ? target.description : undefined), limits(p)]
      .filter(Boolean)
      .join(' ');
    const dflt = p.default !== undefined ? `\`${JSON.stringify(p.default)}\`` : '';
    lines.push(
      `| \`${key}\`${required.has(key) ? ' (required)' : ''} | ${esc(typeOf(p, queue))} | ${esc(dflt)} | ${esc(desc)} |`,
    );
  }
  lines.push('');
  return lines;
}

function generate() {
  const out = [
    BEGIN,
    '<!-- Generated from schema/contextforge.schema.json by scripts/gen-readme.mjs (npm run gen); do not edit by hand. -->',
    '',
    '## Configuration reference',
    '',
    'Every key of `contextforge.yaml`. Strings may use `${VAR}`, `${VAR:-default}` (environment, then `.env` beside the config); `$${` is a literal `${`.',
    'Catalog files (`catalog/*.yaml`) hold one [CatalogEntry](#catalogentry) each; profile files (`profiles/*.yaml`) one [GuardrailProfile](#guardrailprofile) each, with `name` required.',
    'Print the schema itself with `contextforge schema`.',
    '',
  ];
  const queue = [];
  out.push(...section('__root__', schema, queue));
  const done = new Set(['__root__']);
  while (queue.length) {
    const { key, def } = queue.shift();
    if (done.has(key)) continue;
    done.add(key);
    out.push(...section(key, def, queue));
  }
  out.push(END);
  return out.join('\n');
}

const readmePath = join(root, 'README.md');
const current = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
const block = generate();
let next;
if (current.includes(BEGIN) && current.includes(END)) {
  next = current.slice(0, current.indexOf(BEGIN)) + block + current.slice(current.indexOf(END) + END.length);
} else {
  next = `${current}${current && !current.endsWith('\n') ? '\n' : ''}\n${block}\n`;
}
if (check) {
  if (next !== current) {
    console.error('README.md configuration reference is stale. Run `npm run gen` (node scripts/gen-readme.mjs).');
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(readmePath, next);
  console.log('wrote README.md configuration reference');
} else {
  console.log('README.md configuration reference up to date');
}
