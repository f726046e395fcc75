/**
 * createReferenceServer: wires the in-memory table, the API's routes, the exchange
 * (faults, Idempotency-Key replay, recording) and the in-process transport, and gives
 * tests direct access to the data, as another device or the server's own admin would have.
 * The other transports (`msw.ts`, `node.ts`) reach the exchange through {@link exchangeOf}.
 */

import { CONVERSATION_FIELDS, type Conversation } from '../model/conversation.js';
import { clock, unixSeconds } from '../platform/clock.js';
import { randomId } from '../storage/ids.js';
import { createExchange, type Exchange, LOST, type RecordedRequest } from './exchange.js';
import { FaultState, type Faults } from './faults.js';
import { IdempotencyCache } from './idempotency.js';
import { createRoutes } from './routes.js';
import { ConversationTable } from './table.js';

/** Options of {@link createReferenceServer}. */
export interface ReferenceServerOptions {
  /** The accepted bearer token (default `'test-token'`). */
  token?: string;
  /** Clock in unix seconds, for `created_at` (default: the system clock). */
  now?: () => number;
  /** The initial conversations (default: none; see `SEED_CONVERSATIONS`). */
  seed?: readonly Conversation[];
  /** Ids for created conversations (default: 16 random letters and digits). */
  generateId?: () => string;
  /** Randomness of `faults.errorRate`, from 0 (inclusive) to 1 (default `Math.random`). */
  random?: () => number;
}

/** A running reference server of the Conversations API. */
export interface ReferenceServer {
  /**
   * The API in-process, as a `fetch` function: no socket. Any origin works (a bare path
   * too); routes are under `/v1/conversations`. A lost reply or `faults.offline`
   * rejects with `TypeError('Failed to fetch')`, as a browser's fetch does.
   */
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /** Every request received, oldest first, on every transport. Never holds the token. */
  readonly requests: RecordedRequest[];
  /** Empties {@link ReferenceServer.requests}. */
  clearRequests(): void;
  /** Every conversation in list order. This and the methods below bypass auth and faults. */
  all(): Conversation[];
  /** One conversation, or `undefined`. */
  get(id: string): Conversation | undefined;
  /**
   * Adds a conversation as another device would. Missing fields get the API's defaults
   * (`created_at`: now, `id`: generated); an id that exists throws.
   */
  insert(
    row: Partial<Conversation> & ({ contact_id: string } | { group_id: string }),
  ): Conversation;
  /** Changes any fields but `id` (`last_active_at` included) as another device would; an unknown id throws. */
  update(id: string, patch: Partial<Conversation>): Conversation;
  /** Deletes a conversation; false when there was none. */
  remove(id: string): boolean;
  /** Replaces all data (default: none) and forgets every Idempotency-Key. */
  reset(rows?: readonly Conversation[]): void;
  /** Rotates the accepted bearer token: the old one answers 401 from now on. */
  setToken(token: string): void;
  /** The fault injection knobs. */
  readonly faults: Faults;
}

// Kept off the public object: a transport needs to tell a lost reply from an answer, a
// test never does.
const exchanges = new WeakMap<ReferenceServer, Exchange>();

/** The exchange behind `server`, for the transports that answer a lost reply their own way. */
export function exchangeOf(server: ReferenceServer): Exchange {
  const exchange = exchanges.get(server);
  if (exchange === undefined) {
    throw new TypeError('Expected a server made by createReferenceServer()');
  }
  return exchange;
}

/** The API's fields of `row` that are set; anything else is dropped. */
function definedFields(row: Partial<Conversation>): Partial<Conversation> {
  const fields: Record<string, unknown> = {};
  for (const field of CONVERSATION_FIELDS) {
    if (row[field] !== undefined) fields[field] = row[field];
  }
  return fields as Partial<Conversation>;
}

/** Creates a reference server of the Conversations API, holding `options.seed`. */
export function createReferenceServer(options: ReferenceServerOptions = {}): ReferenceServer {
  let token = options.token ?? 'test-token';
  const now = options.now ?? (() => unixSeconds(clock().now()));
  const generateId = options.generateId ?? randomId;
  const table = new ConversationTable(options.seed);
  const faults = new FaultState();
  const idempotency = new IdempotencyCache();
  const requests: RecordedRequest[] = [];

  // The auth scheme is case-insensitive (RFC 9110); the token is compared exactly.
  const isAuthorized = (authorization: string | undefined) =>
    /^bearer +(.+)$/i.exec(authorization?.trim() ?? '')?.[1] === token;

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

  const routes = createRoutes({ table, isAuthorized, newConversation });
  const handle = createExchange({
    routes,
    faults,
    idempotency,
    requests,
    isAuthorized,
    random: options.random ?? Math.random,
  });

  const server: ReferenceServer = {
    fetch: async (input, init) => {
      // A bare path is welcome: the origin means nothing in-process.
      const target =
        typeof input === 'string' && input.startsWith('/') ? `http://localhost${input}` : input;
      const result = await handle(new Request(target, init));
      if (result === LOST) throw new TypeError('Failed to fetch');
      return result;
    },
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    all: () => table.all(),
    get: (id) => table.get(id),
    insert: (row) => {
      const fields = definedFields(row);
      if (fields.id !== undefined && table.get(fields.id) !== undefined) {
        throw new Error(`Conversation ${fields.id} already exists`);
      }
      const created = newConversation(fields);
      table.put(created);
      return created;
    },
    update: (id, patch) => {
      const row = table.get(id);
      if (row === undefined) throw new Error(`No such conversation: ${id}`);
      const next = { ...row, ...definedFields(patch), id };
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
  exchanges.set(server, handle);
  return server;
}
