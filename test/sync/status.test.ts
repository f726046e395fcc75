/** status$ and pending$, and sync.now() sharing rounds. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore } from '../../src/index.js';
import { A, B, C, type Harness, requests, syncedHarness, until } from '../fixtures.js';

let h: Harness;
let store: ConversationStore;

/** A store that already pulled A, B, C (or `seed`), then the request log cleared. */
async function synced(seed = [A, B, C], options: Parameters<Harness['open']>[0] = {}) {
  ({ h, store } = await syncedHarness(seed, options));
  return store;
}

afterEach(async () => {
  await store?.close().catch(() => {});
  vi.useRealTimers();
});

describe('status', () => {
  it('lists the ids with unsent changes on pending$ and counts them in status$', async () => {
    await synced();
    h.network.offline = true;
    const created = await store.conversations.create({ contact_id: 'k6' });
    await store.conversations.update(A.id, { is_muted: true });
    const ids = await until(store.sync.pending$, (set) => set.size === 2);
    expect([...ids].sort()).toEqual([A.id, created.id].sort());
    await until(store.sync.status$, (s) => s.pending === 2);
    h.network.offline = false;
    await store.sync.now();
    await until(store.sync.pending$, (set) => set.size === 0);
    const status = await until(store.sync.status$, (s) => s.pending === 0);
    expect(status).toMatchObject({ state: 'idle', rejected: 0, lastError: null });
    expect(status.lastSyncedAt).toEqual(expect.any(Number));
  });

  it('shares one round between concurrent sync.now() calls', async () => {
    await synced();
    await store.conversations.update(A.id, { is_muted: true });
    const [first, second] = await Promise.all([store.sync.now(), store.sync.now()]);
    expect(second).toBe(first);
    expect(requests(h.server, 'GET')).toHaveLength(1);
    expect(requests(h.server, 'PUT')).toHaveLength(1);
  });

  it('sync.now() rejects after close()', async () => {
    await synced();
    await store.close();
    await expect(store.sync.now()).rejects.toThrow();
  });
});
