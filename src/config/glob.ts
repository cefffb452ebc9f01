// A tiny file glob for include patterns (`catalog/*.yaml`, `more/**/*.yml`, `x/?.yaml`):
// `*` and `?` within one path segment, `**` for any number of directories. Results are
// absolute, sorted, and files only. Brace sets and character classes are deliberately absent.

import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (const c of seg) {
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const hasMagic = (seg: string): boolean => /[*?]/.test(seg);

function listDir(dir: string): { name: string; dir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((d) => {
      let isDir = d.isDirectory();
      if (d.isSymbolicLink()) {
        try {
          isDir = statSync(join(dir, d.name)).isDirectory();
        } catch {
          isDir = false;
        }
      }
      return { name: d.name, dir: isDir };
    });
  } catch {
    return [];
  }
}

/** Files matching `pattern` relative to `baseDir` (absolute patterns are used as given). */
export function glob(pattern: string, baseDir: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
  const segs = abs.split(sep === '\\' ? /[\\/]/ : '/');
  // Everything before the first segment with a wildcard is a fixed directory.
  let fixed = 0;
  while (fixed < segs.length && !hasMagic(segs[fixed])) fixed++;
  const root = segs.slice(0, fixed).join('/') || '/';
  if (fixed === segs.length) {
    try {
      return statSync(root).isFile() ? [root] : [];
    } catch {
      return [];
    }
  }
  const out = new Set<string>();
  const step = (dir: string, i: number): void => {
    const seg = segs[i];
    const last = i === segs.length - 1;
    if (seg === '**') {
      // Zero directories, then each subdirectory (skipping dot-directories and node_modules).
      if (!last) step(dir, i + 1);
      for (const e of listDir(dir)) {
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        if (e.dir) step(join(dir, e.name), i);
        else if (last) out.add(join(dir, e.name));
      }
      return;
    }
    if (!hasMagic(seg)) {
      const p = join(dir, seg);
      if (last) {
        try {
          if (statSync(p).isFile()) out.add(p);
        } catch {
          /* missing: no match */
        }
      } else step(p, i + 1);
      return;
    }
    const re = segmentRegex(seg);
    for (const e of listDir(dir)) {
      if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
      if (!re.test(e.name)) continue;
      if (last && !e.dir) out.add(join(dir, e.name));
      else if (!last && e.dir) step(join(dir, e.name), i + 1);
    }
  };
  step(root, fixed);
  return [...out].sort();
}
