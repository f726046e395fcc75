/**
 * The API layer (`src/api/`): the HTTP client of the Conversations API (this file) and
 * the reading of its replies (reply.ts). It knows the server, never the database.
 *
 * The HTTP client of the Conversations API (ky): endpoints, the bearer header, the
 * Idempotency-Key, and the mapping of every failure onto the store's error classes.
 * ky's own retries are off: the sync engine owns retry policy (sync/backoff.ts).
 */
import ky, { type KyInstance } from 'ky';
import type {
  ConversationPatch,
  CreateConversationInput,
  ListParams,
} from '../model/conversation.js';
import { AuthError, type FailedRequest, NetworkError } from '../model/errors.js';
import type { RequestEvent } from '../model/events.js';
import { clock } from '../platform/clock.js';
import { type ApiReply, type RawReply, readReply } from './reply.js';

export type { ApiReply } from './reply.js';

/** Returns the bearer token for the next request (option `getToken`). */
export type TokenProvider = () => string | Promise<string>;
/** A `fetch` implementation (option `fetch`); bound `window.fetch` by default. */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export interface ApiOptions {
  baseUrl: string;
  getToken: TokenProvider;
  fetch?: FetchFunction | undefined;
  timeoutMs: number;
  /** Bodies longer than this are refused as malformed (counted in UTF-16 code units of the decoded text, which is read whole first). */
  maxBodyBytes?: number;
  /** Told of every request that left: method, path, status or failure, time, attempt. */
  onRequest?: ((event: RequestEvent) => void) | undefined;
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;

type Method = 'get' | 'post' | 'put' | 'delete';

/** One request's parts, besides its method and path. */
interface RequestOptions {
  json?: unknown;
  searchParams?: Record<string, string | number>;
  idempotencyKey?: string;
  /** The outbox entry's attempt (1 for a first try, and for reads). */
  attempt?: number;
}

/** The failures of requests that never left this client (no token, or closed before). */
const unsent = new WeakSet<Error>();

/** Whether `error` failed a request before it left: the server cannot have applied it. */
export const neverSent = (error: unknown): boolean => error instanceof Error && unsent.has(error);

function notSent<T extends Error>(error: T): T {
  unsent.add(error);
  return error;
}

export class ConversationsApi {
  readonly #ky: KyInstance;
  readonly #getToken: TokenProvider;
  readonly #maxBodyBytes: number;
  readonly #prefixUrl: string;
  readonly #timeoutMs: number;
  readonly #onRequest: ((event: RequestEvent) => void) | undefined;
  /** Aborted by {@link ConversationsApi.abort}: every wait of this client ends at once. */
  readonly #closing = new AbortController();
  /** The latest token refresh, shared by the requests that were sent before it. */
  #refreshing: Promise<string> | null = null;
  /** Counts refreshes; a request remembers the count it was sent under. */
  #generation = 0;

  constructor(options: ApiOptions) {
    const fetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#getToken = options.getToken;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.#prefixUrl = `${options.baseUrl.replace(/\/+$/, '')}/v1`;
    this.#timeoutMs = options.timeoutMs;
    this.#onRequest = options.onRequest;
    this.#ky = ky.create({
      prefixUrl: this.#prefixUrl,
      retry: 0,
      throwHttpErrors: false,
      // Our own timer (#bounded) instead: it goes through clock(), covers the body too, and
      // also ends a fetch that ignores its signal.
      timeout: false,
      // ky calls `fetch` as a method of its options; a wrapper keeps `window.fetch` bound.
      fetch: (input, init) => fetchFunction(input, init),
    });
  }

  /** `GET /v1/conversations` with the list parameters that are set. */
  list(params: ListParams): Promise<ApiReply> {
    const searchParams: Record<string, string | number> = {};
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined)
        searchParams[key] = typeof value === 'boolean' ? String(value) : value;
    }
    return this.#send('get', 'conversations', { searchParams });
  }

  retrieve(id: string): Promise<ApiReply> {
    return this.#send('get', `conversations/${encodeURIComponent(id)}`, {});
  }

  create(body: CreateConversationInput, idempotencyKey: string, attempt = 1): Promise<ApiReply> {
    return this.#send('post', 'conversations', { json: body, idempotencyKey, attempt });
  }

  update(
    id: string,
    patch: ConversationPatch,
    idempotencyKey: string,
    attempt = 1,
  ): Promise<ApiReply> {
    const path = `conversations/${encodeURIComponent(id)}`;
    return this.#send('put', path, { json: patch, idempotencyKey, attempt });
  }

  delete(id: string, idempotencyKey: string, attempt = 1): Promise<ApiReply> {
    const path = `conversations/${encodeURIComponent(id)}`;
    return this.#send('delete', path, { idempotencyKey, attempt });
  }

  /** Ends every request in flight at once and fails later ones unsent (the store closes). */
  abort(): void {
    this.#closing.abort();
  }

  async #send(method: Method, path: string, options: RequestOptions): Promise<ApiReply> {
    const request = this.#describe(method, path, options);
    const generation = this.#generation;
    let token = await this.#token(() => this.#getToken(), request);
    const attempt = options.attempt ?? 1;
    let reply = await this.#request(method, path, options, token, request, attempt);
    if (reply.response.status === 401) {
      token = await this.#token(() => this.#refreshToken(generation), request);
      reply = await this.#request(method, path, options, token, request, attempt + 1);
      if (reply.response.status === 401) {
        throw new AuthError(
          `The API refused the bearer token (401), also after a refresh: ${request.method} ${request.url}`,
          { request },
        );
      }
    }
    return readReply(reply, request, this.#maxBodyBytes);
  }

  /** Names a request for errors: method and URL, never a header. */
  #describe(method: Method, path: string, options: RequestOptions): FailedRequest {
    const query =
      options.searchParams === undefined
        ? ''
        : `?${new URLSearchParams(
            Object.entries(options.searchParams).map(([key, value]) => [key, String(value)]),
          )}`;
    return { method: method.toUpperCase(), url: `${this.#prefixUrl}/${path}${query}` };
  }

  /**
   * Runs `work` for at most the request timeout and never past {@link abort}: then its
   * signal aborts and the wait ends at once, even if `work` ignores the signal.
   */
  async #bounded<T>(
    what: string,
    request: FailedRequest,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const closing = this.#closing.signal;
    if (closing.aborted) {
      throw notSent(new NetworkError(`${what} was not started: the store closed`, { request }));
    }
    const controller = new AbortController();
    let fail: (error: Error) => void = () => {};
    const failed = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    const end = (error: NetworkError) => {
      fail(error);
      controller.abort(error);
    };
    const onClose = () =>
      end(new NetworkError(`${what} was aborted: the store closed`, { request }));
    const timer = clock().setTimeout(() => {
      const message = `${what} timed out after ${this.#timeoutMs} ms`;
      end(new NetworkError(message, { timeout: true, request }));
    }, this.#timeoutMs);
    closing.addEventListener('abort', onClose, { once: true });
    try {
      return await Promise.race([work(controller.signal), failed]);
    } finally {
      clock().clearTimeout(timer);
      closing.removeEventListener('abort', onClose);
    }
  }

  /**
   * The token for one request; every failure here is unsent. A failing `getToken` is an
   * authentication failure (its message is not repeated). One that does not answer within
   * the request timeout is a NetworkError: most often the token endpoint is unreachable,
   * which is transient and retried with backoff like any unanswered request, where an
   * AuthError would pause sync until the app restarted it.
   */
  async #token(get: () => string | Promise<string>, request: FailedRequest): Promise<string> {
    let token: unknown;
    try {
      token = await this.#bounded('getToken', request, async () => get());
    } catch (error) {
      if (error instanceof NetworkError) throw notSent(error);
      throw notSent(new AuthError('getToken failed', { cause: error, request }));
    }
    if (typeof token !== 'string' || token === '') {
      throw notSent(new AuthError('getToken did not return a non-empty string', { request }));
    }
    return token;
  }

  /**
   * Asks `getToken` again after a 401. Requests that hit 401 together share one call;
   * a request whose 401 answered a token older than the last refresh reuses that refresh.
   */
  #refreshToken(generation: number): Promise<string> {
    if (this.#refreshing !== null && generation < this.#generation) return this.#refreshing;
    this.#generation += 1;
    this.#refreshing = Promise.resolve().then(() => this.#getToken());
    return this.#refreshing;
  }

  async #request(
    method: Method,
    path: string,
    options: RequestOptions,
    token: string,
    request: FailedRequest,
    attempt: number,
  ): Promise<RawReply> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
    };
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    const name = `${request.method} ${request.url}`;
    const started = clock().monotonic();
    const told = (status: number | null, error?: unknown) => {
      if (this.#onRequest === undefined) return;
      const url = new URL(request.url);
      const failure =
        status !== null ? null : this.#closing.signal.aborted ? 'aborted' : timedOut(error);
      this.#onRequest({
        type: 'request',
        method: request.method,
        path: `${url.pathname}${url.search}`,
        status,
        failure,
        durationMs: Math.round(clock().monotonic() - started),
        attempt,
      });
    };
    const reply = this.#bounded(name, request, async (signal) => {
      let response: Response;
      try {
        response = await this.#ky(path, {
          method,
          headers,
          signal,
          ...(options.json === undefined ? {} : { json: options.json }),
          ...(options.searchParams === undefined ? {} : { searchParams: options.searchParams }),
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new NetworkError(`${name} failed: ${reason}`, { cause: error, request });
      }
      try {
        return { response, text: await response.text() };
      } catch (error) {
        throw new NetworkError('The connection dropped while reading the reply', {
          cause: error,
          request,
        });
      }
    });
    reply.then(
      ({ response }) => told(response.status),
      (error: unknown) => told(null, error),
    );
    return reply;
  }
}

const timedOut = (error: unknown) =>
  error instanceof NetworkError && error.timeout ? 'timeout' : 'network';
