/**
 * The sync engine as a user of the store sees it: what close(), start(), pauses and
 * sync.now() do to rounds, requests and status$, across tabs and databases, and which
 * automatic rounds follow a round, a pause or a failure while offline.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ConversationStore, StorageError, type SyncStatus } from '../../src/index.js';
import {
  A,
  afterConversationWrites,
  conversation,
  FAKE_TIMERS,
  harness,
  holdingFetch,
  localStore,
  record,
  requests,
  syncedSuite,
  TOKEN,
  tickUntil,
  until,
  wrapTables,
} from '../fixtures.js';

/** The harness (`t.h`) and the stores `open()` opens on it; closed after each test. */
const { t, open } = syncedSuite();
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Automatic sync, with no interval: only the triggers a test fires run rounds. */
const AUTO = { auto: true, debounceMs: 300, intervalMs: 0, retry: { baseMs: 1000, maxMs: 4000 } };

/** The latest status of `store` (status$ replays it). */
async function stateOf(store: ConversationStore): Promise<string> {
  return (await until(store.sync.status$, () => true)).state;
}

/** Lets IndexedDB and the in-process server run until `check()` holds (or a bounded number of ticks). */
const ticksUntil = (check: () => boolean) => tickUntil(check, 300);

/** Lets IndexedDB work (real setImmediate) and timers due now run, without moving the clock. */
const run = async (count = 100) => {
  for (let i = 0; i < count; i++) {
    await vi.advanceTimersByTimeAsync(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
};

describe('status before any round', () => {
  it('shows offline at once for a store opened while the platform is offline', async () => {
    t.h = harness([A]);
    t.h.platform.goOffline();
    const store = open();
    expect(await stateOf(store)).toBe('offline');
  });
});

describe('databases on one platform', () => {
  it('keeps a paused sync of one database out of the status of another database’s store', async () => {
    t.h = harness([A], { tabs: true });
    const other = open({ databaseName: `${t.h.databaseName}-other` });
    const seen: string[] = [];
    other.sync.status$.subscribe((status) => seen.push(status.state));
    await ticksUntil(() => seen.length > 0);
    const refused = open({ getToken: () => 'revoked' });
    expect((await refused.sync.now()).state).toBe('paused');
    await ticksUntil(() => seen.includes('paused'));
    expect(seen).toEqual(['idle']);
  });
});

describe('pause after a refused token', () => {
  it('runs no automatic round while paused, and exactly one round on sync.now()', async () => {
    t.h = harness([A]);
    let token = 'revoked';
    const store = open({ getToken: () => token, sync: AUTO });
    await until(store.sync.status$, (status) => status.state === 'paused');
    const sent = t.h.server.requests.length;
    t.h.platform.becomeVisible();
    t.h.platform.goOnline();
    await ticksUntil(() => t.h.server.requests.length > sent);
    expect(t.h.server.requests.length).toBe(sent);
    token = TOKEN;
    expect((await store.sync.now()).state).toBe('idle');
    const afterNow = t.h.server.requests.length;
    await ticksUntil(() => t.h.server.requests.length > afterNow);
    expect(t.h.server.requests.length).toBe(afterNow);
  });

  it('stays paused when another tab opens with automatic sync', async () => {
    t.h = harness([A], { tabs: true });
    const leader = open({ getToken: () => 'revoked', sync: AUTO });
    await until(leader.sync.status$, (status) => status.state === 'paused');
    const sent = t.h.server.requests.length;
    const tab = open({ sync: AUTO });
    await ticksUntil(() => t.h.server.requests.length > sent);
    expect(t.h.server.requests.length).toBe(sent);
    expect(await stateOf(leader)).toBe('paused');
    expect(await stateOf(tab)).toBe('paused');
  });

  it('runs exactly one round on sync.now() after a pause, also when a trigger came during the pausing round', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    t.h = harness([A]);
    const gate = holdingFetch(t.h.network.fetch, ['GET']);
    let token = 'revoked';
    const store = open({ getToken: () => token, fetch: gate.fetch, sync: AUTO });
    for (let i = 0; i < 300 && gate.waiting === 0; i++) await run(1);
    t.h.platform.becomeVisible(); // Due while the start round runs: queued behind it.
    await run(10);
    gate.open();
    await run();
    expect(await stateOf(store)).toBe('paused');
    token = TOKEN;
    expect((await store.sync.now()).state).toBe('idle');
    const gets = requests(t.h.server, 'GET').length;
    await run();
    expect(requests(t.h.server, 'GET').length).toBe(gets);
  });
});

describe('after close()', () => {
  it('sync.start() on a closed store leaves leading (and syncing) to the next tab', async () => {
    t.h = harness([A], { tabs: true });
    const closed = t.h.open();
    await closed.close();
    closed.sync.start();
    open({ sync: AUTO });
    await ticksUntil(() => requests(t.h.server, 'GET').length > 0);
    expect(requests(t.h.server, 'GET').length).toBeGreaterThan(0);
  });

  it('rejects sync.now() and sync.refresh() with a StorageError that says the store is closed, sending nothing', async () => {
    t.h = harness([A]);
    const store = t.h.open();
    await store.close();
    const now = store.sync.now();
    await expect(now).rejects.toThrow(StorageError);
    await expect(now).rejects.toThrow('sync.now: the store is closed');
    const refresh = store.sync.refresh([A.id]);
    await expect(refresh).rejects.toThrow(StorageError);
    await expect(refresh).rejects.toThrow('sync.refresh: the store is closed');
    expect(t.h.server.requests).toHaveLength(0);
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
    t.h = harness([A]);
    const store = t.h.open();
    await until(store.sync.status$, () => true);
    const states: string[] = [];
    store.sync.status$.subscribe((status) => states.push(status.state));
    const summary = store.sync.now();
    await store.close();
    expect(await summary).toMatchObject({ pushed: 0, pulled: 0 });
    expect(states).toEqual(['idle', 'closed']);
    expect(t.h.server.requests).toHaveLength(0);
  });
});

describe('sync.now() during a round', () => {
  it('runs a full walk after a running recent round, even while the platform says offline', async () => {
    const rows = [A, conversation({ id: 'BBBBBBBBBBBBBBBB', last_active_at: 200 })];
    t.h = harness(rows);
    const gate = holdingFetch(t.h.network.fetch, ['GET']);
    const store = open({ fetch: gate.fetch, sync: { auto: false, pageSize: 1 } });
    t.h.platform.online = false; // No offline event: only isOnline() says so.
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
    t.h = harness([A]);
    let failing = false;
    cleanups.push(
      afterConversationWrites(t.h.databaseName, () => {
        if (failing) throw new Error('disk full');
      }),
    );
    const store = open();
    await store.sync.now();
    t.h.server.update(A.id, { is_muted: true });
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
    t.h = harness([A]);
    cleanups.push(
      wrapTables(t.h.databaseName, (name, table) => {
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
    const store = open();
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

  it('runs no further round, however long it stays open, after an automatic round that left the outbox empty', async () => {
    fakeClock();
    t.h = harness([A]);
    const store = open({ sync: AUTO });
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
    t.h = harness([A]);
    const gate = holdingFetch(t.h.network.fetch, ['GET']);
    const store = open({ fetch: gate.fetch, sync: AUTO });
    for (let i = 0; i < 300 && gate.waiting === 0; i++) await run(1);
    expect(gate.waiting).toBe(1);
    await store.conversations.create({ contact_id: 'WAz8eIbvDR60rouK' });
    gate.open();
    await run();
    expect(await stateOf(store)).toBe('idle');
    expect(requests(t.h.server, 'POST')).toHaveLength(1); // Before the write's debounceMs.
  });
});

describe('automatic rounds while the platform says offline (fake clock)', () => {
  /** Moves the fake clock by `ms`, then lets IndexedDB and the in-process server work run. */
  const elapse = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
    await run(50);
  };

  it('keeps the error of a sync.now() that failed while offline until the network comes back, however long', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    t.h = harness([A]);
    const store = open({
      sync: { auto: true, debounceMs: 0, intervalMs: 0, retry: { baseMs: 1000, maxMs: 4000 } },
    });
    await elapse(0);
    t.h.platform.goOffline(); // The platform says offline; the server can still be reached.
    await store.conversations.update(A.id, { is_muted: true });
    await elapse(0);
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    const failed = await store.sync.now({ pull: 'none' });
    expect(failed.state).toBe('error');
    const statuses = record(store.sync.status$);
    await elapse(60_000); // Fifteen times maxMs: well past the write's backoff deadline.
    // Every status shown meanwhile still says error, with the 503 (never 'offline': no round ran).
    const states = statuses.values.map((status: SyncStatus) => status.state);
    expect(states.filter((state) => state !== 'error')).toEqual([]);
    expect(statuses.values.at(-1)?.lastError).toBe(failed.error);
    expect(requests(t.h.server, 'PUT')).toHaveLength(1);
    t.h.platform.goOnline();
    await elapse(0);
    expect(requests(t.h.server, 'PUT')).toHaveLength(2);
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
    expect(statuses.values.at(-1)?.state).toBe('idle');
  });
});
