/**
 * The reference server: a real implementation of the Conversations API (Hono routes)
 * wrapped in a transport layer that records requests, replays Idempotency-Keys and
 * injects faults. It answers in-process (`server.fetch`) or on a localhost port.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import type { Conversation } from '../model.js';
import { FaultState, type Faults, type MalformedRow } from './faults.js';
import { ConversationTable, CursorError, type ListQuery } from './table.js';

export interface ReferenceServerOptions {
  /** The accepted bearer token (default `'test-token'`). */
  token?: string;
  /** Clock in unix seconds, for `created_at` (default: the system clock). */
  now?: () => number;
  /** The initial conversations. */
  seed?: readonly Conversation[];
  /** Ids for created conversations (default: 16 random letters and digits). */
  generateId?: () => string;
  /** Randomness of `faults.errorRate` (default `Math.random`). */
  random?: () => number;
}

/** One request as the server saw it. The bearer token is never recorded. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased headers, without `authorization`. */
  headers: Record<string, string>;
  /** Whether it carried the accepted bearer token. */
  authorized: boolean;
  /** The parsed body (JSON or form), `undefined` when there was none. */
  body: unknown;
  idempotencyKey: string | undefined;
  /** The status answered (also when the reply was then lost). */
  status: number;
  /** True when the answer was an Idempotency-Key replay. */
  replayed: boolean;
  /** True when the reply was dropped by `faults.loseNextReply`. */
  lost: boolean;
}

export interface ReferenceServer {
  /** The API in-process, as a `fetch` function (any origin; routes under /v1/conversations). */
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /** Serves the API over real HTTP on `hostname:port` (port 0: a free one). */
  listen(
    port?: number,
    hostname?: string,
  ): Promise<{ url: string; port: number; close(): Promise<void> }>;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  clearRequests(): void;
  /** Every conversation, in list order (bypasses auth and faults, like the tests below). */
  all(): Conversation[];
  get(id: string): Conversation | undefined;
  /** Adds a conversation as another device would; missing fields get defaults. */
  insert(
    row: Partial<Conversation> & ({ contact_id: string } | { group_id: string }),
  ): Conversation;
  /** Changes any fields of a conversation, as another device would. */
  update(id: string, patch: Partial<Omit<Conversation, 'id'>>): Conversation;
  remove(id: string): boolean;
  /** Replaces all data and forgets every Idempotency-Key. */
  reset(rows?: readonly Conversation[]): void;
  /** Rotates the accepted bearer token. */
  setToken(token: string): void;
  readonly faults: Faults;
}

const DOCS = 'https://docs.protocol.chat/errors';
const MAX_BODY = 1024 * 1024;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LIST_PARAMS = [
  'limit',
  'muted',
  'archived',
  'pinned',
  'group_id',
  'starting_after',
  'ending_before',
];
const WRITABLE = ['pinned_message_id', 'is_pinned', 'is_muted', 'archived_at'];
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];
/** Marks a reply that is dropped: the client sees a failed fetch. */
const LOST = Symbol('lost');

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function errorBody(status: number, message: string, type?: string) {
  return {
    type: type ?? (status >= 500 ? 'api_error' : 'invalid_request'),
    message,
    documentation_url: DOCS,
  };
}

function errorResponse(
  status: number,
  message: string,
  type?: string,
  headers: Record<string, string> = {},
) {
  return new Response(JSON.stringify(errorBody(status, message, type)), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => ALPHABET[byte % 62]).join('');
}

const isTimestamp = (value: unknown) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Parses a JSON or form body into an object of own keys; refuses polluting keys. */
function parseBody(text: string, contentType: string): Record<string, unknown> {
  if (text.length > MAX_BODY) throw new RequestError(413, 'The request body is too large');
  if (text.trim() === '') return {};
  let parsed: unknown;
  if (contentType.includes('application/x-www-form-urlencoded')) {
    parsed = Object.fromEntries(new URLSearchParams(text));
    // Form values are strings: give them the types the API documents.
    for (const [key, value] of Object.entries(parsed as Record<string, string>)) {
      (parsed as Record<string, unknown>)[key] = formValue(key, value);
    }
  } else {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RequestError(400, 'The request body is not valid JSON');
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RequestError(400, 'The request body must be an object');
  }
  for (const key of Reflect.ownKeys(parsed)) {
    if (FORBIDDEN_KEYS.includes(String(key)))
      throw new RequestError(400, `Forbidden field ${String(key)}`);
  }
  return parsed as Record<string, unknown>;
}

function formValue(key: string, value: string): unknown {
  if (key === 'is_pinned' || key === 'is_muted') {
    return value === 'true' ? true : value === 'false' ? false : value;
  }
  if (key === 'archived_at') {
    if (value === '' || value === 'null') return null;
    return /^\d+$/.test(value) ? Number(value) : value;
  }
  if (key === 'pinned_message_id' && (value === '' || value === 'null')) return null;
  return value;
}

function parseListQuery(query: Record<string, string>): ListQuery {
  for (const key of Object.keys(query)) {
    if (!LIST_PARAMS.includes(key)) throw new RequestError(400, `Unknown parameter ${key}`);
  }
  const result: ListQuery = { limit: 10 };
  if (query.limit !== undefined) {
    if (!/^\d+$/.test(query.limit) || Number(query.limit) < 1 || Number(query.limit) > 100) {
      throw new RequestError(400, 'limit must be an integer from 1 to 100');
    }
    result.limit = Number(query.limit);
  }
  for (const flag of ['muted', 'archived', 'pinned'] as const) {
    const value = query[flag];
    if (value === undefined) continue;
    if (value !== 'true' && value !== 'false')
      throw new RequestError(400, `${flag} must be true or false`);
    result[flag] = value === 'true';
  }
  for (const key of ['group_id', 'starting_after', 'ending_before'] as const) {
    const value = query[key];
    if (value === undefined) continue;
    if (value === '') throw new RequestError(400, `${key} must not be empty`);
    result[key] = value;
  }
  if (result.starting_after !== undefined && result.ending_before !== undefined) {
    throw new RequestError(400, 'starting_after and ending_before cannot be combined');
  }
  return result;
}

function createFields(body: Record<string, unknown>): {
  contact_id: string | null;
  group_id: string | null;
} {
  for (const key of Object.keys(body)) {
    if (key !== 'contact_id' && key !== 'group_id')
      throw new RequestError(400, `Unknown field ${key}`);
  }
  const contact = body.contact_id ?? null;
  const group = body.group_id ?? null;
  if ((contact === null) === (group === null)) {
    throw new RequestError(400, 'Exactly one of contact_id or group_id is required');
  }
  const value = contact ?? group;
  if (typeof value !== 'string' || value === '') {
    throw new RequestError(
      400,
      `${contact === null ? 'group_id' : 'contact_id'} must be a non-empty string`,
    );
  }
  return { contact_id: contact === null ? null : value, group_id: group === null ? null : value };
}

function updateFields(body: Record<string, unknown>): Partial<Conversation> {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!WRITABLE.includes(key)) throw new RequestError(400, `Unknown or read-only field ${key}`);
    const valid =
      key === 'pinned_message_id'
        ? value === null || (typeof value === 'string' && value !== '')
        : key === 'archived_at'
          ? value === null || isTimestamp(value)
          : typeof value === 'boolean';
    if (!valid) throw new RequestError(400, `Invalid value for ${key}`);
    patch[key] = value;
  }
  return patch as Partial<Conversation>;
}

/** Creates a reference server of the Conversations API. */
export function createReferenceServer(options: ReferenceServerOptions = {}): ReferenceServer {
  let token = options.token ?? 'test-token';
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const generateId = options.generateId ?? randomId;
  const random = options.random ?? Math.random;
  const table = new ConversationTable(options.seed);
  const faults = new FaultState();
  const requests: RecordedRequest[] = [];
  const idempotency = new Map<string, { fingerprint: string; status: number; body: string }>();

  const newConversation = (fields: Partial<Conversation>): Conversation => {
    let id = fields.id ?? generateId();
    while (fields.id === undefined && table.get(id) !== undefined) id = generateId();
    return {
      id,
      contact_id: null,
      group_id: null,
      pinned_message_id: null,
      is_pinned: false,
      is_muted: false,
      last_active_at: null,
      last_opened_at: null,
      created_at: now(),
      archived_at: null,
      ...fields,
    };
  };

  const found = (id: string) => {
    const row = table.get(id);
    if (row === undefined) throw new RequestError(404, `No conversation ${id}`);
    return row;
  };

  const app = new Hono<{ Variables: { body: Record<string, unknown> } }>();
  app.use('*', async (c, next) => {
    if (c.req.header('authorization') !== `Bearer ${token}`) {
      throw new RequestError(401, 'Invalid or missing bearer token');
    }
    const text = await c.req.text();
    c.set('body', parseBody(text, c.req.header('content-type') ?? ''));
    await next();
  });
  app.get('/v1/conversations', (c) => {
    try {
      return c.json(table.list(parseListQuery(c.req.query())));
    } catch (error) {
      if (error instanceof CursorError) throw new RequestError(400, error.message);
      throw error;
    }
  });
  app.post('/v1/conversations', (c) => {
    const row = newConversation(createFields(c.get('body')));
    table.put(row);
    return c.json(row);
  });
  app.get('/v1/conversations/:id', (c) => c.json(found(c.req.param('id'))));
  app.put('/v1/conversations/:id', (c) => {
    const patch = updateFields(c.get('body'));
    const row = { ...found(c.req.param('id')), ...patch };
    table.put(row);
    return c.json(row);
  });
  app.delete('/v1/conversations/:id', (c) => {
    const id = c.req.param('id');
    found(id);
    table.delete(id);
    return c.json({ id, deleted: true });
  });
  app.all('/v1/conversations', () => {
    throw new RequestError(405, 'Method not allowed');
  });
  app.all('/v1/conversations/:id', () => {
    throw new RequestError(405, 'Method not allowed');
  });
  app.notFound(() => errorResponse(404, 'Not found'));
  app.onError((error) =>
    error instanceof RequestError
      ? errorResponse(error.status, error.message)
      : errorResponse(500, 'Internal error'),
  );

  /** The transport layer: faults, Idempotency-Key replay, recording. */
  async function handle(request: Request): Promise<Response | typeof LOST> {
    if (faults.offline) return LOST;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.offline) return LOST;
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const text = method === 'GET' || method === 'HEAD' ? '' : await request.text();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      if (key !== 'authorization') headers[key] = value;
    });
    const authorized = request.headers.get('authorization') === `Bearer ${token}`;
    const idempotencyKey = request.headers.get('idempotency-key') ?? undefined;
    let body: unknown;
    try {
      body = text === '' ? undefined : parseBody(text, headers['content-type'] ?? '');
    } catch {
      body = text;
    }
    const record: RecordedRequest = {
      method,
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
    requests.push(record);
    const answer = (response: Response) => {
      record.status = response.status;
      return response;
    };

    const failure = faults.takeFailure(method);
    if (failure !== null) {
      const retryAfter: Record<string, string> =
        failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) };
      return answer(
        errorResponse(
          failure.status,
          failure.message ?? `Injected ${failure.status}`,
          failure.type,
          retryAfter,
        ),
      );
    }
    if (faults.errorRate > 0 && random() < faults.errorRate) {
      return answer(errorResponse(500, 'Injected random failure'));
    }

    const isWrite = method === 'POST' || method === 'PUT' || method === 'DELETE';
    const fingerprint = `${method} ${url.pathname} ${text}`;
    if (isWrite && authorized && idempotencyKey !== undefined) {
      const cached = idempotency.get(idempotencyKey);
      if (cached !== undefined) {
        if (cached.fingerprint !== fingerprint) {
          return answer(
            errorResponse(422, 'This Idempotency-Key was used with a different request'),
          );
        }
        record.replayed = true;
        const replay = new Response(cached.body, {
          status: cached.status,
          headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' },
        });
        if (faults.takeLostReply(method)) {
          record.status = cached.status;
          record.lost = true;
          return LOST;
        }
        return answer(replay);
      }
    }

    const response = await app.fetch(
      new Request(url, {
        method,
        headers: request.headers,
        ...(text === '' ? {} : { body: text }),
      }),
    );
    let responseText = await response.text();
    if (
      isWrite &&
      authorized &&
      idempotencyKey !== undefined &&
      response.status < 500 &&
      response.status !== 429
    ) {
      idempotency.set(idempotencyKey, { fingerprint, status: response.status, body: responseText });
    }
    if (isWrite && faults.takeLostReply(method)) {
      record.status = response.status;
      record.lost = true;
      return LOST;
    }
    if (method === 'GET' && url.pathname === '/v1/conversations' && response.status === 200) {
      const broken = faults.takeMalformed();
      if (broken !== null) responseText = malform(responseText, broken);
    }
    return answer(
      new Response(responseText, { status: response.status, headers: response.headers }),
    );
  }

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const result = await handle(new Request(input, init));
    if (result === LOST) throw new TypeError('Failed to fetch');
    return result;
  };

  return {
    fetch,
    listen: (port = 0, hostname = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        const server = createAdaptorServer({
          fetch: async (request: Request, env: { incoming: { socket: { destroy(): void } } }) => {
            const result = await handle(request);
            if (result === LOST) {
              env.incoming.socket.destroy();
              return new Response(null, { status: 500 });
            }
            return result;
          },
        });
        server.once('error', reject);
        server.listen(port, hostname, () => {
          const { port: actual } = server.address() as AddressInfo;
          resolve({
            url: `http://${hostname}:${actual}`,
            port: actual,
            close: () =>
              new Promise<void>((done) => {
                (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
                server.close(() => done());
              }),
          });
        });
      }),
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    all: () => table.all(),
    get: (id) => table.get(id),
    insert: (row) => {
      const created = newConversation(row);
      table.put(created);
      return created;
    },
    update: (id, patch) => {
      const row = table.get(id);
      if (row === undefined) throw new Error(`No conversation ${id}`);
      const next = { ...row, ...patch, id };
      table.put(next);
      return next;
    },
    remove: (id) => table.delete(id),
    reset: (rows = []) => {
      table.clear();
      for (const row of rows) table.put(row);
      idempotency.clear();
    },
    setToken: (next) => {
      token = next;
    },
    faults,
  };
}

/** Breaks one row of a list answer the way `faults.malformNextList` asked. */
function malform(text: string, how: MalformedRow): string {
  if (how === 'not-json') return '<html>Bad gateway</html>';
  const page = JSON.parse(text) as { has_more: boolean; data: Record<string, unknown>[] };
  const first = page.data[0] ?? { id: 'MalformedRow0000' };
  if (how === 'wrong-type') {
    page.data[0] = { ...first, is_muted: 'yes' };
    return JSON.stringify(page);
  }
  if (how === 'missing-field') {
    const { created_at: _dropped, ...rest } = first;
    page.data[0] = rest;
    return JSON.stringify(page);
  }
  // A `__proto__` key only survives as an own key in raw JSON text.
  const row = JSON.stringify({ ...first, id: 'PollutingRow0000' });
  const polluted = `${row.slice(0, -1)},"__proto__":{"polluted":true}}`;
  const data = page.data.map((r) => JSON.stringify(r));
  data.push(polluted);
  return `{"has_more":${page.has_more},"data":[${data.join(',')}]}`;
}
