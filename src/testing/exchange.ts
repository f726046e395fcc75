/**
 * One request's way through the reference server, around the API's routes: faults
 * (offline, latency, injected statuses, lost replies, malformed lists), Idempotency-Key
 * replay, and the record of what was received. Every transport (in-process fetch, MSW,
 * real HTTP) goes through here, so they behave the same.
 */
import { clock } from '../platform/clock.js';
import { errorResponse } from './errors.js';
import type { FaultState } from './faults.js';
import { fingerprintOf, type IdempotencyCache } from './idempotency.js';
import { parseBody } from './input.js';
import { malformListBody } from './malform.js';
import type { Routes } from './routes.js';

/** One request as the server saw it. The bearer token is never recorded. */
export interface RecordedRequest {
  /** `GET`, `POST`, `PUT` or `DELETE`. */
  method: string;
  /** The path, for example `/v1/conversations/conv_1`. */
  path: string;
  /** The query parameters. */
  query: Record<string, string>;
  /** Lower-cased header names and their values, without `authorization`. */
  headers: Record<string, string>;
  /** Whether it carried the accepted bearer token (the token itself is not kept). */
  authorized: boolean;
  /** The parsed body (JSON or form); the raw text when it did not parse; `undefined` when empty. */
  body: unknown;
  /** The `Idempotency-Key` header, when sent. */
  idempotencyKey: string | undefined;
  /** The status answered (also when the reply was then lost). */
  status: number;
  /** True when the answer was an Idempotency-Key replay. */
  replayed: boolean;
  /** True when the reply was dropped by `faults.loseNextReply`. */
  lost: boolean;
}

/** The answer is dropped: the client sees a network failure, not a response. */
export const LOST: unique symbol = Symbol('lost');

/** One request in, an answer or {@link LOST} out: what every transport calls. */
export type Exchange = (request: Request) => Promise<Response | typeof LOST>;

/** What the exchange needs from the server. */
export interface ExchangeContext {
  routes: Routes;
  faults: FaultState;
  idempotency: IdempotencyCache;
  requests: RecordedRequest[];
  isAuthorized: (authorization: string | undefined) => boolean;
  random: () => number;
}

const WRITES = ['POST', 'PUT', 'DELETE'];
const COLLECTION = '/v1/conversations';

/** A list answer's ids and `has_more`, for `faults.onList` hooks run after the page. */
function pageOf(body: string): { ids: string[]; has_more: boolean } | null {
  try {
    const page = JSON.parse(body) as { has_more: boolean; data: { id: string }[] };
    return { ids: page.data.map((row) => row.id), has_more: page.has_more };
  } catch {
    return null;
  }
}

/** Runs list hooks; a hook that throws turns into a 500 answer (null: they all passed). */
async function hooksFailed(run: () => Promise<void>): Promise<Response | null> {
  try {
    await run();
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return errorResponse(500, `A faults.onList hook failed: ${reason}`);
  }
}

/** Creates the handler both transports call with each request. */
export function createExchange(context: ExchangeContext): Exchange {
  const { routes, faults, idempotency, requests, isAuthorized, random } = context;

  return async (request) => {
    // Offline requests never reach the server: they are not recorded.
    if (faults.offline) return LOST;
    if (faults.latencyMs > 0) {
      await new Promise<void>((resolve) => clock().setTimeout(resolve, faults.latencyMs));
    }
    if (faults.offline) return LOST;

    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const text = method === 'GET' || method === 'HEAD' ? '' : await request.text();
    const authorized = isAuthorized(request.headers.get('authorization') ?? undefined);
    const idempotencyKey = request.headers.get('idempotency-key') ?? undefined;
    const record = recordOf(request, url, text, authorized, idempotencyKey);
    requests.push(record);
    const answer = (status: number, response: Response | typeof LOST) => {
      record.status = status;
      record.lost = response === LOST;
      return response;
    };

    const failure = faults.takeFailure(method);
    if (failure !== null) {
      const headers: Record<string, string> =
        failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) };
      const message = failure.message ?? `Injected failure (${failure.status})`;
      return answer(
        failure.status,
        errorResponse(failure.status, message, { headers, type: failure.type }),
      );
    }
    if (faults.errorRate > 0 && random() < faults.errorRate) {
      return answer(500, errorResponse(500, 'Injected random failure'));
    }

    // Only authorized writes are remembered: a 401 must not answer a later, valid retry.
    const remembered = WRITES.includes(method) && authorized ? idempotencyKey : undefined;
    const fingerprint = fingerprintOf(method, url.pathname, text);
    if (remembered !== undefined) {
      const found = idempotency.lookup(remembered, fingerprint);
      if (found.kind === 'mismatch') {
        const message = 'This Idempotency-Key was already used with a different request';
        return answer(422, errorResponse(422, message));
      }
      if (found.kind === 'replay') {
        record.replayed = true;
        if (faults.takeLostReply(method)) return answer(found.status, LOST);
        const headers = { 'content-type': 'application/json', 'idempotent-replayed': 'true' };
        return answer(found.status, new Response(found.body, { status: found.status, headers }));
      }
    }

    // A list request may meet a table that moves (faults.onList), before and after its page.
    const listing = method === 'GET' && url.pathname === COLLECTION && authorized;
    const query = listing ? Object.fromEntries(url.searchParams) : {};
    if (listing && faults.hasListHooks('before')) {
      const failed = await hooksFailed(() => faults.runListHooks('before', query));
      if (failed !== null) return answer(500, failed);
    }
    const response = await routes(
      new Request(url, { method, headers: request.headers, ...(text !== '' && { body: text }) }),
    );
    let body = await response.text();
    if (listing && faults.hasListHooks('after')) {
      const page = response.status === 200 ? pageOf(body) : null;
      const failed = await hooksFailed(() =>
        faults.runListHooks('after', query, { status: response.status, page }),
      );
      if (failed !== null) return answer(500, failed);
    }
    if (remembered !== undefined) {
      idempotency.remember(remembered, fingerprint, response.status, body);
    }
    if (faults.takeLostReply(method)) return answer(response.status, LOST);
    if (method === 'GET' && url.pathname === COLLECTION && response.ok) {
      const broken = faults.takeMalformed();
      if (broken !== null) body = malformListBody(body, broken);
    }
    return answer(
      response.status,
      new Response(body, { status: response.status, headers: response.headers }),
    );
  };
}

function recordOf(
  request: Request,
  url: URL,
  text: string,
  authorized: boolean,
  idempotencyKey: string | undefined,
): RecordedRequest {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (name !== 'authorization') headers[name] = value;
  });
  let body: unknown;
  try {
    body = text === '' ? undefined : parseBody(text, headers['content-type'] ?? '');
  } catch {
    body = text;
  }
  return {
    method: request.method.toUpperCase(),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    authorized,
    body,
    idempotencyKey,
    status: 0,
    replayed: false,
    lost: false,
  };
}
