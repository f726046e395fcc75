/**
 * The sync engine as a user of the store sees it: what close(), start(), pauses and
 * sync.now() do to rounds, requests and status$, across tabs and databases (for the
 * survivors of the mutation run of src/sync/engine.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ConversationStore, StorageError } from '../../src/index.js';
import {
  A,
  afterConversationWrites,
  conversation,
  FAKE_TIMERS,
  type Harness,
  harness,
  holdingFetch,
  localStore,
  requests,
  TOKEN,
  tickUntil,
  until,
  wrapTables,
} from '../fixtures.js';

const stores: ConversationStore[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => {});
  for (const cleanup of cleanups.splice(0)) cleanup();
  vi.useRealTimers();
});

/** Opens a store on `h` that the test's clean-up closes. */
function open(h: Harness, options: Parameters<Harness['open']>[0] = {}): ConversationStore {
  const store = h.open(options);
  stores.push(store);
  return store;
}

/** Automatic sync, with no interval: only the triggers a test fires run rounds. */
const AUTO = { auto: true, debounceMs: 300, intervalMs: 0, retry: { baseMs: 1000, maxMs: 4000 } };

/** The latest status of `store` (status$ replays it). */
async function stateOf(store: ConversationStore): Promise<string> {
  return (await until(store.sync.status$, () => true)).state;
}

/** Lets IndexedDB and the in-process server run until `check()` holds (or a bounded number of ticks). */
const ticksUntil = (check: () => boolean) => tickUntil(check, 300);

describe('status before any round', () => {
  it('shows offline at once for a store opened while the platform is offline', async () => {
    const h = harness([A]);
    h.platform.goOffline();
    const store = open(h);
    expect(await stateOf(store)).toBe('offline');
  });
});

describe('databases on one platform', () => {
  it('keeps a paused sync of one database out of the status of another database’s store', async () => {
    const h = harness([A], { tabs: true });
    const other = open(h, { databaseName: `${h.databaseName}-other` });
    const seen: string[] = [];
    other.sync.status$.subscribe((status) => seen.push(status.state));
    await ticksUntil(() => seen.length > 0);
    const refused = open(h, { getToken: () => 'revoked' });
    expect((await refused.sync.now()).state).toBe('paused');
    await ticksUntil(() => seen.includes('paused'));
    expect(seen).toEqual(['idle']);
  });
});

describe('pause after a refused token', () => {
  it('runs no automatic round while paused, and exactly one round on sync.now()', async () => {
    const h = harness([A]);
    let token = 'revoked';
    const store = open(h, { getToken: () => token, sync: AUTO });
    await until(store.sync.status$, (status) => status.state === 'paused');
    const sent = h.server.requests.length;
    h.platform.becomeVisible();
    h.platform.goOnline();
    await ticksUntil(() => h.server.requests.length > sent);
    expect(h.server.requests.length).toBe(sent);
    token = TOKEN;
    expect((await store.sync.now()).state).toBe('idle');
    const afterNow = h.server.requests.length;
    await ticksUntil(() => h.server.requests.length > afterNow);
    expect(h.server.requests.length).toBe(afterNow);
  });

  it('stays paused when another tab opens with automatic sync', async () => {
    const h = harness([A], { tabs: true });
    const leader = open(h, { getToken: () => 'revoked', sync: AUTO });
    await until(leader.sync.status$, (status) => status.state === 'paused');
    const sent = h.server.requests.length;
    const tab = open(h, { sync: AUTO });
    await ticksUntil(() => h.server.requests.length > sent);
    expect(h.server.requests.length).toBe(sent);
    expect(await stateOf(leader)).toBe('paused');
    expect(await stateOf(tab)).toBe('paused');
  });
});

describe('after close()', () => {
  it('sync.start() on a closed store leaves leading (and syncing) to the next tab', async () => {
    const h = harness([A], { tabs: true });
    const closed = h.open();
    await closed.close();
    closed.sync.start();
    open(h, { sync: AUTO });
    await ticksUntil(() => requests(h.server, 'GET').length > 0);
    expect(requests(h.server, 'GET').length).toBeGreaterThan(0);
  });

  it('rejects sync.now() and sync.refresh() with a StorageError that says the store is closed, sending nothing', async () => {
    const h = harness([A]);
    const store = h.open();
    await store.close();
    const now = store.sync.now();
    await expect(now).rejects.toThrow(StorageError);
    await expect(now).rejects.toThrow('sync.now: the store is closed');
    const refresh = store.sync.refresh([A.id]);
    await expect(refresh).rejects.toThrow(StorageError);
    await expect(refresh).rejects.toThrow('sync.refresh: the store is closed');
    expect(h.server.requests).toHaveLength(0);
  });

  it('firstSync() rejects with a StorageError when the store closes before a complete walk', async () => {
    const local = await localStore();
    let outcome: unknown = 'pending';
    local.store.sync.firstSync().then(
      () => {
        outcome = 'resolved';
      },
      (error: unknown) => {
        outcome = error;
      },
    );
    await local.store.close();
    expect(outcome).toBeInstanceOf(StorageError);
    expect((outcome as Error).message).toBe('sync.firstSync: the store closed first');
  });

  it('runs no round for a sync.now() called just before close()', async () => {
    const h = harness([A]);
    const store = h.open();
    await until(store.sync.status$, () => true);
    const states: string[] = [];
    store.sync.status$.subscribe((status) => states.push(status.state));
    const summary = store.sync.now();
    await store.close();
    expect(await summary).toMatchObject({ pushed: 0, pulled: 0 });
    expect(states).toEqual(['idle', 'closed']);
    expect(h.server.requests).toHaveLength(0);
  });
});

describe('sync.now() during a round', () => {
  it('runs a full walk after a running recent round, even while the platform says offline', async () => {
    const rows = [A, conversation({ id: 'BBBBBBBBBBBBBBBB', last_active_at: 200 })];
    const h = harness(rows);
    const gate = holdingFetch(h.network.fetch, ['GET']);
    const store = open(h, { fetch: gate.fetch, sync: { auto: false, pageSize: 1 } });
    h.platform.online = false; // No offline event: only isOnline() says so.
    const recent = store.sync.now({ pull: 'recent' });
    await ticksUntil(() => gate.waiting > 0);
    const full = store.sync.now({ pull: 'full' });
    gate.open();
    await recent;
    const summary = await full;
    expect(summary).toMatchObject({ pull: 'full', complete: true, state: 'idle' });
  });
});

describe('refresh', () => {
  it('rejects with a StorageError naming refresh when writing the records fails', async () => {
    const h = harness([A]);
    let failing = false;
    cleanups.push(
      afterConversationWrites(h.databaseName, () => {
        if (failing) throw new Error('disk full');
      }),
    );
    const store = open(h);
    await store.sync.now();
    h.server.update(A.id, { is_muted: true });
    failing = true;
    const refresh = store.sync.refresh([A.id]);
    await expect(refresh).rejects.toThrow(StorageError);
    await expect(refresh).rejects.toThrow(/^refresh failed: /);
  });
});

describe('status at the end of a round', () => {
  it('leaves syncing when the pending count cannot be read as the round ends', async () => {
    // Set below: every read-only query of the outbox fails from the end of the round on.
    let failReads = false;
    const h = harness([A]);
    cleanups.push(
      wrapTables(h.databaseName, (name, table) => {
        if (name !== 'outbox') return table;
        return {
          ...table,
          query: (request) => {
            const readOnly = (request.trans as unknown as IDBTransaction).mode === 'readonly';
            if (failReads && readOnly) return Promise.reject(new Error('read failure'));
            return table.query(request);
          },
        };
      }),
    );
    const store = open(h);
    store.sync.events$.subscribe((event) => {
      if (event.type === 'round-end') failReads = true;
    });
    const summary = await store.sync.now();
    expect(summary.state).toBe('idle');
    expect(await stateOf(store)).toBe('idle');
  });
});

describe('automatic rounds after a round (fake clock)', () => {
  const fakeClock = () => vi.useFakeTimers(FAKE_TIMERS);

  /** Lets IndexedDB work (real setImmediate) and timers due now run, without moving the clock. */
  const run = async (count = 100) => {
    for (let i = 0; i < count; i++) {
      await vi.advanceTimersByTimeAsync(0);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  it('runs no further round, however long it stays open, after an automatic round that left the outbox empty', async () => {
    fakeClock();
    const h = harness([A]);
    const store = open(h, { sync: AUTO });
    const starts: string[] = [];
    store.sync.events$.subscribe((event) => {
      if (event.type === 'round-start') starts.push(event.type);
    });
    await run();
    expect(starts).toHaveLength(1);
    expect(await stateOf(store)).toBe('idle');
    await vi.advanceTimersByTimeAsync(30 * 24 * 3_600_000); // Beyond the longest timer (24.8 days).
    await run();
    expect(starts).toHaveLength(1);
  });

  it('pushes a write committed during a successful round as soon as that round ends', async () => {
    fakeClock();
    const h = harness([A]);
    const gate = holdingFetch(h.network.fetch, ['GET']);
    const store = open(h, { fetch: gate.fetch, sync: AUTO });
    for (let i = 0; i < 300 && gate.waiting === 0; i++) await run(1);
    expect(gate.waiting).toBe(1);
    await store.conversations.create({ contact_id: 'WAz8eIbvDR60rouK' });
    gate.open();
    await run();
    expect(await stateOf(store)).toBe('idle');
    expect(requests(h.server, 'POST')).toHaveLength(1); // Before the write's debounceMs.
  });
});
