// Preloaded with `node --import <this file>`: records every module the process loads into the
// file named by CF_LOAD_LOG, one URL or path a line. ES modules are seen through a resolve hook
// (hooks.mjs, on the loader thread); CommonJS requires through Module._resolveFilename here; the
// build's one-file bundles, which src/vendor/code-cache.ts reads and runs through vm (not
// require), through the read of their .cjs file.
import { appendFileSync } from 'node:fs';
import fs from 'node:fs';
import Module, { register, syncBuiltinESMExports } from 'node:module';

const out = process.env.CF_LOAD_LOG;
if (out) {
  register('./hooks.mjs', import.meta.url, { data: { out } });
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function recorded(...args) {
    const file = resolveFilename.apply(this, args);
    appendFileSync(out, `${file}\n`);
    return file;
  };
  const readFileSync = fs.readFileSync;
  fs.readFileSync = function recordedRead(path, ...rest) {
    const data = readFileSync.call(this, path, ...rest);
    if (typeof path === 'string' && path.endsWith('.cjs')) appendFileSync(out, `${path}\n`);
    return data;
  };
  syncBuiltinESMExports();
}
