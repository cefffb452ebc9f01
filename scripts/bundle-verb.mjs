// Bundles the compiled `validate` verb (dist/cli/validate.js and the config layer it reaches) into
// one ES module, dist/cli/validate-bundle.js, which src/cli/main.ts loads instead when it exists.
// A fresh `validate` otherwise resolves, reads, compiles and links some 55 modules of our own one
// by one; as one file it costs measurably less CPU (bench/README.md, issue 21).
//
// Module state must stay shared: a module the CLI can load outside the verb (everything reachable
// from dist/cli/main.js except the verb modules it imports lazily, e.g. config/endpoint-policy.js
// that --allow-endpoint sets up) stays a file the bundle imports, as does every module that reads
// import.meta (its URL locates package files) and every package (node_modules). So no module is
// both inside the bundle and loaded as a file in the same process; test/cli/validate-bundle
// checks that against the module graph of a real run.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Builds dist/cli/validate-bundle.js with `esbuild`; returns the dist files it inlines. */
export async function bundleValidate(esbuild, root) {
  const dist = join(root, 'dist');
  const main = join(dist, 'cli', 'main.js');
  const isVerbModule = (file) => /^export const register\b/m.test(readFileSync(file, 'utf8'));

  // Everything main.js can load on its own, verb modules excepted: these files stay shared.
  const shared = await esbuild.build({
    entryPoints: [main],
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'verbs-apart',
        setup(b) {
          b.onResolve({ filter: /^\.\// }, (a) => {
            const file = resolve(a.resolveDir, a.path);
            if (a.importer === main && a.kind === 'dynamic-import' && isVerbModule(file))
              return { path: file, external: true };
            return undefined;
          });
        },
      },
    ],
  });
  const keep = new Set(Object.keys(shared.metafile.inputs).map((p) => resolve(root, p)));

  const outfile = join(dist, 'cli', 'validate-bundle.js');
  const built = await esbuild.build({
    entryPoints: [join(dist, 'cli', 'validate.js')],
    absWorkingDir: root,
    bundle: true,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
    plugins: [
      {
        name: 'keep-shared',
        setup(b) {
          b.onResolve({ filter: /^\.\.?\// }, (a) => {
            const file = resolve(a.resolveDir, a.path);
            if (a.kind === 'entry-point') return undefined;
            if (keep.has(file) || readFileSync(file, 'utf8').includes('import.meta'))
              return { path: `./${relative(dirname(outfile), file)}`, external: true };
            return undefined;
          });
        },
      },
    ],
  });
  return Object.keys(built.metafile.inputs).map((p) => relative(root, resolve(root, p)));
}
