#!/usr/bin/env node
// Entry point of the `contextforge` command: runs the compiled CLI from dist/.
// On Node >= 22.1, Node's own compile cache (module.enableCompileCache) keeps the compiled code
// of every module between runs; it must be on before the CLI's modules load, hence the dynamic
// import. Node 20 has no such cache: there the build's code caches of its bundles are what
// start-up reuses (src/vendor/code-cache.ts).
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
