/**
 * Writes test/fixtures/v0.1.0.json: a database made by protocol-offline 0.1.0 (commit
 * c052c15), with synced records, pending creates, updates and deletes (some sent without
 * an answer) and a rejection, dumped from fake-indexeddb with its exact object stores and
 * indexes. test/db.test.ts restores it and opens it with the current code.
 *
 *   git worktree add /tmp/v010 c052c15 && (cd /tmp/v010 && npm ci && npm run build)
 *   npx tsx scripts/make-v010-fixture.ts /tmp/v010/dist
 *
 * The same steps against a later build write a fixture of that schema version, e.g.
 * test/fixtures/v2.json (schema 2, commit 3cd0fc9, the last before schema 3):
 *
 *   npx tsx scripts/make-v010-fixture.ts /tmp/v2/dist v2.json 'protocol-offline schema 2 (3cd0fc9)'
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { Conversation } from '../src/index.js';
import type { DatabaseDump } from '../test/fixtures.js';

const dist = resolve(process.argv[2] ?? '/tmp/v010/dist');
// The 0.1.0 build; its API is a subset of today's, so today's types describe it.
const v010 = (await import(`${dist}/index.js`)) as typeof import('../src/index.js');
const testing = (await import(
  `${dist}/testing/index.js`
)) as typeof import('../src/testing/index.js');

const TOKEN = 'fixture-token';
const row = (id: string, lastActive: number, extra: Partial<Conversation> = {}): Conversation => ({
  id,
  contact_id: `contact-${id.slice(0, 4)}`,
  group_id: null,
  pinned_message_id: null,
  is_pinned: false,
  is_muted: false,
  last_active_at: lastActive,
  last_opened_at: null,
  created_at: 1_600_000_000,
  archived_at: null,
  ...extra,
});
const seed = [
  row('AAAAAAAAAAAAAAAA', 600),
  row('BBBBBBBBBBBBBBBB', 500, { group_id: 'group-1' }),
  row('CCCCCCCCCCCCCCCC', 400, { is_pinned: true }),
  row('DDDDDDDDDDDDDDDD', 300),
  row('EEEEEEEEEEEEEEEE', 200, { is_muted: true }),
];

const server = testing.createReferenceServer({ token: TOKEN, seed, now: () => 1_700_000_000 });
const network = testing.createNetworkSwitch(server.fetch);
const indexedDB = new IDBFactory();
const databaseName = 'protocol-offline:fixture-user';
const store = v010.createConversationStore({
  baseUrl: 'https://api.test',
  getToken: () => TOKEN,
  databaseName,
  fetch: network.fetch,
  indexedDB,
  IDBKeyRange,
  platform: testing.createManualPlatform(),
  now: () => 1_700_000_100,
  sync: { auto: false, retry: { baseMs: 10, maxMs: 100 } },
});

await store.sync.now(); // Every seed row synced.
// A refused update: rolled back and kept as a rejection.
server.faults.failNext(422, 1, { methods: ['PUT'], message: 'Refused by the fixture' });
await store.conversations.update('AAAAAAAAAAAAAAAA', { is_pinned: true });
await store.sync.now();
// Offline: a create then an update of it, an update sent once without an answer, a delete.
network.offline = true;
const created = await store.conversations.create({ contact_id: 'contact-new' });
await store.conversations.update('BBBBBBBBBBBBBBBB', { is_muted: true });
await store.sync.now(); // Sends (and loses) the POST and the PUT: they are frozen now.
await store.conversations.update(created.id, { is_muted: true });
await store.conversations.update('CCCCCCCCCCCCCCCC', { archived_at: 1_700_000_050 });
await store.conversations.delete('DDDDDDDDDDDDDDDD');

const expected = {
  list: await store.conversations.list({ limit: 100 }),
  outbox: await store.sync.listOutbox(),
  rejections: (await store.sync.listRejections()).map(({ error, ...rest }) => ({
    ...rest,
    error: { status: error.status, type: error.type, message: error.message },
  })),
};
await store.close();

/** Every object store of the database, with its indexes and rows. */
async function dump(): Promise<DatabaseDump> {
  const db = await new Promise<IDBDatabase>((ok, fail) => {
    const request = indexedDB.open(databaseName);
    request.onsuccess = () => ok(request.result);
    request.onerror = () => fail(request.error);
  });
  const names = [...db.objectStoreNames];
  const transaction = db.transaction(names, 'readonly');
  const stores = await Promise.all(
    names.map(async (name) => {
      const store = transaction.objectStore(name);
      const rows = await new Promise<unknown[]>((ok, fail) => {
        const request = store.getAll();
        request.onsuccess = () => ok(request.result);
        request.onerror = () => fail(request.error);
      });
      const indexes = [...store.indexNames].map((indexName) => {
        const index = store.index(indexName);
        return {
          name: indexName,
          keyPath: index.keyPath,
          unique: index.unique,
          multiEntry: index.multiEntry,
        };
      });
      return {
        name,
        keyPath: store.keyPath as string | string[] | null,
        autoIncrement: store.autoIncrement,
        indexes,
        rows,
      };
    }),
  );
  db.close();
  return { name: databaseName, version: db.version, stores };
}

const fixture = {
  createdBy: process.argv[4] ?? 'protocol-offline 0.1.0 (c052c15)',
  database: await dump(),
  server: server.all(),
  expected,
};
const path = resolve(import.meta.dirname, `../test/fixtures/${process.argv[3] ?? 'v0.1.0.json'}`);
await writeFile(path, `${JSON.stringify(fixture, null, 2)}\n`);
console.log(`wrote ${path}`);
