/**
 * The store as the app holds it (store.ts): close() and destroy() that return at once, what
 * its calls say once it is closed or a call fails, another tab or connection deleting or
 * upgrading its database, one sync lock per database, and sync.retry() of a refused write.
 */

import { firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ConversationStore,
  ProtocolOfflineError,
  type Rejection,
  StorageError,
} from '../src/index.js';
import {
  A,
  FAKE_TIMERS,
  harness,
  holdingFetch,
  localStore,
  requests,
  syncedSuite,
  TOKEN,
  tickUntil,
} from './fixtures.js';

/** The harness (`t.h`), its synced store (`t.store`) and the stores `open()` opens on it. */
const { t, synced, open } = syncedSuite();
/** Stores on a local database (no server), closed after each test too. */
const locals: ConversationStore[] = [];
const local = async (...args: Parameters<typeof localStore>) => {
  const made = await localStore(...args);
  locals.push(made.store);
  return made;
};
afterEach(async () => {
  for (const store of locals.splice(0)) await store.close().catch(() => {});
});

/** Lets IndexedDB work run while fake time stands still. */
const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Resolves with how much fake time passed until `promise` settled (at most `limitMs`). */
async function fakeTimeUntil(promise: Promise<unknown>, limitMs: number): Promise<number> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  const started = Date.now();
  while (!done && Date.now() - started < limitMs) {
    await flush();
    if (!done) await vi.advanceTimersByTimeAsync(5);
  }
  return Date.now() - started;
}

/** Whether `promise` has settled, readable synchronously (for tickUntil). */
function settledFlag(promise: Promise<unknown>) {
  const flag = { settled: false };
  void promise.then(
    () => (flag.settled = true),
    () => (flag.settled = true),
  );
  return flag;
}

/** Opens `name` at `version` directly, then closes the connection. */
function openRaw(indexedDB: IDBFactory, name: string, version: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error);
  });
}

/** Resolves 'completed' when `store`'s status$ completes (the store closed for good). */
const completed = (store: ConversationStore) =>
  new Promise<'completed'>((resolve) =>
    store.sync.status$.subscribe({ complete: () => resolve('completed') }),
  );
const soon = () => new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 100));

describe('close()', () => {
  beforeEach(() => {
    // IndexedDB (fake-indexeddb) runs on setImmediate, which stays real.
    vi.useFakeTimers(FAKE_TIMERS);
    t.h = harness([A]);
  });

  it('returns at once while a request hangs; the write is sent once after reopening', async () => {
    let hang = false;
    let started = 0;
    const store = open({
      fetch: (input, init) => {
        if (!hang) return t.h.network.fetch(input, init);
        started += 1;
        return new Promise<Response>(() => {}); // No answer, and the signal is ignored.
      },
    });
    await store.sync.now();
    await store.conversations.update(A.id, { is_muted: true });
    hang = true;
    const round = store.sync.now();
    await vi.waitFor(async () => {
      await flush();
      expect(started).toBe(1);
    });
    const elapsed = await fakeTimeUntil(store.close(), 30_000);
    expect(elapsed).toBeLessThan(50); // Not one timeout (10 s) for the push and one for the pull.
    await expect(round).resolves.toMatchObject({ state: 'offline' });

    const reopened = open();
    const summary = reopened.sync.now();
    await fakeTimeUntil(summary, 1000);
    await expect(summary).resolves.toMatchObject({ error: null });
    expect(requests(t.h.server, 'PUT')).toHaveLength(1);
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
    expect((await t.h.dump()).outbox).toEqual([]);
  });

  it('returns at once while getToken hangs, and destroy() too', async () => {
    let hangToken = false;
    const store = open({
      getToken: () => (hangToken ? new Promise<string>(() => {}) : TOKEN),
    });
    await store.sync.now();
    await store.conversations.update(A.id, { is_muted: true });
    hangToken = true;
    void store.sync.now();
    await flush();
    expect(await fakeTimeUntil(store.destroy(), 30_000)).toBeLessThan(50);
  });
});

describe('after close()', () => {
  it('every promise-returning method rejects only with a ProtocolOfflineError', async () => {
    const store = await synced([A]);
    const created = await store.conversations.create({ contact_id: 'k1' });
    await store.close();
    const calls: [string, () => Promise<unknown>][] = [
      ['list', () => store.conversations.list()],
      ['retrieve', () => store.conversations.retrieve(A.id)],
      ['create', () => store.conversations.create({ contact_id: 'k2' })],
      ['update', () => store.conversations.update(A.id, { is_muted: true })],
      ['delete', () => store.conversations.delete(created.id)],
      ['listOutbox', () => store.sync.listOutbox()],
      ['listRejections', () => store.sync.listRejections()],
      ['retry', () => store.sync.retry(1)],
      ['discard', () => store.sync.discard(1)],
      ['now', () => store.sync.now()],
    ];
    for (const [name, call] of calls) {
      const outcome = await call().then(
        () => 'resolved',
        (error: unknown) => error,
      );
      expect(outcome, name).toBeInstanceOf(ProtocolOfflineError);
      expect((outcome as Error).message, name).not.toMatch(/DatabaseClosedError/);
    }
    // destroy() after close() still deletes the database.
    await expect(store.destroy()).resolves.toBeUndefined();
  });

  it('listOutbox() and retry() reject with a StorageError naming them', async () => {
    const { store } = await local([A]);
    await store.close();
    const outbox = await store.sync.listOutbox().catch((caught: unknown) => caught);
    expect(outbox).toBeInstanceOf(StorageError);
    expect((outbox as Error).message).toMatch(/^listOutbox failed: /);
    const retry = await store.sync.retry(1).catch((caught: unknown) => caught);
    expect(retry).toBeInstanceOf(StorageError);
    expect((retry as Error).message).toMatch(/^retry failed: /);
  });
});

describe('destroy()', () => {
  it('rejects with a StorageError naming destroy when IndexedDB fails to delete the database', async () => {
    t.h = harness([A]);
    const real = t.h.indexedDB;
    const failure = new DOMException('The disk is on fire', 'UnknownError');
    const failing = {
      open: (name: string, version?: number) =>
        version === undefined ? real.open(name) : real.open(name, version),
      deleteDatabase: (name: string) => {
        if (name !== t.h.databaseName) return real.deleteDatabase(name);
        const request = { error: failure, onerror: null as ((event: unknown) => void) | null };
        const event = { target: request, preventDefault: () => {}, stopPropagation: () => {} };
        setImmediate(() => request.onerror?.(event));
        return request;
      },
      cmp: (a: unknown, b: unknown) => real.cmp(a, b),
      databases: () => real.databases(),
    } as unknown as IDBFactory;
    const store = open({ indexedDB: failing as never });
    await store.sync.now();
    const error = await store.destroy().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/^destroy failed: The disk is on fire/);
    expect((error as Error).message).not.toContain(TOKEN);
  });
});

describe('another tab or connection', () => {
  it('deleting the database with destroy() closes this store for good', async () => {
    const tabs = await local([A]);
    const other = tabs.openTab();
    locals.push(other);
    expect((await other.conversations.list()).data).toHaveLength(1);
    const done = completed(other);
    await tabs.store.destroy();
    expect(await Promise.race([done, soon()])).toBe('completed');
  });

  it('deleting the database another way closes this store, which does not recreate it', async () => {
    const { store, indexedDB, databaseName } = await local([A]);
    expect((await store.conversations.list()).data).toHaveLength(1);
    const done = completed(store);
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(databaseName);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    await done;
    await store.close();
    await expect(store.conversations.list()).rejects.toThrow(/the store is closed/);
    const names = (await indexedDB.databases()).map((database) => database.name);
    expect(names).not.toContain(databaseName);
  });

  it('upgrading the database does not close this store; its reads then refuse the newer database', async () => {
    const { store, indexedDB, databaseName } = await local([A]);
    expect((await store.conversations.list()).data).toHaveLength(1);
    const done = completed(store);
    await openRaw(indexedDB, databaseName, 50);
    expect(await Promise.race([done, soon()])).toBe('open');
    await expect(store.conversations.list()).rejects.toThrow(
      /schema version 5, newer than version 4/,
    );
  });
});

describe('one sync lock per database', () => {
  it("a round held open on one database does not hold up the other database's sync.now()", async () => {
    t.h = harness([A]);
    const held = holdingFetch(t.h.network.fetch, ['GET']);
    const first = open({ fetch: held.fetch });
    const second = open({ databaseName: `${t.h.databaseName}-other` });
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
    const store = await synced([A]);
    await store.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(409, 1, { methods: ['PUT'] });
    await store.sync.now();
    const [rejection] = await store.sync.listRejections();
    expect(await firstValueFrom(store.sync.pending$)).toEqual(new Set());

    await store.sync.retry((rejection as Rejection).id);
    // As after any local write: no wait for the outbox to be read again.
    expect(await firstValueFrom(store.sync.pending$)).toEqual(new Set([A.id]));
    await store.sync.now();
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
    expect(requests(t.h.server, 'PUT')).toHaveLength(2); // The refused one and the retry.
    expect(await firstValueFrom(store.sync.pending$)).toEqual(new Set());
  });

  it('re-applies a refused create without updates: the record is back and sent once', async () => {
    const store = await synced();
    await store.conversations.create({ contact_id: 'k5' });
    t.h.server.faults.failNext(400, 1, { methods: ['POST'] });
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
    expect(t.h.server.all().filter((row) => row.contact_id === 'k5')).toHaveLength(1);
    expect(requests(t.h.server, 'POST')).toHaveLength(2); // The refused one and the retry.
  });
});
