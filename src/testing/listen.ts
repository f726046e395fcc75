/**
 * The reference server on a real port (via @hono/node-server), for examples, demos and
 * tests that want a genuine network stack. A lost reply destroys the connection, which
 * is what a client sees when a server or proxy dies after applying a write.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { LOST } from './exchange.js';

/** A running HTTP server: its origin (`http://127.0.0.1:PORT`), port, and `close()`. */
export interface ListeningServer {
  /** The origin, `http://127.0.0.1:PORT`: pass it as the store's `baseUrl`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

interface NodeBindings {
  incoming: { socket: { destroy(): void } };
}

/** Serves `handle` on `hostname:port` (port 0: a free one). */
export function listen(
  handle: (request: Request) => Promise<Response | typeof LOST>,
  port = 0,
  hostname = '127.0.0.1',
): Promise<ListeningServer> {
  const server = createAdaptorServer({
    fetch: async (request: Request, env: NodeBindings) => {
      const result = await handle(request);
      if (result !== LOST) return result;
      env.incoming.socket.destroy();
      // Never sent: the socket is gone. The adapter just needs a Response.
      return new Response(null, { status: 500 });
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      const { port: actual } = server.address() as AddressInfo;
      const host = hostname.includes(':') ? `[${hostname}]` : hostname;
      resolve({
        url: `http://${host}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done, fail) => {
            // Keep-alive connections would hold close() open until they time out.
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close((error) => (error ? fail(error) : done()));
          }),
      });
    });
  });
}
