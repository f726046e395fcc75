/**
 * Which updates the check before the push reads first (DESIGN 4): a network failure, a
 * round that ended offline, a record not confirmed within `freshMs`. Fake clock: the
 * tests set the wall time that enqueue times, round ends and confirmations record.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore, SyncEvent } from '../../src/index.js';
import { A, B, FAKE_TIMERS, type Harness, record, requests, syncedHarness } from '../fixtures.js';

let h: Harness;
let store: ConversationStore;
const T = 1_750_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
});

afterEach(async () => {
  await store?.close().catch(() => {});
  vi.useRealTimers();
});

const methods = () => h.server.requests.map((r) => `${r.method} ${r.path}`);
const checked = (events: SyncEvent[]) => events.filter((event) => event.type === 'checked');
const path = (id: string) => `/v1/conversations/${id}`;

describe('updates the check reads first', () => {
  it('checks an update that a round ending offline never reached, queued in the same millisecond', async () => {
    ({ h, store } = await syncedHarness(undefined, { sync: { auto: false, concurrency: 1 } }));
    await store.conversations.update(A.id, { is_muted: true });
    await store.conversations.update(B.id, { is_pinned: true });
    h.network.offline = true;
    // A's PUT finds no network; the round stops there, B's entry is never tried.
    expect(await store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline', pushed: 0 });
    h.network.offline = false;
    const events = record(store.sync.events$);
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([
      `GET ${path(A.id)}`,
      `PUT ${path(A.id)}`,
      `GET ${path(B.id)}`,
      `PUT ${path(B.id)}`,
    ]);
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'current', sends: true },
      { type: 'checked', recordId: B.id, outcome: 'current', sends: true },
    ]);
    expect(h.server.get(B.id)?.is_pinned).toBe(true);
  });

  it('checks a record whose first queued update predates a round that ended offline, though a later one does not', async () => {
    ({ h, store } = await syncedHarness(undefined, { sync: { auto: false, concurrency: 1 } }));
    await store.conversations.update(B.id, { is_pinned: true });
    h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // Sent and refused for now: frozen.
    expect(await store.sync.now({ pull: 'none' })).toMatchObject({ state: 'error' });
    await store.conversations.update(A.id, { is_muted: true });
    h.network.offline = true; // A's PUT fails first; B is not reached.
    expect(await store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline' });
    h.network.offline = false;
    vi.setSystemTime(T + 1);
    await store.conversations.update(B.id, { is_muted: true }); // Queued after that round.
    h.server.clearRequests();
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([
      `GET ${path(A.id)}`,
      `PUT ${path(A.id)}`,
      `GET ${path(B.id)}`,
      `PUT ${path(B.id)}`,
    ]);
    expect(requests(h.server, 'PUT').map((r) => r.body)).toEqual([
      { is_muted: true },
      { is_pinned: true, is_muted: true },
    ]);
  });

  it('checks an update whose PUT got no answer even when the clock was set back before that round', async () => {
    ({ h, store } = await syncedHarness());
    vi.setSystemTime(T + 2000);
    await store.conversations.update(A.id, { is_pinned: true });
    vi.setSystemTime(T + 1000); // The device clock is corrected backwards.
    h.server.faults.loseNextReply(1, { methods: ['PUT'] }); // Applied, reply lost.
    expect(await store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline' });
    vi.setSystemTime(T + 1001);
    await store.conversations.update(A.id, { is_muted: true }); // Queued behind the frozen PUT.
    h.server.clearRequests();
    await store.sync.now({ pull: 'none' });
    // The GET shows the pin landed: only the mute is left, sent under a new key.
    expect(methods()).toEqual([`GET ${path(A.id)}`, `PUT ${path(A.id)}`]);
    expect(requests(h.server, 'PUT').map((r) => [r.body, r.replayed])).toEqual([
      [{ is_muted: true }, false],
    ]);
    expect(h.server.get(A.id)).toMatchObject({ is_pinned: true, is_muted: true });
  });

  it('counts a check that sent nothing as a confirmation: the next update within freshMs goes out at once', async () => {
    ({ h, store } = await syncedHarness(undefined, { sync: { auto: false, freshMs: 1000 } }));
    vi.setSystemTime(T + 1001); // A's confirmation by the first pull is stale now.
    h.server.update(A.id, { is_muted: true }); // Another device did the same.
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
    h.server.clearRequests();
    vi.setSystemTime(T + 2001); // Exactly freshMs after the check.
    await store.conversations.update(A.id, { is_pinned: true });
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`PUT ${path(A.id)}`]);
  });
});
