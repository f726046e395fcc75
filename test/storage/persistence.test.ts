/**
 * store.storage: persist() asks the storage manager once and remembers the answer;
 * estimate$ replays the latest estimate and is read again after rounds and failed writes;
 * status.persisted shows the answer.
 */
import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import type { StorageManagerLike } from '../../src/index.js';
import { createManualPlatform } from '../../src/testing/index.js';
import { harness, record, tickUntil, until } from '../fixtures.js';

function fakeManager(granted = true) {
  const calls = { persist: 0, estimate: 0 };
  const manager: StorageManagerLike = {
    persist: async () => {
      calls.persist += 1;
      return granted;
    },
    estimate: async () => {
      calls.estimate += 1;
      return { usage: 1000 * calls.estimate, quota: 1_000_000 };
    },
  };
  return { manager, calls };
}

function withManager(manager: StorageManagerLike | undefined) {
  const platform = createManualPlatform();
  return { ...platform, storage: () => manager };
}

describe('persist()', () => {
  it('asks once, remembers the grant in the database, and shows it in status$', async () => {
    const h = harness();
    const { manager, calls } = fakeManager(true);
    const store = h.open({ platform: withManager(manager) });
    expect((await until(store.sync.status$, () => true)).persisted).toBe(false);
    const [first, second] = await Promise.all([store.storage.persist(), store.storage.persist()]);
    expect([first, second]).toEqual([true, true]);
    expect(calls.persist).toBe(1);
    await until(store.sync.status$, (status) => status.persisted);
    await store.close();
    const reopened = h.open({ platform: withManager(manager) });
    await until(reopened.sync.status$, (status) => status.persisted); // Read back at start.
    expect(await reopened.storage.persist()).toBe(true);
    expect(calls.persist).toBe(1);
    await reopened.close();
  });

  it('resolves false where the storage manager is missing or refuses', async () => {
    const h = harness();
    const missing = h.open({ platform: withManager(undefined) });
    expect(await missing.storage.persist()).toBe(false);
    await missing.close();
    const refusing = h.open({ platform: withManager(fakeManager(false).manager) });
    expect(await refusing.storage.persist()).toBe(false);
    expect((await until(refusing.sync.status$, () => true)).persisted).toBe(false);
    await refusing.close();
  });
});

describe('estimate$', () => {
  it('is null, and persist() false, where the storage manager has null methods', async () => {
    const h = harness();
    const nulls = { persist: null, estimate: null, getDirectory: null };
    const store = h.open({ platform: withManager(nulls as unknown as StorageManagerLike) });
    expect(await until(store.storage.estimate$, () => true)).toBeNull();
    expect(await store.storage.persist()).toBe(false);
    await store.close();
  });

  it('replays the latest estimate and reads it again when a round ends', async () => {
    const h = harness();
    const { manager, calls } = fakeManager();
    const store = h.open({ platform: withManager(manager) });
    expect(await until(store.storage.estimate$, (value) => value !== null)).toEqual({
      usage: 1000,
      quota: 1_000_000,
    });
    await store.sync.now();
    await until(store.storage.estimate$, (value) => value?.usage === 2000);
    expect(calls.estimate).toBe(2);
    await store.close();
  });

  it('reads it again after a write failed', async () => {
    const h = harness();
    const { manager } = fakeManager();
    const broken = (db: Dexie) => {
      if (db.name !== h.databaseName) return;
      db.use({
        stack: 'dbcore',
        name: 'broken-outbox',
        create: (down) => ({
          ...down,
          table: (name) =>
            name === 'outbox'
              ? { ...down.table(name), mutate: () => Promise.reject(new Error('disk error')) }
              : down.table(name),
        }),
      });
    };
    Dexie.addons.push(broken);
    try {
      const store = h.open({ platform: withManager(manager) });
      await until(store.storage.estimate$, (value) => value?.usage === 1000);
      await expect(store.conversations.create({ contact_id: 'k' })).rejects.toThrow(/disk error/);
      await until(store.storage.estimate$, (value) => value?.usage === 2000);
      await store.close();
    } finally {
      Dexie.addons.splice(Dexie.addons.indexOf(broken), 1);
    }
  });

  it('does not read it again when a write is refused for bad input', async () => {
    const h = harness();
    const { manager, calls } = fakeManager();
    const store = h.open({ platform: withManager(manager) });
    await until(store.storage.estimate$, (value) => value?.usage === 1000);
    await expect(store.conversations.update('nope', { is_muted: true })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'id',
    });
    // A failed write reads the estimate synchronously, before its promise rejects.
    expect(calls.estimate).toBe(1);
    await store.close();
  });

  it('is null where the browser has no estimate', async () => {
    const h = harness();
    const store = h.open({ platform: withManager(undefined) });
    expect(await until(store.storage.estimate$, () => true)).toBeNull();
    await store.close();
  });
});

describe('storage manager failures', () => {
  it('persist() resolves false when the storage manager rejects the request', async () => {
    const h = harness();
    const manager: StorageManagerLike = {
      persist: () => Promise.reject(new Error('no user gesture')),
    };
    const store = h.open({ platform: withManager(manager) });
    expect(await store.storage.persist()).toBe(false);
    expect((await until(store.sync.status$, () => true)).persisted).toBe(false);
    await store.close();
  });

  it('persist() on a closed store rejects with a StorageError naming persist', async () => {
    const h = harness();
    const store = h.open({ platform: withManager(fakeManager(true).manager) });
    await until(store.sync.status$, () => true);
    await store.close();
    await expect(store.storage.persist()).rejects.toMatchObject({
      name: 'StorageError',
      message: expect.stringMatching(/^persist failed: /),
    });
  });

  it('estimate$ is null when the estimate rejects', async () => {
    const h = harness();
    const manager: StorageManagerLike = {
      estimate: () => Promise.reject(new Error('unavailable')),
    };
    const store = h.open({ platform: withManager(manager) });
    const seen = record(store.storage.estimate$);
    await tickUntil(() => seen.values.length > 0);
    expect(seen.values).toEqual([null]);
    seen.stop();
    await store.close();
  });

  it('estimate$ completes when the store closes', async () => {
    const h = harness();
    const store = h.open({ platform: withManager(fakeManager().manager) });
    await until(store.storage.estimate$, (value) => value !== null);
    let completed = false;
    store.storage.estimate$.subscribe({ complete: () => (completed = true) });
    await store.close();
    expect(completed).toBe(true);
  });
});
