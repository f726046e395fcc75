/**
 * The shared fixtures of the Node tests: stores on a fresh fake IndexedDB (passed through
 * the options, never as a global), a reference server in-process with a network switch
 * in front of it, seed rows, and helpers to observe streams and tables.
 */
import { type DBCoreMutateRequest, type DBCoreRangeType, type DBCoreTable, Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { firstValueFrom, type Observable, filter as rxFilter } from 'rxjs';
import { afterEach, vi } from 'vitest';
import {
  type Conversation,
  type ConversationStore,
  type ConversationStoreOptions,
  createConversationStore,
} from '../src/index.js';
import { openDatabase, toStored } from '../src/storage/schema.js';
import {
  createManualPlatform,
  createNetworkSwitch,
  createReferenceServer,
  type ReferenceServer,
} from '../src/testing/index.js';

/** The timers and clock the fake-timer tests replace (`vi.useFakeTimers(FAKE_TIMERS)`). */
export const FAKE_TIMERS = {
  toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
} satisfies Parameters<typeof vi.useFakeTimers>[0];

/**
 * Wraps the tables of the databases opened from now on that are named `which` (or that
 * `which` picks), as a DBCore middleware: `wrap` gets each table's name, its DBCore table and the database, and returns
 * the table to use instead (a broken disk, a watched write). Returns the function that stops
 * it for databases opened later.
 */
export function wrapTables(
  which: string | ((db: Dexie) => boolean),
  wrap: (name: string, table: DBCoreTable, db: Dexie) => DBCoreTable,
): () => void {
  const addon = (db: Dexie) => {
    if (typeof which === 'string' ? db.name !== which : !which(db)) return;
    db.use({
      stack: 'dbcore',
      name: 'test-wrap-tables',
      create: (down) => ({ ...down, table: (name) => wrap(name, down.table(name), db) }),
    });
  };
  Dexie.addons.push(addon);
  return () => {
    Dexie.addons.splice(Dexie.addons.indexOf(addon), 1);
  };
}

/**
 * Watches every write to the `conversations` table of the databases named `databaseName`
 * opened from now on: `after` is told the write's type and how many conversations are
 * stored once it is applied, inside its transaction, and may throw to roll the write back
 * (a fake full disk). Returns the function that stops watching.
 */
export function afterConversationWrites(
  databaseName: string,
  after: (type: DBCoreMutateRequest['type'], rows: number) => void,
): () => void {
  return wrapTables(databaseName, (name, table) => {
    if (name !== 'conversations') return table;
    return {
      ...table,
      mutate: async (request) => {
        const result = await table.mutate(request);
        const query = {
          index: table.schema.primaryKey,
          // Every key (Dexie's DBCoreRangeType is a const enum: not importable at run time).
          range: { type: 3 as DBCoreRangeType.Any, lower: undefined, upper: undefined },
        };
        after(request.type, await table.count({ trans: request.trans, query }));
        return result;
      },
    };
  });
}

/** Every table's rows of a store's database, for "nothing changed" and "nothing left" assertions. */
export async function dumpDatabase(
  databaseName: string,
  indexedDB: IDBFactory,
): Promise<Record<string, unknown[]>> {
  const db = openDatabase(databaseName, { indexedDB, IDBKeyRange });
  const tables: Record<string, unknown[]> = {};
  for (const table of db.tables) tables[table.name] = await table.toArray();
  db.close();
  return tables;
}

export const TOKEN = 'secret-token-0b7c1f';

export interface Harness {
  server: ReferenceServer;
  network: ReturnType<typeof createNetworkSwitch>;
  platform: ReturnType<typeof createManualPlatform>;
  indexedDB: IDBFactory;
  databaseName: string;
  /** Opens (or reopens) the store on the same database. */
  open(options?: Partial<ConversationStoreOptions>): ConversationStore;
  /** The raw tables, for assertions about what is stored. */
  dump(): Promise<Record<string, unknown[]>>;
}

let counter = 0;

export interface HarnessOptions {
  /** Stores opened on this harness elect a leader and wake it, as browser tabs do. */
  tabs?: boolean;
}

export function harness(seed: Conversation[] = [], options: HarnessOptions = {}): Harness {
  const server = createReferenceServer({ token: TOKEN, seed });
  const network = createNetworkSwitch(server.fetch);
  const platform = createManualPlatform({ tabs: options.tabs ?? false });
  const indexedDB = new IDBFactory();
  const databaseName = `sync-test-${counter++}`;
  return {
    server,
    network,
    platform,
    indexedDB,
    databaseName,
    open: (options = {}) =>
      createConversationStore({
        baseUrl: 'https://api.test',
        getToken: () => TOKEN,
        databaseName,
        fetch: network.fetch,
        indexedDB,
        IDBKeyRange,
        platform,
        sync: { auto: false, retry: { baseMs: 10, maxMs: 100 } },
        ...options,
      }),
    dump: () => dumpDatabase(databaseName, indexedDB),
  };
}

/** Resolves with the first value of `source` that satisfies `predicate`. */
export function until<T>(source: Observable<T>, predicate: (value: T) => boolean): Promise<T> {
  return firstValueFrom(source.pipe(rxFilter(predicate)));
}

/** The requests the server received with this method (and path prefix). */
export function requests(server: ReferenceServer, method: string) {
  return server.requests.filter((request) => request.method === method);
}

export function conversation(overrides: Partial<Conversation> & { id: string }): Conversation {
  return {
    contact_id: 'contact',
    group_id: null,
    pinned_message_id: null,
    is_pinned: false,
    is_muted: false,
    last_active_at: 1_700_000_000,
    last_opened_at: null,
    created_at: 1_600_000_000,
    archived_at: null,
    ...overrides,
  };
}

/** Three server rows in list order, the usual seed of the sync tests. */
export const A = conversation({ id: 'AAAAAAAAAAAAAAAA', last_active_at: 300 });
export const B = conversation({ id: 'BBBBBBBBBBBBBBBB', last_active_at: 200 });
export const C = conversation({ id: 'CCCCCCCCCCCCCCCC', last_active_at: 100 });

/**
 * The options a test opens its store with: plain options, or options made from the harness
 * (a fetch in front of `h.network`, a clock the harness's platform drives).
 */
export type StoreOptions =
  | Partial<ConversationStoreOptions>
  | ((h: Harness) => Partial<ConversationStoreOptions>);

/**
 * The store a test file works on: `synced()` opens one that already pulled A, B, C (or
 * `seed`) with the request log cleared, and sets `t.h` and `t.store`; a test may also set
 * them itself. `open()` opens another store on `t.h` (another tab, a reload). Every store
 * closes, and real timers come back, after each test.
 */
export function syncedSuite() {
  const t = {} as { h: Harness; store: ConversationStore };
  const others: ConversationStore[] = [];
  afterEach(async () => {
    for (const store of [t.store, ...others.splice(0)]) await store?.close().catch(() => {});
    vi.useRealTimers();
  });
  const synced = async (
    seed: Conversation[] = [A, B, C],
    options: StoreOptions = {},
    harnessOptions: HarnessOptions = {},
  ) => {
    Object.assign(t, await syncedHarness(seed, options, harnessOptions));
    return t.store;
  };
  const open = (options: Partial<ConversationStoreOptions> = {}) => {
    const store = t.h.open(options);
    others.push(store);
    return store;
  };
  return { t, synced, open };
}

/** A harness and a store that already pulled `seed`, with the request log cleared. */
export async function syncedHarness(
  seed: Conversation[] = [A, B, C],
  options: StoreOptions = {},
  harnessOptions: HarnessOptions = {},
): Promise<{ h: Harness; store: ConversationStore }> {
  const h = harness(seed, harnessOptions);
  const store = h.open(typeof options === 'function' ? options(h) : options);
  await store.sync.now();
  h.server.clearRequests();
  return { h, store };
}

// Local stores: no server behind them (sync off), rows seeded straight into IndexedDB.

export const NOW = 1_700_000_000;

export interface LocalStore {
  store: ConversationStore;
  indexedDB: IDBFactory;
  databaseName: string;
  /** Every table's rows, for "nothing changed" assertions. */
  dump(): Promise<Record<string, unknown[]>>;
  /** Another store on the same database: a second tab. */
  openTab(options?: Partial<ConversationStoreOptions>): ConversationStore;
}

export async function localStore(rows: Conversation[] = []): Promise<LocalStore> {
  const indexedDB = new IDBFactory();
  const databaseName = `local-${counter++}`;
  if (rows.length > 0) {
    const db = openDatabase(databaseName, { indexedDB, IDBKeyRange });
    await db.conversations.bulkPut(rows.map(toStored));
    db.close();
  }
  const open = (options: Partial<ConversationStoreOptions> = {}) =>
    createConversationStore({
      baseUrl: 'http://localhost:9',
      getToken: () => 'test-token',
      databaseName,
      indexedDB,
      IDBKeyRange,
      now: () => NOW,
      sync: { auto: false },
      ...options,
    });
  return {
    store: open(),
    indexedDB,
    databaseName,
    openTab: (options) => open(options),
    dump: () => dumpDatabase(databaseName, indexedDB),
  };
}

/** Records every emission of `source` until `stop()`. */
export function record<T>(source: Observable<T>) {
  const values: T[] = [];
  let error: unknown;
  const subscription = source.subscribe({
    next: (value) => values.push(value),
    error: (failure: unknown) => {
      error = failure;
    },
  });
  return {
    values,
    /** What the source errored with, if it did. */
    get error() {
      return error;
    },
    stop: () => subscription.unsubscribe(),
  };
}

/** Polls `check` (real time, bounded) until it passes: a live query may lag a write by a tick. */
export async function eventually(check: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Waits long enough for any pending live-query re-run to have emitted. */
export const quiet = () => new Promise((resolve) => setTimeout(resolve, 60));

/**
 * Lets real `setImmediate` work run (fake-indexeddb, the in-process server) without moving
 * a fake clock, until `check()` holds or `maxTicks` passed. Assert afterwards: a condition
 * that never comes fails at once with the values seen, not at the test timeout.
 */
export async function tickUntil(check: () => boolean, maxTicks = 500): Promise<void> {
  for (let i = 0; i < maxTicks && !check(); i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/**
 * A fetch in front of `target` that holds requests of `methods` open until `release()`
 * lets the oldest one through; counts what is in flight (started, not yet answered).
 */
export function holdingFetch(target: Fetch, methods: readonly string[]) {
  const held: (() => void)[] = [];
  let holding = true;
  const gate = {
    /** Held requests started so far. */
    started: 0,
    /** Held requests started and not answered yet. */
    inFlight: 0,
    maxInFlight: 0,
    /** Requests waiting for `release()`. */
    get waiting() {
      return held.length;
    },
    /** Lets the oldest held request through. */
    release(): void {
      const next = held.shift();
      if (next === undefined) throw new Error('No request is held');
      next();
    },
    /** Lets every held request through and holds no more (for clean-up after a failure). */
    open(): void {
      holding = false;
      for (const next of held.splice(0)) next();
    },
    fetch: (async (input, init) => {
      const method = (
        input instanceof Request ? input.method : (init?.method ?? 'GET')
      ).toUpperCase();
      if (!holding || !methods.includes(method)) return target(input, init);
      gate.started += 1;
      gate.inFlight += 1;
      gate.maxInFlight = Math.max(gate.maxInFlight, gate.inFlight);
      try {
        await new Promise<void>((resolve) => held.push(resolve));
        return await target(input, init);
      } finally {
        gate.inFlight -= 1;
      }
    }) as Fetch,
  };
  return gate;
}

/** An IndexedDB database as plain data: its version, object stores, indexes and rows. */
export interface DatabaseDump {
  name: string;
  /** IndexedDB's version (Dexie's schema version times 10). */
  version: number;
  stores: {
    name: string;
    keyPath: string | string[] | null;
    autoIncrement: boolean;
    indexes: { name: string; keyPath: string | string[]; unique: boolean; multiEntry: boolean }[];
    rows: unknown[];
  }[];
}

/** Recreates a dumped database in `indexedDB`, at its version, with its exact stores and indexes. */
export function restoreDatabase(indexedDB: IDBFactory, dump: DatabaseDump): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(dump.name, dump.version);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const spec of dump.stores) {
        const store = db.createObjectStore(spec.name, {
          keyPath: spec.keyPath,
          autoIncrement: spec.autoIncrement,
        });
        for (const index of spec.indexes) {
          store.createIndex(index.name, index.keyPath, {
            unique: index.unique,
            multiEntry: index.multiEntry,
          });
        }
        for (const row of spec.rows) store.add(row);
      }
    };
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error);
  });
}
