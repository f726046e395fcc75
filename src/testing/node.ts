/**
 * protocol-offline/testing/node: the reference server on a real port (`node:http`), for
 * examples, demos, tests that want a genuine network stack, and web apps on another
 * origin (with `cors`). A lost reply destroys the connection, which is what a client
 * sees when a server or proxy dies after applying a write.
 *
 * @packageDocumentation
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  allowedOrigin,
  type CorsOption,
  isPreflight,
  originHeaders,
  preflightResponse,
} from './cors.js';
import { errorResponse } from './errors.js';
import { type Exchange, LOST } from './exchange.js';
import { exchangeOf, type ReferenceServer } from './server.js';

export type { CorsOption } from './cors.js';

/** Options of {@link listen}. */
export interface ListenOptions {
  /** The port (default 0: a free one). */
  port?: number;
  /** The interface (default `127.0.0.1`). */
  hostname?: string;
  /**
   * Answer CORS preflights and allow cross-origin reads: `true` for any origin, or
   * `{ origin }` for one (default: off, as for a same-origin or Node client).
   */
  cors?: CorsOption;
}

/** A running HTTP server: its origin (`http://127.0.0.1:PORT`), port, and `close()`. */
export interface ListeningServer {
  /** The origin, `http://127.0.0.1:PORT`: pass it as the store's `baseUrl`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Serves `server` (from `createReferenceServer`) over HTTP on `hostname:port`. */
export async function listen(
  server: ReferenceServer,
  options: ListenOptions = {},
): Promise<ListeningServer> {
  const exchange = exchangeOf(server);
  const origin = allowedOrigin(options.cors);
  const hostname = options.hostname ?? '127.0.0.1';
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  let base = `http://${host}`;

  const http = createServer((incoming, outgoing) => {
    answer(incoming, outgoing).catch(() => outgoing.destroy());
  });
  const answer = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const request = await toRequest(incoming, base);
    // A preflight is the gateway's business: no token, not recorded, but gone when offline.
    const result =
      origin !== null && isPreflight(request)
        ? server.faults.offline
          ? LOST
          : preflightResponse(origin)
        : await exchangeSafely(exchange, request);
    if (result === LOST) {
      // The write (if any) is applied; the client must see a dead connection, not an answer.
      incoming.socket.destroy();
      return;
    }
    const headers = Object.fromEntries(result.headers);
    outgoing.writeHead(
      result.status,
      origin === null ? headers : { ...headers, ...originHeaders(origin) },
    );
    outgoing.end(Buffer.from(await result.arrayBuffer()));
  };

  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, hostname, () => {
      http.off('error', reject);
      const { port } = http.address() as AddressInfo;
      base = `http://${host}:${port}`;
      resolve({
        url: base,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            // Keep-alive connections would hold close() open until they time out.
            http.closeAllConnections();
            http.close((error) => (error ? fail(error) : done()));
          }),
      });
    });
  });
}

async function exchangeSafely(exchange: Exchange, request: Request) {
  try {
    return await exchange(request);
  } catch {
    return errorResponse(500, 'Internal error');
  }
}

/** The whole body is read first: the API's bodies are small (413 above 1 MB). */
async function toRequest(incoming: IncomingMessage, base: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2)
    headers.append(raw[i] as string, raw[i + 1] as string);
  const method = incoming.method ?? 'GET';
  const hasBody = chunks.length > 0 && method !== 'GET' && method !== 'HEAD';
  return new Request(new URL(incoming.url ?? '/', base), {
    method,
    headers,
    ...(hasBody && { body: Buffer.concat(chunks) }),
  });
}
