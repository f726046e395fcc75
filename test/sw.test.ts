/**
 * Background Sync in the service worker: one round on the database the page recorded;
 * nothing at all for a database deleted by a sign-out.
 */
import { IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetworkError } from '../src/model/errors.js';
import {
  BACKGROUND_SYNC_TAG,
  flushOnce,
  handleBackgroundSync,
  requestBackgroundSync,
} from '../src/sw.js';
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

/** The service worker's global scope: an EventTarget whose `sync` events the test dispatches. */
function fakeWorkerScope() {
  const scope = new EventTarget();
  vi.stubGlobal('addEventListener', scope.addEventListener.bind(scope));
  vi.stubGlobal('removeEventListener', scope.removeEventListener.bind(scope));
  /** Dispatches a `sync` event; resolves with what it was told to wait for, or null if ignored. */
  return async (tag: string) => {
    const waited: Promise<unknown>[] = [];
    const event = Object.assign(new Event('sync'), {
      tag,
      waitUntil: (promise: Promise<unknown>) => waited.push(promise),
    });
    scope.dispatchEvent(event);
    return waited.length === 0 ? null : await Promise.all(waited);
  };
}

describe('handleBackgroundSync', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("flushes the outbox on the store's sync event, ignores other tags, and stops when unsubscribed", async () => {
    const h = harness([A]);
    const store = h.open();
    await store.sync.now();
    await store.conversations.update(A.id, { is_muted: true });
    await store.close();
    const dispatchSync = fakeWorkerScope();
    const stop = handleBackgroundSync({ ...workerOptions(h), databaseName: h.databaseName });
    expect(await dispatchSync('another-app')).toBeNull();
    expect(requests(h.server, 'PUT')).toEqual([]);
    expect(await dispatchSync(BACKGROUND_SYNC_TAG)).toEqual([
      expect.objectContaining({ pushed: 1 }),
    ]);
    expect(h.server.get(A.id)?.is_muted).toBe(true);
    stop();
    expect(await dispatchSync(BACKGROUND_SYNC_TAG)).toBeNull();
  });

  it('answers only its own tag when given one', async () => {
    const dispatchSync = fakeWorkerScope();
    const stop = handleBackgroundSync({
      baseUrl: 'https://api.test',
      getToken: () => TOKEN,
      tag: 'mine',
      databaseName: () => null,
    });
    expect(await dispatchSync(BACKGROUND_SYNC_TAG)).toBeNull();
    expect(await dispatchSync('mine')).toEqual([null]);
    stop();
  });
});

describe('requestBackgroundSync', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('resolves false without a service worker', async () => {
    vi.stubGlobal('navigator', {});
    expect(await requestBackgroundSync()).toBe(false);
  });

  it('resolves false where the registration has no Background Sync', async () => {
    vi.stubGlobal('navigator', { serviceWorker: { ready: Promise.resolve({}) } });
    expect(await requestBackgroundSync()).toBe(false);
  });

  it('resolves false where the service worker or Background Sync is null', async () => {
    vi.stubGlobal('navigator', { serviceWorker: null });
    expect(await requestBackgroundSync()).toBe(false);
    vi.stubGlobal('navigator', { serviceWorker: { ready: Promise.resolve({ sync: null }) } });
    expect(await requestBackgroundSync()).toBe(false);
    vi.stubGlobal('navigator', null);
    expect(await requestBackgroundSync()).toBe(false);
  });

  it('registers the tag and resolves true where Background Sync exists', async () => {
    const tags: string[] = [];
    const sync = { register: async (tag: string) => void tags.push(tag) };
    vi.stubGlobal('navigator', { serviceWorker: { ready: Promise.resolve({ sync }) } });
    expect(await requestBackgroundSync()).toBe(true);
    expect(await requestBackgroundSync('mine')).toBe(true);
    expect(tags).toEqual([BACKGROUND_SYNC_TAG, 'mine']);
  });
});

describe('flushOnce, more', () => {
  it("uses the database 'protocol-offline' when none is named", async () => {
    const h = harness([A]);
    const store = h.open({ databaseName: 'protocol-offline' });
    await store.sync.now();
    await store.conversations.update(A.id, { is_muted: true });
    await store.close();
    expect(await flushOnce(workerOptions(h))).toMatchObject({ pushed: 1 });
    expect(h.server.get(A.id)?.is_muted).toBe(true);
  });

  it('rejects with the network error while the server cannot be reached, so the browser retries later', async () => {
    const h = harness([A]);
    const store = h.open();
    await store.sync.now();
    await store.conversations.update(A.id, { is_muted: true });
    await store.close();
    h.network.offline = true;
    const flushed = flushOnce({ ...workerOptions(h), databaseName: h.databaseName });
    await expect(flushed).rejects.toBeInstanceOf(NetworkError);
    h.network.offline = false;
    expect(await flushOnce({ ...workerOptions(h), databaseName: h.databaseName })).toMatchObject({
      pushed: 1,
    });
  });

  it('closes the store it opened once the round ends: every channel it opened is closed', async () => {
    const h = harness([A], { tabs: true });
    const open = new Set<unknown>();
    const channel = h.platform.channel;
    const platform = {
      ...h.platform,
      channel: (name: string) => {
        const inner = channel?.(name);
        if (inner === undefined) throw new Error('the harness has channels');
        open.add(inner);
        return {
          ...inner,
          close: () => {
            open.delete(inner);
            inner.close();
          },
        };
      },
    };
    expect(
      await flushOnce({ ...workerOptions(h), platform, databaseName: h.databaseName }),
    ).not.toBeNull();
    expect(open.size).toBe(0);
  });
});

describe('flushOnce while offline, signed out before its round ran', () => {
  it("rejects with an Error('offline'), so the browser retries later (and then finds the sign-out)", async () => {
    const h = harness([A]);
    const page = h.open();
    await page.sync.now();
    await page.close();
    h.platform.online = false;
    let releaseLock: () => void = () => {};
    const pageRound = new Promise<void>((resolve) => {
      releaseLock = resolve;
    });
    // A page's round holds the database's round lock while the worker's event comes.
    void h.platform.withLock(`protocol-offline:sync:${h.databaseName}`, () => pageRound);
    let waiting: () => void = () => {};
    const workerWaits = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const platform = {
      ...h.platform,
      withLock: <T>(name: string, task: () => Promise<T>) => {
        waiting();
        return h.platform.withLock(name, task);
      },
    };
    const flushed = flushOnce({ ...workerOptions(h), platform, databaseName: h.databaseName });
    await workerWaits;
    // The page signs out: the database is deleted, and the worker's store closes itself.
    await h.open().destroy();
    releaseLock();
    await expect(flushed).rejects.toThrow(new Error('offline'));
    expect(await flushOnce({ ...workerOptions(h), databaseName: h.databaseName })).toBeNull();
  });
});
