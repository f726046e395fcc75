/**
 * The sync engine (for a survivor of the mutation run of src/sync/engine.ts): while the
 * platform says offline, a failed write's backoff deadline plans no automatic round; the
 * online event does.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore, SyncStatus } from '../../src/index.js';
import { A, FAKE_TIMERS, type Harness, harness, record, requests } from '../fixtures.js';

let h: Harness;
let store: ConversationStore;

afterEach(async () => {
  await store?.close().catch(() => {});
  vi.useRealTimers();
});

/** Moves the fake clock by `ms`, then lets IndexedDB and the in-process server work run. */
const elapse = async (ms: number) => {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 50; i++) {
    await vi.advanceTimersByTimeAsync(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
};

describe('automatic rounds while the platform says offline (fake clock)', () => {
  it('keeps the error of a sync.now() that failed while offline until the network comes back, however long', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    h = harness([A]);
    store = h.open({
      sync: { auto: true, debounceMs: 0, intervalMs: 0, retry: { baseMs: 1000, maxMs: 4000 } },
    });
    await elapse(0);
    h.platform.goOffline(); // The platform says offline; the server can still be reached.
    await store.conversations.update(A.id, { is_muted: true });
    await elapse(0);
    h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    const failed = await store.sync.now({ pull: 'none' });
    expect(failed.state).toBe('error');
    const statuses = record(store.sync.status$);
    await elapse(60_000); // Fifteen times maxMs: well past the write's backoff deadline.
    // Every status shown meanwhile still says error, with the 503 (never 'offline': no round ran).
    const states = statuses.values.map((status: SyncStatus) => status.state);
    expect(states.filter((state) => state !== 'error')).toEqual([]);
    expect(statuses.values.at(-1)?.lastError).toBe(failed.error);
    expect(requests(h.server, 'PUT')).toHaveLength(1);
    h.platform.goOnline();
    await elapse(0);
    expect(requests(h.server, 'PUT')).toHaveLength(2);
    expect(h.server.get(A.id)?.is_muted).toBe(true);
    expect(statuses.values.at(-1)?.state).toBe('idle');
  });
});
