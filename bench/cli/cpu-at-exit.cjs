// Preloaded (`node -r`) into every process the CLI start-up bench times, `node -e 0` included:
// appends the process's own CPU time (user + system, microsecond resolution, from
// process.cpuUsage()) at exit to the file named by CF_BENCH_CPU_OUT. Costs every target the same
// one small CommonJS load (CommonJS: an ES module preload would start
// the ES module loader early in `node -e 0` and change the floor).
'use strict';
const out = process.env.CF_BENCH_CPU_OUT;
if (out) {
  process.on('exit', () => {
    const u = process.cpuUsage();
    // eslint-disable-next-line no-undef, @typescript-eslint/no-require-imports -- CommonJS on purpose (see above)
    require('node:fs').appendFileSync(out, `${(u.user + u.system) / 1000}\n`);
  });
}
