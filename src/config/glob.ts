// A tiny file glob for include patterns (`catalog/*.yaml`, `more/**/*.yml`, `x/?.yaml`):
// `*` and `?` within one path segment, `**` for any number of directories. Results are
// absolute, sorted, and files only. Brace sets and character classes are deliberately absent.
// `**` never descends through symbolic links, and one glob looks at a bounded number of entries.

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

/** Directory entries one glob may look at; past it the result is marked truncated. */
export const MAX_GLOB_ENTRIES = 50_000;

function listDir(dir: string): { name: string; dir: boolean; link: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((d) => {
      let isDir = d.isDirectory();
      const link = d.isSymbolicLink();
      if (link) {
        try {
          isDir = statSync(join(dir, d.name)).isDirectory();
        } catch {
          isDir = false;
        }
      }
      return { name: d.name, dir: isDir, link };
    });
  } catch {
    return [];
  }
}

function split(pattern: string, baseDir: string): { segs: string[]; fixed: number; root: string } {
  const abs = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
  const segs = resolve(abs).split(sep === '\\' ? /[\\/]/ : '/');
  // Everything before the first segment with a wildcard is a fixed directory.
  let fixed = 0;
  while (fixed < segs.length && !hasMagic(segs[fixed])) fixed++;
  return { segs, fixed, root: segs.slice(0, fixed).join('/') || '/' };
}

/**
 * The directory a pattern starts its search in (the part before its first wildcard, `..`
 * resolved), or the file itself for a pattern without wildcards.
 */
export function globRoot(pattern: string, baseDir: string): string {
  return split(pattern, baseDir).root;
}

export interface GlobResult {
  files: string[];
  /** True when MAX_GLOB_ENTRIES entries were looked at before the search ended. */
  truncated: boolean;
}

/** Files matching `pattern` relative to `baseDir` (absolute patterns are used as given). */
export function glob(pattern: string, baseDir: string, maxEntries = MAX_GLOB_ENTRIES): GlobResult {
  const { segs, fixed, root } = split(pattern, baseDir);
  if (fixed === segs.length) {
    try {
      return { files: statSync(root).isFile() ? [root] : [], truncated: false };
    } catch {
      return { files: [], truncated: false };
    }
  }
  const out = new Set<string>();
  let seen = 0;
  const list = (dir: string): ReturnType<typeof listDir> => {
    if (seen >= maxEntries) return [];
    const entries = listDir(dir).slice(0, maxEntries - seen);
    seen += entries.length;
    return entries;
  };
  const step = (dir: string, i: number): void => {
    const seg = segs[i];
    const last = i === segs.length - 1;
    if (seg === '**') {
      // Zero directories, then each subdirectory (skipping dot-directories and node_modules).
      if (!last) step(dir, i + 1);
      for (const e of list(dir)) {
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        // Following links here could loop (a link to `.`) or leave the tree.
        if (e.dir && !e.link) step(join(dir, e.name), i);
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
    for (const e of list(dir)) {
      if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
      if (!re.test(e.name)) continue;
      if (last && !e.dir) out.add(join(dir, e.name));
      else if (!last && e.dir) step(join(dir, e.name), i + 1);
    }
  };
  step(root, fixed);
  return { files: [...out].sort(), truncated: seen >= maxEntries };
}
