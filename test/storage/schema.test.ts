/**
 * The versioned schema: a database written by 0.1.0 (test/fixtures/v0.1.0.json, made by
 * scripts/make-v010-fixture.ts) or by the last schema-2 build (test/fixtures/v2.json, the
 * same script) opens with every queued write, base, rejection and record intact (schema
 * 3 moved each base into the first entry of its record and marks queued rows), and
 * syncs each write once; a database from a newer release is refused.
 */
import { readFileSync } from 'node:fs';
import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Conversation,
  type ConversationStore,
  createConversationStore,
  type ListPage,
  type OutboxItem,
  StorageError,
} from '../../src/index.js';
import { SCHEMA, SCHEMA_VERSION, toStored } from '../../src/storage/schema.js';
import { createManualPlatform, createReferenceServer } from '../../src/testing/index.js';
import {
  conversation,
  type DatabaseDump,
  dumpDatabase,
  requests,
  restoreDatabase,
  TOKEN,
} from '../fixtures.js';

interface Fixture {
  database: DatabaseDump;
  server: Conversation[];
  expected: { list: ListPage; outbox: OutboxItem[]; rejections: unknown[] };
}

const load = (file: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as Fixture;
const FIXTURES = { '0.1.0': load('v0.1.0.json'), 'schema 2': load('v2.json') };
const fixture = FIXTURES['0.1.0'];
const rowsOf = (name: string, from = fixture) =>
  from.database.stores.find((store) => store.name === name)?.rows ?? [];

type Row = Record<string, unknown>;
/**
 * The tables an older database holds after the upgrade to schema 3, worked out from its
 * dump: each base on the first entry (lowest `seq`) of its record, the queued marker on
 * the rows of records with entries, no `bases` table; every other row as it was.
 */
function upgradedTables(from: Fixture) {
  const outbox = rowsOf('outbox', from) as Row[];
  const bases = new Map((rowsOf('bases', from) as Row[]).map((row) => [row.id, row.row]));
  const heads = new Set<Row>();
  const queued = new Set<unknown>();
  for (const entry of [...outbox].sort((a, b) => (a.seq as number) - (b.seq as number))) {
    if (!queued.has(entry.recordId)) heads.add(entry);
    queued.add(entry.recordId);
  }
  return {
    outbox: outbox.map((entry) =>
      heads.has(entry) && bases.has(entry.recordId)
        ? { ...entry, base: bases.get(entry.recordId) }
        : entry,
    ),
    // Schema 3 marks queued rows; schema 4 adds the `a` key, `[muted, archived, ...s]`.
    conversations: (rowsOf('conversations', from) as Row[]).map((row) => {
      const [muted, archived, , ...s] = row.f as unknown[];
      const upgraded = { ...row, a: [muted, archived, ...s] };
      return queued.has(row.id) ? { ...upgraded, q: 1 } : upgraded;
    }),
    bases: undefined,
    aliases: rowsOf('aliases', from),
    rejections: rowsOf('rejections', from),
    meta: rowsOf('meta', from),
  };
}

let store: ConversationStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function openFixture(from = fixture) {
  const fixture = from;
  const indexedDB = new IDBFactory();
  await restoreDatabase(indexedDB, fixture.database);
  const server = createReferenceServer({ token: TOKEN, seed: fixture.server });
  store = createConversationStore({
    baseUrl: 'https://api.test',
    getToken: () => TOKEN,
    databaseName: fixture.database.name,
    fetch: server.fetch,
    indexedDB,
    IDBKeyRange,
    platform: createManualPlatform(),
    sync: { auto: false },
  });
  return { indexedDB, server, store };
}

/** The native version and store names of a database, read without Dexie. */
function inspect(indexedDB: IDBFactory, name: string) {
  return new Promise<{ version: number; stores: string[] }>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => {
      const db = request.result;
      resolve({ version: db.version, stores: [...db.objectStoreNames] });
      db.close();
    };
    request.onerror = () => reject(request.error);
  });
}

describe('schema versions', () => {
  it('is a list of versions, each newer than the one before', () => {
    expect(SCHEMA.map((entry) => entry.version)).toEqual(SCHEMA.map((_, index) => index + 1));
    expect(SCHEMA_VERSION).toBe(4);
  });

  it.each(Object.entries(FIXTURES))(
    'opens a %s database with its records, outbox, bases, aliases and rejections intact',
    async (_, fixture) => {
      const { indexedDB, store } = await openFixture(fixture);
      expect(fixture.database.version).toBeLessThan(30);
      expect(await store.conversations.list({ limit: 100 })).toEqual(fixture.expected.list);
      expect(await store.sync.listOutbox()).toEqual(fixture.expected.outbox);
      const rejections = (await store.sync.listRejections()).map(({ error, ...rest }) => ({
        ...rest,
        error: { status: error.status, type: error.type, message: error.message },
      }));
      expect(rejections).toEqual(fixture.expected.rejections);
      await store.close();
      const tables = await dumpDatabase(fixture.database.name, indexedDB);
      const expected = upgradedTables(fixture);
      for (const [name, rows] of Object.entries(expected)) expect(tables[name], name).toEqual(rows);
      // Every base found a home: each record with a base still has entries.
      expect(expected.outbox.filter((entry) => 'base' in entry)).toHaveLength(
        rowsOf('bases', fixture).length,
      );
      expect(tables.evicted).toEqual([]);
      expect(await inspect(indexedDB, fixture.database.name)).toMatchObject({ version: 40 });
    },
  );

  it.each(Object.entries(FIXTURES))(
    'syncs each write of a %s outbox exactly once, creates and deletes with the Idempotency-Key they were queued with',
    async (_, fixture) => {
      const { server, store } = await openFixture(fixture);
      await store.sync.now();
      await store.sync.now();
      const writes = server.requests.filter((request) => request.method !== 'GET');
      expect(writes.map((request) => request.method).sort()).toEqual([
        'DELETE',
        'POST',
        'PUT',
        'PUT',
        'PUT',
      ]);
      // Updates of records not confirmed since the reload are read first (DESIGN 4, the
      // conflict check) and go out as one decided PUT under a new key; creates and deletes
      // keep the key they were queued with, so a lost reply still cannot duplicate them.
      const queued = rowsOf('outbox', fixture) as { key: string; op: string }[];
      const keysOf = (op: string) =>
        queued.filter((entry) => entry.op === op).map((entry) => entry.key);
      expect(requests(server, 'POST').map((r) => r.idempotencyKey)).toEqual(keysOf('create'));
      expect(requests(server, 'DELETE').map((r) => r.idempotencyKey)).toEqual(keysOf('delete'));
      expect(requests(server, 'POST')[0]?.body).toEqual({ contact_id: 'contact-new' });
      expect(await store.sync.listOutbox()).toEqual([]);
      const created = server.all().find((row) => row.contact_id === 'contact-new');
      expect(created?.is_muted).toBe(true);
      expect(server.get('BBBBBBBBBBBBBBBB')?.is_muted).toBe(true);
      expect(server.get('CCCCCCCCCCCCCCCC')?.archived_at).toBe(1_700_000_050);
      expect(server.get('DDDDDDDDDDDDDDDD')).toBeUndefined();
      expect(await store.sync.listRejections()).toHaveLength(1); // Still the app's to decide.
    },
  );

  it('refuses a database from a newer release with a StorageError naming both versions, changing nothing', async () => {
    const indexedDB = new IDBFactory();
    const newer: DatabaseDump = {
      ...fixture.database,
      version: (SCHEMA_VERSION + 1) * 10,
      stores: [
        ...fixture.database.stores,
        {
          ...fixture.database.stores[0],
          name: 'future',
          rows: [],
        } as DatabaseDump['stores'][number],
      ],
    };
    await restoreDatabase(indexedDB, newer);
    const before = await dumpRaw(indexedDB, newer);
    store = createConversationStore({
      baseUrl: 'https://api.test',
      getToken: () => TOKEN,
      databaseName: newer.name,
      indexedDB,
      IDBKeyRange,
      platform: createManualPlatform(),
      sync: { auto: false },
    });
    const error = await store.conversations.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/schema version 5, newer than version 4/);
    await expect(store.conversations.create({ contact_id: 'k' })).rejects.toBeInstanceOf(
      StorageError,
    );
    expect(await inspect(indexedDB, newer.name)).toEqual({
      version: newer.version,
      stores: [...newer.stores.map((entry) => entry.name)].sort(),
    });
    expect(await dumpRaw(indexedDB, newer)).toEqual(before);
  });
});

/** Every row of every store, read without Dexie (which would not open a newer database). */
async function dumpRaw(indexedDB: IDBFactory, dump: DatabaseDump) {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(dump.name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const names = [...db.objectStoreNames];
  const transaction = db.transaction(names, 'readonly');
  const rows = await Promise.all(
    names.map(
      (name) =>
        new Promise<unknown[]>((resolve, reject) => {
          const request = transaction.objectStore(name).getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        }),
    ),
  );
  db.close();
  return Object.fromEntries(names.map((name, index) => [name, rows[index]]));
}

describe('schema 4: the muted/archived index', () => {
  it('gives every row and every stub of a schema 3 database its `a` key, and changes nothing else', async () => {
    const indexedDB = new IDBFactory();
    const name = `schema-3-${Date.now()}`;
    const v3 = new Dexie(name, { indexedDB, IDBKeyRange });
    for (const { version, stores, upgrade } of SCHEMA.slice(0, 3)) {
      const declared = v3.version(version).stores(stores);
      if (upgrade !== undefined) declared.upgrade(upgrade);
    }
    const { a: _rowKey, ...row } = toStored(
      conversation({ id: 'RRRRRRRRRRRRRRRR', is_muted: true }),
    );
    const { a: _stubKey, ...stubRow } = toStored(
      conversation({ id: 'EEEEEEEEEEEEEEEE', archived_at: 5, last_active_at: 9 }),
    );
    const stub = { id: stubRow.id, s: stubRow.s, f: stubRow.f, h: 7 };
    await v3.table('conversations').put({ ...row, q: 1 });
    await v3.table('evicted').put(stub);
    await v3.table('outbox').add({ recordId: row.id, op: 'update', patch: { is_muted: true } });
    v3.close();
    store = createConversationStore({
      baseUrl: 'https://api.test',
      getToken: () => TOKEN,
      databaseName: name,
      indexedDB,
      IDBKeyRange,
      platform: createManualPlatform(),
      sync: { auto: false },
    });
    expect((await store.conversations.list({ muted: true, archived: false })).data).toHaveLength(1);
    await store.close();
    const tables = await dumpDatabase(name, indexedDB);
    expect(tables.conversations).toEqual([{ ...row, q: 1, a: [1, 0, ...row.s] }]);
    expect(tables.evicted).toEqual([{ ...stub, a: [0, 1, ...stub.s] }]);
    expect(tables.outbox).toHaveLength(1);
  });
});
