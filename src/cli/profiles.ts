// `contextforge profiles list|show|check`: the guardrail profiles available to a config (the
// shipped presets without one), and what a profile becomes on a backend: which controls are
// enforced there and which are dropped (the same table validate warns from).

import type { CAC } from 'cac';
import { relative } from 'node:path';
import { stringify } from '../vendor/yaml.js';
import type { ResolvedProfile } from '../config/index.js';
import { BACKEND_TYPES, definitionOf, profileCheck } from '../config/index.js';
import { didYouMean } from '../diag/suggest.js';
import type { BackendType } from '../generated/config.js';
import { openLibrary, out, table } from './library-view.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

interface ProfileFlags {
  file?: string;
  backend?: string;
  json?: boolean;
  strict?: boolean;
}

const TYPES = BACKEND_TYPES;

function findProfile(name: string | undefined, profiles: Record<string, ResolvedProfile>): ResolvedProfile | undefined {
  if (!name) {
    process.stderr.write('error: missing profile name\n  = help: see `contextforge profiles list`\n');
    return undefined;
  }
  const p = profiles[name];
  if (!p) {
    const s = didYouMean(name, Object.keys(profiles));
    process.stderr.write(
      `error: unknown profile "${name}"\n${s ? `  = help: did you mean "${s}"?\n` : ''}  = help: known profiles: ${Object.keys(profiles).join(', ')}\n`,
    );
  }
  return p;
}

function runList(f: ProfileFlags): number {
  const lib = openLibrary(f.file);
  if (!lib) return 1;
  const list = Object.values(lib.profiles).sort((a, b) => a.name.localeCompare(b.name));
  if (f.json) {
    out(
      `${JSON.stringify(
        list.map((p) => ({ ...definitionOf(p), name: p.name, builtin: p.builtin })),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const rows = [['NAME', 'ORIGIN', 'RECOMMENDED', 'DESCRIPTION']];
  for (const p of list)
    rows.push([
      p.name,
      p.builtin ? 'shipped' : relative(process.cwd(), p.origin.file) || p.origin.file,
      (p.recommended_backends ?? []).join(',') || '-',
      p.description ?? '',
    ]);
  out(table(rows));
  return 0;
}

function runShow(name: string | undefined, f: ProfileFlags): number {
  const lib = openLibrary(f.file);
  if (!lib) return 1;
  const p = findProfile(name, lib.profiles);
  if (!p) return 1;
  if (f.json) {
    out(`${JSON.stringify({ ...definitionOf(p), name: p.name }, null, 2)}\n`);
    return 0;
  }
  out(
    `# ${p.name}, ${p.builtin ? 'shipped with contextforge' : `from ${relative(process.cwd(), p.origin.file) || p.origin.file}`}\n`,
  );
  out(stringify({ ...definitionOf(p), name: p.name }));
  return 0;
}

function runCheck(name: string | undefined, f: ProfileFlags): number {
  if (!f.backend) {
    process.stderr.write(
      `error: missing --backend\n  = help: contextforge profiles check <name> --backend <${TYPES.join('|')}>\n`,
    );
    return 1;
  }
  const lib = openLibrary(f.file);
  if (!lib) return 1;
  const p = findProfile(name, lib.profiles);
  if (!p) return 1;
  const type = f.backend as BackendType;
  if (!TYPES.includes(type)) {
    const s = didYouMean(f.backend, TYPES);
    process.stderr.write(
      `error: unknown backend type "${f.backend}"\n${s ? `  = help: did you mean "${s}"?\n` : ''}  = help: use one of: ${TYPES.join(', ')}\n`,
    );
    return 1;
  }
  const check = profileCheck(p, type);
  if (f.json) {
    const { lossy: _lossy, ...json } = check;
    out(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    out(`Profile "${p.name}" on ${type}:\n\n`);
    const rows = [['CONTROL', 'SETTING', 'STATUS', 'NOTE']];
    for (const s of check.controls) {
      if (!s.set) continue;
      rows.push([
        s.label,
        s.value.replace(/^[a-z_]+: /, ''),
        s.enforced ? 'enforced' : 'NOT ENFORCEABLE',
        s.enforced ? s.note.replace(/^enforced ?/, '') : s.note,
      ]);
    }
    out(table(rows));
    out('\n');
    if (check.notEnforceable.length) {
      out(`Not enforceable on ${type}: ${check.notEnforceable.join(', ')}\n`);
      if (check.lossy.length)
        out(`validate warns about: ${check.lossy.join(', ')}${p.strict ? ' (errors: the profile is strict)' : ''}\n`);
    } else {
      out(`Every control of "${p.name}" is enforced on ${type}.\n`);
    }
    if (check.cpuMemoryPair) out(`Note: ${check.cpuMemoryPair}\n`);
  }
  return (f.strict || p.strict) && check.lossy.length > 0 ? 1 : 0;
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'profiles')
    .option(
      '-f, --file <file>',
      'Config whose profiles to use (default: ./contextforge.yaml if present, else the shipped presets)',
    )
    .option('--backend <type>', `check: backend type (${TYPES.join(', ')})`)
    .option('--strict', 'check: exit 1 when a control the profile asks for is not enforceable')
    .option('--json', 'Print JSON')
    .example('contextforge profiles list')
    .example('contextforge profiles check restricted --backend ibm_code_engine')
    .action((action: string | undefined, name: string | undefined, flags: ProfileFlags) => {
      const a = action ?? 'list';
      if (a === 'list') return setExit(runList(flags));
      if (a === 'show') return setExit(runShow(name, flags));
      if (a === 'check') return setExit(runCheck(name, flags));
      process.stderr.write(
        `error: unknown profiles action "${a}"\n  = help: use \`profiles list\`, \`profiles show <name>\` or \`profiles check <name> --backend <type>\`\n`,
      );
      setExit(1);
    });
};
