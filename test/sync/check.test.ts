/** Conflicts caught before the push (DESIGN 4): which updates are checked, and what is sent. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Conflict, ConversationStore } from '../../src/index.js';
import { A, B, FAKE_TIMERS, type Harness, record, requests, syncedHarness } from '../fixtures.js';

let h: Harness;
let store: ConversationStore;

afterEach(async () => {
  await store?.close().catch(() => {});
  vi.useRealTimers();
});

const methods = () => h.server.requests.map((r) => `${r.method} ${r.path}`);

describe('the check before the push', () => {
  it('costs nothing for a write sent in the first round after it was made, on a fresh record', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`PUT /v1/conversations/${A.id}`]);
  });

  it('reads the record first when the update waited through a round that ended offline', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(A.id, { archived_at: 1_800_000_000 });
    h.network.offline = true;
    expect(await store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline' });
    h.network.offline = false;
    h.server.clearRequests();
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET /v1/conversations/${A.id}`, `PUT /v1/conversations/${A.id}`]);
  });

  it('reports a field another device changed meanwhile, and by default keeps the local value', async () => {
    ({ h, store } = await syncedHarness());
    h.network.offline = true;
    await store.conversations.update(A.id, { archived_at: 1_800_000_000 });
    await store.sync.now({ pull: 'none' });
    h.server.update(A.id, { archived_at: 1_700_000_500 }); // Another device archived it too.
    h.network.offline = false;
    const conflicts = record(store.sync.conflicts$);
    await store.sync.now({ pull: 'none' });
    expect(conflicts.values).toEqual([
      expect.objectContaining({
        id: A.id,
        kind: 'field',
        fields: ['archived_at'],
      }) as Conflict,
    ]);
    expect(requests(h.server, 'PUT').map((r) => r.body)).toEqual([{ archived_at: 1_800_000_000 }]);
    expect(h.server.get(A.id)?.archived_at).toBe(1_800_000_000);
  });

  it('lets resolveConflict decide before the PUT: the decided patch is what is sent', async () => {
    ({ h, store } = await syncedHarness(undefined, {
      sync: { auto: false },
      resolveConflict: ({ pending }) => {
        const { archived_at: _serverWins, ...rest } = pending;
        return rest;
      },
    }));
    h.network.offline = true;
    await store.conversations.update(A.id, { archived_at: 1_800_000_000, is_pinned: true });
    await store.sync.now({ pull: 'none' });
    h.server.update(A.id, { archived_at: 1_700_000_500 });
    h.network.offline = false;
    await store.sync.now({ pull: 'none' });
    expect(requests(h.server, 'PUT').map((r) => r.body)).toEqual([{ is_pinned: true }]);
    expect(h.server.get(A.id)).toMatchObject({ archived_at: 1_700_000_500, is_pinned: true });
    expect(await store.conversations.retrieve(A.id)).toEqual(h.server.get(A.id));
  });

  it('sends nothing when the server already holds the decided values', async () => {
    ({ h, store } = await syncedHarness());
    h.network.offline = true;
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    h.server.update(A.id, { is_muted: true });
    h.network.offline = false;
    await store.sync.now({ pull: 'none' });
    expect(requests(h.server, 'PUT')).toEqual([]);
    expect(await store.sync.listOutbox()).toEqual([]);
  });

  it('treats a 404 as the deleted conflict', async () => {
    ({ h, store } = await syncedHarness());
    h.network.offline = true;
    await store.conversations.update(B.id, { is_pinned: true });
    await store.sync.now({ pull: 'none' });
    h.server.remove(B.id);
    h.network.offline = false;
    const conflicts = record(store.sync.conflicts$);
    await store.sync.now({ pull: 'none' });
    expect(conflicts.values.map((c) => [c.id, c.kind])).toEqual([[B.id, 'deleted']]);
    expect(requests(h.server, 'PUT')).toEqual([]);
    expect(await store.conversations.retrieve(B.id)).toBeUndefined();
  });

  it('checks an update whose record was confirmed longer ago than freshMs', async () => {
    ({ h, store } = await syncedHarness(undefined, { sync: { auto: false, freshMs: 0 } }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET /v1/conversations/${A.id}`, `PUT /v1/conversations/${A.id}`]);
  });

  it('sends at once an update to a record confirmed exactly freshMs ago, checks one older', async () => {
    vi.useFakeTimers({ ...FAKE_TIMERS, now: 1_750_000_000_000 });
    ({ h, store } = await syncedHarness(undefined, { sync: { auto: false, freshMs: 1000 } }));
    vi.setSystemTime(1_750_000_001_000);
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`PUT /v1/conversations/${A.id}`]);
    h.server.clearRequests();
    vi.setSystemTime(1_750_000_001_001);
    await store.conversations.update(B.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET /v1/conversations/${B.id}`, `PUT /v1/conversations/${B.id}`]);
  });

  it('replaces a frozen entry whose reply was lost with one entry under a new key', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(A.id, { is_pinned: true });
    h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // Not applied.
    await store.sync.now({ pull: 'none' });
    h.server.faults.loseNextReply(1, { methods: ['PUT'] }); // Applied, reply lost.
    await store.sync.now({ pull: 'none' });
    h.server.update(A.id, { is_pinned: false }); // Another device unpins it.
    h.server.clearRequests();
    const conflicts = record(store.sync.conflicts$);
    await store.sync.now({ pull: 'none' });
    // The GET shows the record unpinned, as it was before the pin: nothing tells that the
    // pin ever landed, so it is no conflict and the pin is sent again, under a new key (the
    // old one would replay the first answer and the pin would stay lost).
    expect(conflicts.values).toEqual([]);
    expect(methods()).toEqual([`GET /v1/conversations/${A.id}`, `PUT /v1/conversations/${A.id}`]);
    expect(requests(h.server, 'PUT')[0]?.replayed).toBe(false);
    expect(h.server.get(A.id)?.is_pinned).toBe(true);
  });
});
