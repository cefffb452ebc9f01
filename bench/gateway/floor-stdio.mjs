// The floor for the gateway bench's stdio section: the least a Node HTTP front for a stdio MCP
// server adds on loopback. node:http in; one child on stdio out; each POSTed JSON-RPC message
// written as one line, and each line the child writes answered to the request whose id it
// carries (one JSON.parse per line to read the id, nothing else). No MCP handling, no session
// per client, no auth: one client at a time, which is all the bench needs. COMMAND is the child's
// argv as JSON; prints its own base URL once listening.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';

const [command, ...args] = JSON.parse(process.env.COMMAND);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
/** Open requests by JSON-RPC id (the bench's client never reuses an id while it is open). */
const open = new Map();
let pending = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    let id;
    try {
      id = JSON.parse(line).id;
    } catch {
      continue;
    }
    const res = open.get(id);
    if (!res) continue; // A notification or a server-to-client request: nobody asked.
    open.delete(id);
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'floor' });
    res.end(line);
  }
});

const server = createServer((req, res) => {
  if (req.method === 'DELETE') return void res.writeHead(200).end();
  if (req.method !== 'POST') return void res.writeHead(405).end();
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => {
    const body = Buffer.concat(parts).toString('utf8');
    let id;
    try {
      id = JSON.parse(body).id;
    } catch {
      return void res.writeHead(400).end();
    }
    if (id === undefined) res.writeHead(202).end();
    else open.set(id, res);
    child.stdin.write(`${body}\n`);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
const stop = () => {
  child.kill();
  server.close();
  server.closeAllConnections();
};
process.stdin.on('end', stop);
process.stdin.resume();
