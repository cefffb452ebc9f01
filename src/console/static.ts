// Serves the console's web UI (/ui): three static files shipped in the package
// (src/console/ui), read once. They hold no data: the page asks for a token and calls the API
// with it, so the files need no auth, and a strict Content-Security-Policy keeps the page to
// its own origin (no CDN, works offline).

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { packagePath } from '../config/index.js';

export const UI_PREFIX = '/ui';

const FILES: Record<string, { file: string; type: string }> = {
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export async function serveUi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const f = FILES[path];
  if (!f || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...HEADERS });
    return void res.end('Not found. The console is at /ui.');
  }
  let body = cache.get(f.file);
  if (!body) {
    body = readFileSync(packagePath('src', 'console', 'ui', f.file));
    cache.set(f.file, body);
  }
  res.writeHead(200, { 'content-type': f.type, ...HEADERS });
  res.end(req.method === 'HEAD' ? undefined : body);
}
