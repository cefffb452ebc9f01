// The floor for the gateway bench: the least a Node reverse proxy can add on loopback. node:http
// in, one undici Pool with keep-alive out, request and response bytes forwarded as they are (no
// parsing, no MCP). TARGET is the upstream URL; prints its own base URL once listening.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const target = new URL(process.env.TARGET);
const pool = new Pool(target.origin, { bodyTimeout: 0 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'proxy-connection', 'te']);
const strip = (h) => {
  const out = {};
  for (const [k, v] of Object.entries(h)) if (!HOP.has(k) && v !== undefined) out[k] = v;
  return out;
};
const server = createServer((req, res) => {
  const body = req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE' ? null : req;
  pool.request({ path: req.url, method: req.method, headers: strip(req.headers), body }).then(
    (r) => {
      res.writeHead(r.statusCode, strip(r.headers));
      r.body.on('error', () => res.destroy());
      r.body.pipe(res);
      // The client went away (a closed session's GET stream): stop reading the upstream too.
      res.once('close', () => r.body.destroyed || r.body.destroy());
    },
    (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    },
  );
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
