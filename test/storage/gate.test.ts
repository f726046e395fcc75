/**
 * The open gate (gate.ts): the IndexedDB factory the store's database opens through. It
 * opens nothing until the gate (the sign-out check) lets it, refuses a database written by
 * a newer release with a StorageError naming both versions, and passes everything else
 * (upgrades, a blocked upgrade, the list of databases) through as IndexedDB would.
 */
import { readFileSync } from 'node:fs';
import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Conversation,
  type ConversationStore,
  createConversationStore,
  type ListPage,
  StorageError,
} from '../../src/index.js';
import { openThroughGate } from '../../src/storage/gate.js';
import { markSignedOut, signedOutGate } from '../../src/storage/signout.js';
import { createManualPlatform, createReferenceServer } from '../../src/testing/index.js';
import {
  type DatabaseDump,
  type LocalStore,
  localStore,
  restoreDatabase,
  TOKEN,
  tickUntil,
} from '../fixtures.js';

const opened: ConversationStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => {});
  vi.restoreAllMocks();
});

/** Opens `name` (at `version`) through `factory`: the connection, or the request's error. */
function openWith(
  factory: IDBFactory,
  name: string,
  version?: number,
  upgrade?: (db: IDBDatabase) => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = version === undefined ? factory.open(name) : factory.open(name, version);
    request.onupgradeneeded = () => upgrade?.(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = (event) => {
      event.preventDefault();
      reject(request.error);
    };
  });
}

/** The names `indexedDB.databases()` lists. */
const databaseNames = async (indexedDB: IDBFactory) =>
  (await indexedDB.databases()).map((database) => database.name);

/** `real` behind a plain object with only what is listed (and the names it opens recorded). */
function wrappedFactory(real: IDBFactory) {
  const openedNames: string[] = [];
  const factory = {
    open: (name: string, version?: number) => {
      openedNames.push(name);
      return version === undefined ? real.open(name) : real.open(name, version);
    },
    deleteDatabase: (name: string) => real.deleteDatabase(name),
    cmp: (a: unknown, b: unknown) => real.cmp(a, b),
    databases: () => real.databases(),
  };
  return { factory: factory as unknown as IDBFactory, openedNames };
}

/** A store on `indexedDB` that never syncs (its API is unreachable). */
function storeOn(databaseName: string, indexedDB: IDBFactory) {
  const store = createConversationStore({
    baseUrl: 'http://localhost:9',
    getToken: () => 'test-token',
    databaseName,
    indexedDB,
    IDBKeyRange,
    sync: { auto: false },
  });
  opened.push(store);
  return store;
}

describe('openThroughGate', () => {
  it('has no factory to give where the runtime has no IndexedDB', () => {
    expect(openThroughGate(undefined)).toBeUndefined();
  });

  it('opens nothing until the gate lets it, then opens and upgrades as IndexedDB does', async () => {
    const indexedDB = new IDBFactory();
    let letIn = () => {};
    const gate = new Promise<void>((resolve) => {
      letIn = resolve;
    });
    const gated = openThroughGate(indexedDB, () => gate) as IDBFactory;
    const opening = openWith(gated, 'gated', 10, (db) => db.createObjectStore('rows'));
    await tickUntil(() => false, 20);
    expect(await databaseNames(indexedDB)).toEqual([]);
    letIn();
    const db = await opening;
    expect([db.version, [...db.objectStoreNames]]).toEqual([10, ['rows']]);
    db.close();
  });

  it('refuses a signed-out database with the gate’s StorageError, and creates nothing', async () => {
    const indexedDB = new IDBFactory();
    await markSignedOut({ indexedDB, IDBKeyRange }, 'signed-out', Date.now());
    const gated = openThroughGate(
      indexedDB,
      signedOutGate({ indexedDB, IDBKeyRange }, 'signed-out', false),
    ) as IDBFactory;
    const error = await openWith(gated, 'signed-out', 10).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/^Database signed-out was deleted by a sign-out/);
    expect(await databaseNames(indexedDB)).not.toContain('signed-out');
  });

  it('refuses a database of a newer version naming both schema versions, and leaves it as it was', async () => {
    const indexedDB = new IDBFactory();
    (await openWith(indexedDB, 'newer', 50)).close();
    const gated = openThroughGate(indexedDB) as IDBFactory;
    const error = await openWith(gated, 'newer', 40).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      /^Database newer has schema version 5, newer than version 4, the newest this code knows/,
    );
    expect(await indexedDB.databases()).toEqual([{ name: 'newer', version: 50 }]);
  });

  it('lists databases exactly where the runtime can', () => {
    const { factory } = wrappedFactory(new IDBFactory());
    expect(typeof openThroughGate(factory)?.databases).toBe('function');
    delete (factory as { databases?: unknown }).databases;
    expect(openThroughGate(factory)).not.toHaveProperty('databases');
  });
});

describe('a newer database', () => {
  let local: LocalStore;

  it('is refused with the exact message naming both versions', async () => {
    local = await localStore([]);
    await local.store.close();
    await openWith(local.indexedDB, local.databaseName, 50).then((db) => db.close());
    const store = local.openTab();
    opened.push(store);
    const error = await store.conversations.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe(
      `Database ${local.databaseName} has schema version 5, newer than version 4, the newest ` +
        'this code knows: it was written by a newer release of protocol-offline. Nothing was ' +
        'changed; load the newer app.',
    );
  });

  it('deleted while its version is read is reported as unknown, and not recreated', async () => {
    local = await localStore([]);
    await local.store.close();
    await openWith(local.indexedDB, local.databaseName, 50).then((db) => db.close());
    const real = local.indexedDB;
    // The probe (an open without a version) finds the database deleted meanwhile.
    const racing = {
      open: (name: string, version?: number) => {
        if (version !== undefined) return real.open(name, version);
        if (name === local.databaseName) real.deleteDatabase(name);
        return real.open(name);
      },
      deleteDatabase: (name: string) => real.deleteDatabase(name),
      cmp: (a: unknown, b: unknown) => real.cmp(a, b),
      databases: () => real.databases(),
    } as unknown as IDBFactory;
    const store = local.openTab({ indexedDB: racing as never });
    opened.push(store);
    const error = await store.conversations.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Database ${local.databaseName} has schema version unknown, newer than version 4,`,
      ),
    );
    expect(await databaseNames(real)).not.toContain(local.databaseName);
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
      readFileSync(new URL('../fixtures/v2.json', import.meta.url), 'utf8'),
    ) as Fixture;
    const indexedDB = new IDBFactory();
    await restoreDatabase(indexedDB, fixture.database);
    // An old connection that ignores versionchange (a tab of another library, a stuck one).
    const old = await openWith(indexedDB, fixture.database.name);
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    });
    const server = createReferenceServer({ token: TOKEN, seed: fixture.server });
    const store = createConversationStore({
      baseUrl: 'https://api.test',
      getToken: () => TOKEN,
      databaseName: fixture.database.name,
      fetch: server.fetch,
      indexedDB,
      IDBKeyRange,
      platform: createManualPlatform(),
      sync: { auto: false },
    });
    opened.push(store);
    const listing = store.conversations.list();
    let listed = false;
    void listing.then(
      () => (listed = true),
      () => (listed = true),
    );
    const blocked = () => warnings.filter((line) => /blocked/i.test(line));
    try {
      await tickUntil(() => blocked().length > 0);
      expect(blocked()).toEqual([expect.stringContaining(fixture.database.name)]);
      expect(listed).toBe(false);
    } finally {
      old.close();
    }
    expect(await listing).toEqual(fixture.expected.list);
  });
});

describe('the database list Dexie keeps for a runtime without indexedDB.databases()', () => {
  it('lists the store database with Dexie.getDatabaseNames', async () => {
    const { factory } = wrappedFactory(new IDBFactory());
    delete (factory as { databases?: unknown }).databases;
    const databaseName = 'gate-no-databases';
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
    const databaseName = 'gate-databases';
    const store = storeOn(databaseName, factory);
    expect((await store.conversations.list()).data).toEqual([]);
    await store.close();
    await tickUntil(() => openedNames.includes('__dbnames'));
    expect(openedNames).not.toContain('__dbnames');
    expect(await databaseNames(factory)).toContain(databaseName);
    expect(await databaseNames(factory)).not.toContain('__dbnames');
  });
});
