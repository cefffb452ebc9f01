// Loads the JSON Schemas shipped in schema/ and compiles them once per process with ajv.
// The `oneOf` unions with a `type` discriminator (backend, source) are rewritten in memory into
// if/then chains so that ajv reports the errors of the chosen variant, not a dump of every
// variant. The schema files themselves stay the single source of truth and are never modified.

import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { packagePath } from './package-root.js';

export type SchemaKind = 'config' | 'catalog' | 'profile' | 'plan';

const FILES: Record<SchemaKind, string> = {
  config: 'schema/contextforge.schema.json',
  catalog: 'schema/catalog-entry.schema.json',
  profile: 'schema/guardrail-profile.schema.json',
  plan: 'schema/plan.schema.json',
};

type JsonObject = Record<string, unknown>;
const raw = new Map<SchemaKind, JsonObject>();

/** The schema of a kind exactly as shipped (for `contextforge schema`). */
export function rawSchema(kind: SchemaKind): JsonObject {
  let s = raw.get(kind);
  if (!s) {
    s = JSON.parse(readFileSync(packagePath(FILES[kind]), 'utf8')) as JsonObject;
    raw.set(kind, s);
  }
  return s;
}

/** Definitions whose oneOf dispatches on the value of `type`. */
const DISCRIMINATED = ['backend', 'source'];

function withDiscriminators(schema: JsonObject): JsonObject {
  const copy = structuredClone(schema);
  const defs = copy.definitions as Record<string, JsonObject>;
  for (const name of DISCRIMINATED) {
    const def = defs[name];
    const variants = def.oneOf as { $ref: string }[] | undefined;
    if (!variants) continue;
    delete def.oneOf;
    def.allOf = variants.map((v) => {
      const target = defs[v.$ref.replace('#/definitions/', '')];
      const tag = (target.properties as Record<string, { const?: string }>).type.const;
      return { if: { properties: { type: { const: tag } }, required: ['type'] }, then: { $ref: v.$ref } };
    });
  }
  return copy;
}

let ajv: Ajv | undefined;
const validators = new Map<SchemaKind, ValidateFunction>();

function instance(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true });
    ajv.addSchema(withDiscriminators(rawSchema('config')));
    ajv.addSchema(rawSchema('catalog'));
    ajv.addSchema(rawSchema('profile'));
  }
  return ajv;
}

/** The compiled validator of a schema kind (plan excluded: it is validated by its owner). */
export function validator(kind: Exclude<SchemaKind, 'plan'>): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    const id = rawSchema(kind).$id as string;
    v = instance().getSchema(id);
    if (!v) throw new Error(`schema ${id} did not compile`);
    validators.set(kind, v);
  }
  return v;
}

/** A definition of the config schema (for allowed-key lists and descriptions). */
export function definition(name: string): JsonObject | undefined {
  return (rawSchema('config').definitions as Record<string, JsonObject>)[name];
}
