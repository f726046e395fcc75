/** One round's outcome: its summary, its error, its state, and what it records as synced. */
import { firstValueFrom } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { AuthError, type ConversationStore, StorageError } from '../../src/index.js';
import type { SyncEvent } from '../../src/model/events.js';
import { setClock, systemClock } from '../../src/platform/clock.js';
import {
  A,
  harness,
  holdingFetch,
  record,
  syncedSuite,
  TOKEN,
  tickUntil,
  wrapTables,
} from '../fixtures.js';

const { t, synced } = syncedSuite();

const status = (store: ConversationStore) => firstValueFrom(store.sync.status$);

/**
 * Makes the `meta` rows named `key` of the databases named `databaseName` opened from now
 * on fail to be read (`'get'`) or written (`'put'`), as a broken disk would. Returns the
 * function that stops it.
 */
function failMeta(databaseName: string, key: string, operation: 'get' | 'put'): () => void {
  const failure = () => Promise.reject(new Error(`disk error on ${key}`));
  return wrapTables(databaseName, (name, table) => {
    if (name !== 'meta') return table;
    return {
      ...table,
      get: (request) =>
        operation === 'get' && request.key === key ? failure() : table.get(request),
      mutate: (request) =>
        operation === 'put' &&
        request.type === 'put' &&
        request.values.some((row: { key?: unknown }) => row.key === key)
          ? failure()
          : table.mutate(request),
    };
  });
}

describe('a round', () => {
  it('pauses sync with an AuthError when the pull is refused for the token', async () => {
    let token = TOKEN;
    const store = await synced(undefined, { getToken: () => token });
    token = 'revoked'; // Nothing to push: the list read is the first request refused.
    const summary = await store.sync.now();
    expect(t.h.server.requests.map((r) => r.method)).toEqual(['GET', 'GET']); // Token asked again once.
    expect(summary.state).toBe('paused');
    expect(summary.error).toBeInstanceOf(AuthError);
    expect((await status(store)).state).toBe('paused');
  });

  it('does not move lastSyncedAt when it pulled nothing or its pull failed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // The wall clock moves only when the test says.
    const store = await synced();
    const syncedAt = (await status(store)).lastSyncedAt;
    expect(syncedAt).toBe(Date.now());
    vi.setSystemTime(Date.now() + 60_000);
    await store.conversations.update(A.id, { is_muted: true });
    expect(await store.sync.now({ pull: 'none' })).toMatchObject({
      pushed: 1,
      pull: 'none',
      error: null,
    });
    expect((await status(store)).lastSyncedAt).toBe(syncedAt);
    t.h.server.faults.failNext(503, 1, { methods: ['GET'] });
    const failed = await store.sync.now({ pull: 'recent' });
    expect(failed.state).toBe('error');
    expect((await status(store)).lastSyncedAt).toBe(syncedAt);
    const meta = (await t.h.dump()).meta as { key: string; value: unknown }[];
    expect(meta.find((row) => row.key === 'lastSyncedAt')?.value).toBe(syncedAt);
    expect((await store.sync.now({ pull: 'recent' })).error).toBeNull();
    expect((await status(store)).lastSyncedAt).toBe(Date.now());
  });

  it('reports an IndexedDB failure during the round as a StorageError of the sync', async () => {
    await synced();
    const restore = failMeta(t.h.databaseName, 'lastOfflineAt', 'get');
    try {
      await t.store.close();
      t.store = t.h.open();
      const summary = await t.store.sync.now();
      expect(summary.error).toBeInstanceOf(StorageError);
      expect(summary.error?.message).toMatch(/^sync failed: .*disk error on lastOfflineAt/);
      expect(summary.state).toBe('error');
    } finally {
      restore();
    }
  });

  it('reports a failure to record the sync time as a StorageError of the sync', async () => {
    await synced();
    const restore = failMeta(t.h.databaseName, 'lastSyncedAt', 'put');
    try {
      await t.store.close();
      t.store = t.h.open();
      const summary = await t.store.sync.now();
      expect(summary.error).toBeInstanceOf(StorageError);
      expect(summary.error?.message).toMatch(/^sync failed: .*disk error on lastSyncedAt/);
    } finally {
      restore();
    }
  });

  it('tells its duration on the monotonic clock in round-end', async () => {
    let monotonic = 5000;
    const restore = setClock({ ...systemClock, monotonic: () => monotonic });
    try {
      const h = harness([A]);
      const store = h.open({
        fetch: async (input, init) => {
          monotonic += 40; // Each request takes 40 ms.
          return h.network.fetch(input, init);
        },
      });
      Object.assign(t, { h, store });
      const events = record(store.sync.events$);
      await store.sync.now({ pull: 'recent' });
      events.stop();
      const end = events.values.find((event: SyncEvent) => event.type === 'round-end');
      expect(end).toMatchObject({ type: 'round-end', kind: 'recent', durationMs: 40 });
    } finally {
      restore();
    }
  });

  it('cut short by close(), a sync.now() queued behind the running round resolves having done nothing', async () => {
    await synced();
    const gate = holdingFetch(t.h.network.fetch, ['GET']);
    await t.store.close();
    t.store = t.h.open({ fetch: gate.fetch });
    const running = t.store.sync.now({ pull: 'recent' });
    await tickUntil(() => gate.waiting === 1);
    expect(gate.waiting).toBe(1);
    const queued = t.store.sync.now({ pull: 'full' }); // Asks for more: waits for a round of its own.
    const closed = t.store.close();
    gate.open();
    await running;
    expect(await queued).toMatchObject({
      pushed: 0,
      pulled: 0,
      removed: 0,
      pull: 'none',
      complete: false,
      error: null,
    });
    await closed;
    expect(gate.started).toBe(1);
  });
});
