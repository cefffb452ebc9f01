// The `yaml` library, as the rest of src/ imports it. Built (dist/), this loads the one-file
// bundle that scripts/build.mjs makes of node_modules/yaml with esbuild (dist/vendor/
// yaml-bundle.cjs), with the V8 code cache the build recorded for it (code-cache.ts): the package
// itself is 72 CommonJS files, and resolving and compiling them was about 40 ms of every
// command's start-up. Run from src/ (tsx), or built without the bundle, it is the package itself:
// the same code at the same version either way, so nothing else changes.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Yaml from 'yaml';
import { loadBundle } from './code-cache.js';

function load(): typeof Yaml {
  try {
    return loadBundle(fileURLToPath(new URL('./yaml-bundle.cjs', import.meta.url))).exports as typeof Yaml;
  } catch {
    return createRequire(import.meta.url)('yaml') as typeof Yaml;
  }
}

const lib = load();

export const { parse, parseDocument, stringify, LineCounter, Parser, Scalar, isAlias, isMap, isPair, isScalar, isSeq } =
  lib;
export type LineCounter = Yaml.LineCounter;
export type Scalar = Yaml.Scalar;
export type { Alias, Document, Node, YAMLError } from 'yaml';
