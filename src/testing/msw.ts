/**
 * The reference server as MSW request handlers, for apps whose tests (or dev builds)
 * already mock the network with Mock Service Worker. The caller passes msw's `http`, so
 * this entry never loads msw itself: users who do not use MSW need not install it, and
 * the handlers come from the caller's own msw instance.
 */
import { LOST } from './exchange.js';
import { exchangeOf, type ReferenceServer } from './server.js';

/**
 * The part of msw's `http` namespace the adapter uses: `http.all(path, resolver)`.
 * msw 2's `http` fits it; `Handler` is then msw's `HttpHandler`.
 */
export interface MswHttp<Handler> {
  /** Handles every method on `path`. */
  all(path: string, resolver: (info: { request: Request }) => Promise<Response>): Handler;
}

/** Options of {@link referenceHandlers}. */
export interface ReferenceHandlersOptions<Handler> {
  /** `http` from `msw`. */
  http: MswHttp<Handler>;
  /**
   * The API origin to answer, the store's `baseUrl` (for example `https://api.test`):
   * every path under it reaches the server (unknown ones answer 404). Default: the
   * `/v1/conversations` paths on any origin.
   */
  baseUrl?: string;
}

/**
 * MSW 2 request handlers that answer through `server`, faults included: a lost reply or
 * `faults.offline` is a network error (`Response.error()`), so fetch rejects as it
 * does without a network.
 *
 * ```ts
 * import { http } from 'msw';
 * import { setupServer } from 'msw/node';
 * const mock = setupServer(...referenceHandlers(server, { http, baseUrl: 'https://api.test' }));
 * ```
 */
export function referenceHandlers<Handler>(
  server: ReferenceServer,
  options: ReferenceHandlersOptions<Handler>,
): Handler[] {
  const exchange = exchangeOf(server);
  const resolve = async ({ request }: { request: Request }): Promise<Response> => {
    const result = await exchange(request);
    return result === LOST ? Response.error() : result;
  };
  if (options.baseUrl !== undefined) {
    const origin = options.baseUrl.replace(/\/+$/, '');
    return [options.http.all(`${origin}/*`, resolve)];
  }
  return [
    options.http.all('*/v1/conversations', resolve),
    options.http.all('*/v1/conversations/*', resolve),
  ];
}
