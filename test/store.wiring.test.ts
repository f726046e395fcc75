/**
 * The store's wiring at its edges (store.ts, gate.ts): one sync lock per database, a
 * retried rejection that counts as a local write, a failed destroy(), a database deleted
 * by another connection, an upgrade blocked by another connection, and the database list
 * Dexie keeps where IndexedDB cannot list databases.
 */
import { readFileSync } from 'node:fs';
import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Conversation,
  type ConversationStore,
  createConversationStore,
  type ListPage,
  type Rejection,
  StorageError,
} from '../src/index.js';
import { createManualPlatform, createReferenceServer } from '../src/testing/index.js';
import {
  A,
  type DatabaseDump,
  harness,
  holdingFetch,
  localStore,
  requests,
  restoreDatabase,
  syncedHarness,
  TOKEN,
  tickUntil,
} from './fixtures.js';

const opened: ConversationStore[] = [];
const open = (store: ConversationStore) => {
  opened.push(store);
  return store;
};
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => {});
  vi.restoreAllMocks();
});

/** Whether `promise` has settled, readable synchronously (for tickUntil). */
/** A store on `indexedDB` that never syncs (its API is unreachable). */
const storeOn = (databaseName: string, indexedDB: IDBFactory) =>
  open(
    createConversationStore({
      baseUrl: 'http://localhost:9',
      getToken: () => 'test-token',
      databaseName,
      indexedDB,
      IDBKeyRange,
      sync: { auto: false },
    }),
  );

function settledFlag(promise: Promise<unknown>) {
  const flag = { settled: false };
  void promise.then(
    () => (flag.settled = true),
    () => (flag.settled = true),
  );
  return flag;
}

/** The names `indexedDB.databases()` lists. */
const databaseNames = async (indexedDB: IDBFactory) =>
  (await indexedDB.databases()).map((database) => database.name);

/** `real` behind a plain object with only what is listed (and `open` recorded). */
function wrappedFactory(real: IDBFactory, overrides: Partial<Record<string, unknown>> = {}) {
  const openedNames: string[] = [];
  const factory = {
    open: (name: string, version?: number) => {
      openedNames.push(name);
      return version === undefined ? real.open(name) : real.open(name, version);
    },
    deleteDatabase: (name: string) => real.deleteDatabase(name),
    cmp: (a: unknown, b: unknown) => real.cmp(a, b),
    databases: () => real.databases(),
    ...overrides,
  };
  return { factory: factory as unknown as IDBFactory, openedNames };
}

describe('two databases on one platform', () => {
  it("a round held open on one database does not hold up the other database's sync.now()", async () => {
    const h = harness([A]);
    const held = holdingFetch(h.network.fetch, ['GET']);
    const first = open(h.open({ fetch: held.fetch }));
    const second = open(h.open({ databaseName: `${h.databaseName}-other` }));
    const firstRound = first.sync.now();
    await tickUntil(() => held.waiting === 1);
    expect(held.waiting).toBe(1);

    const secondRound = settledFlag(second.sync.now());
    await tickUntil(() => secondRound.settled);
    try {
      expect(secondRound.settled).toBe(true);
      expect((await second.conversations.list()).data.map((row) => row.id)).toEqual([A.id]);
    } finally {
      held.open();
      await firstRound;
    }
  });
});

describe('sync.retry() of a rejection', () => {
  it('shows the retried record on pending$ as soon as retry() resolves, then sends it', async () => {
    const { h, store } = await syncedHarness([A]);
    open(store);
    await store.conversations.update(A.id, { is_muted: true });
    h.server.faults.failNext(409, 1, { methods: ['PUT'] });
    await store.sync.now();
    const [rejection] = await store.sync.listRejections();
    expect(await firstValueFrom(store.sync.pending$)).toEqual(new Set());

    await store.sync.retry((rejection as Rejection).id);
    // As after any local write: no wait for the outbox to be read again.
    expect(await firstValueFrom(store.sync.pending$)).toEqual(new Set([A.id]));
    await store.sync.now();
    expect(h.server.get(A.id)?.is_muted).toBe(true);
    expect(requests(h.server, 'PUT')).toHaveLength(2); // The refused one and the retry.
    expect(await firstValueFrom(store.sync.pending$)).toEqual(new Set());
  });

  it('re-applies a refused create without updates: the record is back and sent once', async () => {
    const { h, store } = await syncedHarness();
    open(store);
    await store.conversations.create({ contact_id: 'k5' });
    h.server.faults.failNext(400, 1, { methods: ['POST'] });
    await store.sync.now();
    const [rejection] = await store.sync.listRejections();
    expect(rejection).toMatchObject({ op: 'create' });
    expect(rejection).not.toHaveProperty('patch');

    await store.sync.retry((rejection as Rejection).id);
    const restored = (await store.conversations.list()).data.filter(
      (row) => row.contact_id === 'k5',
    );
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({ is_muted: false, is_pinned: false, group_id: null });
    expect(await store.sync.listRejections()).toEqual([]);
    await store.sync.now();
    expect(h.server.all().filter((row) => row.contact_id === 'k5')).toHaveLength(1);
    expect(requests(h.server, 'POST')).toHaveLength(2); // The refused one and the retry.
  });
});

describe('destroy()', () => {
  it('rejects with a StorageError naming destroy when IndexedDB fails to delete the database', async () => {
    const h = harness([A]);
    const failure = new DOMException('The disk is on fire', 'UnknownError');
    const { factory } = wrappedFactory(h.indexedDB, {
      deleteDatabase: (name: string) => {
        if (name !== h.databaseName) return h.indexedDB.deleteDatabase(name);
        const request = { error: failure, onerror: null as ((event: unknown) => void) | null };
        const event = { target: request, preventDefault: () => {}, stopPropagation: () => {} };
        setImmediate(() => request.onerror?.(event));
        return request;
      },
    });
    const store = open(h.open({ indexedDB: factory as never }));
    await store.sync.now();
    const error = await store.destroy().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/^destroy failed: The disk is on fire/);
    expect((error as Error).message).not.toContain(TOKEN);
  });
});

describe('a database deleted by another connection (not by destroy())', () => {
  it('closes this store, which does not recreate the database', async () => {
    const local = await localStore([A]);
    open(local.store);
    expect((await local.store.conversations.list()).data).toHaveLength(1);
    const completed = new Promise<void>((resolve) =>
      local.store.sync.status$.subscribe({ complete: () => resolve() }),
    );
    await new Promise<void>((resolve, reject) => {
      const request = local.indexedDB.deleteDatabase(local.databaseName);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    await completed;
    await local.store.close();
    await expect(local.store.conversations.list()).rejects.toThrow(/the store is closed/);
    expect(await databaseNames(local.indexedDB)).not.toContain(local.databaseName);
  });
});

interface Fixture {
  database: DatabaseDump;
  server: Conversation[];
  expected: { list: ListPage };
}

describe('an upgrade blocked by another connection', () => {
  it('waits, says so on the console, and opens once that connection closes', async () => {
    const fixture = JSON.parse(
      readFileSync(new URL('./fixtures/v2.json', import.meta.url), 'utf8'),
    ) as Fixture;
    const indexedDB = new IDBFactory();
    await restoreDatabase(indexedDB, fixture.database);
    // An old connection that ignores versionchange (a tab of another library, a stuck one).
    const old = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(fixture.database.name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    });
    const server = createReferenceServer({ token: TOKEN, seed: fixture.server });
    const store = open(
      createConversationStore({
        baseUrl: 'https://api.test',
        getToken: () => TOKEN,
        databaseName: fixture.database.name,
        fetch: server.fetch,
        indexedDB,
        IDBKeyRange,
        platform: createManualPlatform(),
        sync: { auto: false },
      }),
    );
    const listing = store.conversations.list();
    const listed = settledFlag(listing);
    const blocked = () => warnings.filter((line) => /blocked/i.test(line));
    try {
      await tickUntil(() => blocked().length > 0);
      expect(blocked()).toEqual([expect.stringContaining(fixture.database.name)]);
      expect(listed.settled).toBe(false);
    } finally {
      old.close();
    }
    expect(await listing).toEqual(fixture.expected.list);
  });
});

describe('the database list Dexie keeps for a runtime without indexedDB.databases()', () => {
  it('lists the store database with Dexie.getDatabaseNames', async () => {
    const real = new IDBFactory();
    const { factory } = wrappedFactory(real);
    delete (factory as { databases?: unknown }).databases;
    const databaseName = 'store-mutants-no-databases';
    const store = storeOn(databaseName, factory);
    expect((await store.conversations.list()).data).toEqual([]);
    // Dexie.getDatabaseNames() reads the runtime's factory (Dexie.dependencies): this
    // one stands in for it. Dexie records the name after the open without waiting for
    // it: read until it shows.
    const runtime = Dexie.dependencies.indexedDB;
    Dexie.dependencies.indexedDB = factory;
    let names: string[] = [];
    try {
      for (let i = 0; i < 50 && !names.includes(databaseName); i++) {
        names = await Dexie.getDatabaseNames();
      }
    } finally {
      Dexie.dependencies.indexedDB = runtime;
    }
    expect(names).toContain(databaseName);
  });

  it('is not created where indexedDB.databases() exists', async () => {
    const { factory, openedNames } = wrappedFactory(new IDBFactory());
    const databaseName = 'store-mutants-databases';
    const store = storeOn(databaseName, factory);
    expect((await store.conversations.list()).data).toEqual([]);
    await store.close();
    await tickUntil(() => openedNames.includes('__dbnames'));
    expect(openedNames).not.toContain('__dbnames');
    expect(await databaseNames(factory)).toContain(databaseName);
    expect(await databaseNames(factory)).not.toContain('__dbnames');
  });
});
