// JSON pointers (RFC 6901) as the one way the config front end names a place in a document:
// spans, schema errors and semantic checks all speak pointers. Pure string helpers only.

export function escapeSegment(seg: string | number): string {
  return String(seg).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapeSegment(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function joinPointer(base: string, ...segs: (string | number)[]): string {
  return base + segs.map((s) => `/${escapeSegment(s)}`).join('');
}

export function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map(unescapeSegment);
}

export function parentPointer(pointer: string): string {
  const i = pointer.lastIndexOf('/');
  return i <= 0 ? '' : pointer.slice(0, i);
}

/** Human path for messages: `/runtimes/2/scale/min` → `runtimes[2].scale.min`. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const seg of splitPointer(pointer)) {
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out || '(top level)';
}

/** Reads the value at a pointer, or undefined. */
export function getAt(root: unknown, pointer: string): unknown {
  let cur: unknown = root;
  for (const seg of splitPointer(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
