/**
 * Background Sync in the service worker: one round on the database the page recorded;
 * nothing at all for a database deleted by a sign-out.
 */
import { IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { flushOnce } from '../src/sw.js';
import { A, harness, requests, TOKEN } from './fixtures.js';

const workerOptions = (h: ReturnType<typeof harness>) => ({
  baseUrl: 'https://api.test',
  getToken: () => TOKEN,
  fetch: h.network.fetch,
  indexedDB: h.indexedDB,
  IDBKeyRange,
  platform: h.platform,
});

describe('flushOnce', () => {
  it('pushes the outbox of the database the page recorded, read when the event comes', async () => {
    const h = harness([A]);
    const store = h.open();
    await store.sync.now();
    await store.conversations.update(A.id, { is_muted: true });
    await store.close();
    const recorded = async () => h.databaseName; // What the page recorded, read at the event.
    expect(await flushOnce({ ...workerOptions(h), databaseName: recorded })).toMatchObject({
      pushed: 1,
    });
    expect(h.server.get(A.id)?.is_muted).toBe(true);
  });

  it('resolves with null and syncs nothing when no database is recorded', async () => {
    const h = harness([A]);
    expect(await flushOnce({ ...workerOptions(h), databaseName: () => null })).toBeNull();
    expect(h.server.requests).toEqual([]);
  });

  it('resolves with null for a signed-out database and does not recreate it', async () => {
    const h = harness([A]);
    const store = h.open();
    await store.sync.now();
    await store.destroy();
    h.server.clearRequests();
    const summary = await flushOnce({ ...workerOptions(h), databaseName: h.databaseName });
    expect(summary).toBeNull();
    expect(requests(h.server, 'GET')).toEqual([]);
    const names = (await h.indexedDB.databases()).map((database) => database.name);
    expect(names).not.toContain(h.databaseName);
  });
});
