// @vitest-environment happy-dom
/**
 * The default platform under happy-dom, whose navigator.locks is null: a store with no
 * `platform` option and automatic sync on must sync, with null features counted as absent.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConversationStore, createConversationStore } from '../../src/index.js';
import { createReferenceServer } from '../../src/testing/index.js';
import { A, B, TOKEN, until } from '../fixtures.js';

let store: ConversationStore | undefined;

afterEach(async () => {
  await store?.close();
});

describe('a store under happy-dom with the default platform', () => {
  it('syncs by itself against the reference server although navigator.locks is null', async () => {
    expect(navigator.locks).toBeNull();
    const server = createReferenceServer({ token: TOKEN, seed: [A, B] });
    store = createConversationStore({
      baseUrl: 'https://api.test',
      getToken: () => TOKEN,
      databaseName: 'happy-dom',
      fetch: server.fetch,
      indexedDB: new IDBFactory(),
      IDBKeyRange,
      sync: { debounceMs: 10 },
    });
    const first = await until(store.sync.status$, (status) => status.hasSynced);
    expect(first.lastError).toBeNull();
    expect((await store.conversations.list()).data.map((row) => row.id)).toEqual([A.id, B.id]);

    await store.conversations.update(A.id, { is_muted: true });
    await until(store.sync.status$, (status) => status.pending === 0 && status.state === 'idle');
    expect(server.get(A.id)?.is_muted).toBe(true);
  });
});
