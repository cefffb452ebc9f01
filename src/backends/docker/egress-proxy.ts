// The program run by a runtime's edge sidecar: TCP port forwarders (so a server on an internal,
// unroutable network is still reachable on a published 127.0.0.1 port) and an allow-listing
// HTTP/CONNECT egress proxy for `allowed_hosts`. Plain JavaScript for the sidecar's node; it
// never logs request paths, headers or bodies (they may carry tokens), only host:port decisions.

/** Host pattern match: `*` = any, `*.example.com` = any subdomain (not the apex), else exact. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((raw) => {
    const p = raw.toLowerCase().trim();
    if (p === '*') return true;
    if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
    return h === p;
  });
}

/**
 * Source of the sidecar program. hostAllowed above is repeated inside it (as text) because the
 * sidecar runs only this file; test/backends/docker checks both against the same cases.
 * Configuration comes from env: CF_FORWARD (JSON [{listen, host, port}]), CF_PROXY_PORT and
 * CF_ALLOWED_HOSTS (JSON array of patterns).
 */
export const EDGE_PROGRAM = String.raw`'use strict';
const net = require('node:net');
const http = require('node:http');

const forwards = JSON.parse(process.env.CF_FORWARD || '[]');
const proxyPort = Number(process.env.CF_PROXY_PORT || 0);
const allowed = JSON.parse(process.env.CF_ALLOWED_HOSTS || '[]');

function log(msg) { process.stdout.write(new Date().toISOString() + ' ' + msg + '\n'); }

function hostAllowed(host, patterns) {
  const h = String(host).toLowerCase().replace(/\.$/, '');
  return patterns.some((raw) => {
    const p = String(raw).toLowerCase().trim();
    if (p === '*') return true;
    if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
    return h === p;
  });
}

function pipeBoth(a, b) {
  a.pipe(b); b.pipe(a);
  const end = () => { a.destroy(); b.destroy(); };
  a.on('error', end); b.on('error', end); a.on('close', end); b.on('close', end);
}

for (const f of forwards) {
  net.createServer((client) => {
    const upstream = net.connect({ host: f.host, port: f.port });
    pipeBoth(client, upstream);
  }).listen(f.listen, '0.0.0.0', () => log('forwarding :' + f.listen + ' -> ' + f.host + ':' + f.port));
}

function splitHostPort(s, defPort) {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(s || '');
  return m ? { host: m[1], port: Number(m[2] || defPort) } : null;
}

if (proxyPort) {
  const server = http.createServer((req, res) => {
    let target;
    try { target = new URL(req.url); } catch { target = null; }
    if (!target || target.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('contextforge egress proxy: only absolute http:// URLs and CONNECT are proxied\n');
      return;
    }
    if (!hostAllowed(target.hostname, allowed)) {
      log('deny http ' + target.hostname);
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('contextforge egress proxy: host ' + target.hostname + ' is not in allowed_hosts\n');
      return;
    }
    log('allow http ' + target.hostname + ':' + (target.port || 80));
    const headers = Object.assign({}, req.headers);
    delete headers['proxy-connection']; delete headers['proxy-authorization'];
    const up = http.request({ host: target.hostname, port: target.port || 80, method: req.method,
      path: target.pathname + target.search, headers }, (ur) => {
      res.writeHead(ur.statusCode || 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  server.on('connect', (req, socket, head) => {
    const t = splitHostPort(req.url, 443);
    if (!t || !hostAllowed(t.host, allowed)) {
      log('deny connect ' + (t ? t.host : '?'));
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\ncontextforge egress proxy: host ' +
        (t ? t.host : '?') + ' is not in allowed_hosts\n');
      return;
    }
    log('allow connect ' + t.host + ':' + t.port);
    const up = net.connect({ host: t.host, port: t.port }, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head && head.length) up.write(head);
      pipeBoth(socket, up);
    });
    up.on('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
  });
  server.listen(proxyPort, '0.0.0.0', () => log('egress proxy on :' + proxyPort + ' allowing ' + JSON.stringify(allowed)));
}

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
`;
