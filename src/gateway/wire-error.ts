// An MCP error as the gateway sends it on: McpError's message already carries "MCP error
// <code>: ", and the receiving SDK adds that prefix again when it reads the response, so a
// relayed or gateway-made error reached clients as "MCP error -32602: MCP error -32602: ...".
// Errors leave the gateway's handlers with the bare message, their code and data.

import { McpError } from '@modelcontextprotocol/sdk/types.js';

/** The error to throw back to the peer: an McpError's bare message, code and data kept. */
export function onTheWire(e: unknown): unknown {
  if (!(e instanceof McpError)) return e;
  let message = e.message;
  const prefix = `MCP error ${e.code}: `;
  // An upstream's own doubled message is not ours to keep either.
  while (message.startsWith(prefix)) message = message.slice(prefix.length);
  return Object.assign(new Error(message), { code: e.code, data: e.data });
}

/** A request handler whose errors reach the peer through onTheWire. */
export function wireHandler<A extends unknown[], R>(
  handler: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    try {
      return await handler(...args);
    } catch (e) {
      throw onTheWire(e);
    }
  };
}
