import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ConversationStore,
  createConversationStore,
  type ListPage,
  StorageError,
} from '../../src/index.js';
import { createReferenceServer } from '../../src/testing/index.js';
import { A, B, C, TOKEN, until } from '../fixtures.js';

const stores: ConversationStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => {});
});

const counter = 0;

/** A store on its own IDBFactory (no global IndexedDB), syncing by itself from a slow server. */
function slowlySyncedStore(indexedDB: IDBFactory) {
  const server = createReferenceServer({ token: TOKEN, seed: [A, B, C] });
  server.faults.latencyMs = 50;
  const store = createConversationStore({
    baseUrl: 'https://api.test',
    getToken: () => TOKEN,
    databaseName: `factories-${counter}`,
    fetch: server.fetch,
    indexedDB,
    IDBKeyRange,
  });
  stores.push(store);
  return store;
}

describe('openDatabase with an IDBFactory passed as an option', () => {
  it('keeps list$ live on each of two stores on two different factories', async () => {
    const first = slowlySyncedStore(new IDBFactory());
    const second = slowlySyncedStore(new IDBFactory());
    const pages: ListPage[][] = [[], []];
    // Subscribed at once, before the first sync has landed.
    const subscriptions = [
      first.conversations.list$().subscribe((page) => pages[0]?.push(page)),
      second.conversations.list$().subscribe((page) => pages[1]?.push(page)),
    ];
    await until(first.sync.status$, (s) => s.lastSyncedAt !== null);
    await until(second.sync.status$, (s) => s.lastSyncedAt !== null);
    await expect
      .poll(() => pages.map((emitted) => emitted.at(-1)?.data.length), { timeout: 2000 })
      .toEqual([3, 3]);
    expect(pages.map((emitted) => emitted[0]?.data.length)).toEqual([0, 0]);
    // And later local writes show too, on both.
    await second.conversations.update(A.id, { is_muted: true });
    await expect
      .poll(() => pages[1]?.at(-1)?.data.find((row) => row.id === A.id)?.is_muted)
      .toBe(true);
    for (const subscription of subscriptions) subscription.unsubscribe();
  });
});

describe('a runtime without IndexedDB (SSR, Node without a shim)', () => {
  it('fails reads and writes with a StorageError that says how to pass one, and status$ shows it', async () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // Another store with a factory of its own must not lend it to this one.
      slowlySyncedStore(new IDBFactory());
      const store = createConversationStore({
        baseUrl: 'https://api.test',
        getToken: () => TOKEN,
        databaseName: 'no-indexeddb',
        fetch: createReferenceServer({ token: TOKEN }).fetch,
      });
      stores.push(store);
      const status = await until(store.sync.status$, (s) => s.state === 'error');
      expect(status.lastError).toBeInstanceOf(StorageError);
      expect(status.lastError?.message).toMatch(/IndexedDB is missing.*`indexedDB` option/);
      for (const call of [
        () => store.conversations.list(),
        () => store.conversations.retrieve('x'),
        () => store.conversations.create({ contact_id: 'k' }),
        () => store.sync.listOutbox(),
        () => store.sync.now().then((summary) => Promise.reject(summary.error)),
      ]) {
        const error = await call().then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(StorageError);
        expect((error as Error).message).toMatch(/IndexedDB is missing/);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
