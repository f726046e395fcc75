/**
 * What the check before the push reports (`sync.events$` 'checked'), and how it handles a
 * reply it cannot read and writes the app makes while its GET is in flight (DESIGN 4).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore, SyncEvent } from '../../src/index.js';
import {
  A,
  B,
  C,
  FAKE_TIMERS,
  type Harness,
  harness,
  holdingFetch,
  record,
  requests,
  tickUntil,
} from '../fixtures.js';

let h: Harness;
let store: ConversationStore;
let gate: ReturnType<typeof holdingFetch> | null = null;
/** What the next GET of one record answers instead of the server, if set. */
let unreadable: string | null = null;
const T = 1_750_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
});

afterEach(async () => {
  gate?.open();
  gate = null;
  unreadable = null;
  await store?.close().catch(() => {});
  vi.useRealTimers();
});

const path = (id: string) => `/v1/conversations/${id}`;
const methods = () => h.server.requests.map((r) => `${r.method} ${r.path}`);
const checked = (events: SyncEvent[]) => events.filter((event) => event.type === 'checked');

/** A store that pulled A, B, C; its GETs can be held open (`gate`) or answered unreadably. */
async function open(options: { freshMs?: number; concurrency?: number } = {}) {
  h = harness([A, B, C]);
  store = h.open({
    sync: { auto: false, ...options },
    fetch: async (input, init) => {
      const request = new Request(input, init);
      if (request.method === 'GET' && unreadable !== null && request.url.endsWith(unreadable)) {
        unreadable = null;
        return Response.json({ id: A.id, is_muted: 'yes' });
      }
      return (gate ?? h.network).fetch(request);
    },
  });
  await store.sync.now();
  h.server.clearRequests();
}

/** Queues `patch` on A and ends a round offline, so that the next round checks A first. */
async function queuedThroughOfflineRound(patch: Parameters<typeof store.conversations.update>[1]) {
  await store.conversations.update(A.id, patch);
  h.network.offline = true;
  expect(await store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline' });
  h.network.offline = false;
}

describe('the checked event and an unreadable reply', () => {
  it('sends the update as queued when the GET answers something that is not the conversation', async () => {
    await open();
    await queuedThroughOfflineRound({ is_pinned: true });
    unreadable = path(A.id);
    const events = record(store.sync.events$);
    await store.sync.now({ pull: 'none' });
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'unreadable', sends: true },
    ]);
    expect(requests(h.server, 'PUT').map((r) => [r.path, r.body])).toEqual([
      [path(A.id), { is_pinned: true }],
    ]);
    expect(h.server.get(A.id)?.is_pinned).toBe(true);
    expect(await store.sync.listOutbox()).toEqual([]);
  });

  it('reports a record the GET found deleted as checked gone, with nothing to send', async () => {
    await open();
    await store.conversations.update(B.id, { is_pinned: true });
    h.network.offline = true;
    await store.sync.now({ pull: 'none' });
    h.network.offline = false;
    h.server.remove(B.id);
    const events = record(store.sync.events$);
    await store.sync.now({ pull: 'none' });
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: B.id, outcome: 'gone', sends: false },
    ]);
    expect(methods()).toEqual([`GET ${path(B.id)}`]);
  });
});

describe('writes made while the GET of the check is in flight', () => {
  it('sends a delete made meanwhile after the frozen update, not a rebased update', async () => {
    await open();
    await queuedThroughOfflineRound({ is_muted: true }); // The PUT left: its entry is frozen.
    gate = holdingFetch(h.network.fetch, ['GET']);
    const events = record(store.sync.events$);
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await store.conversations.delete(A.id);
    gate.open();
    await round;
    expect(methods()).toEqual([`GET ${path(A.id)}`, `PUT ${path(A.id)}`, `DELETE ${path(A.id)}`]);
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'current', sends: true },
    ]);
    expect(h.server.get(A.id)).toBeUndefined();
    expect(await store.conversations.retrieve(A.id)).toBeUndefined();
    expect(await store.sync.listOutbox()).toEqual([]);
  });

  it('sends nothing more in the round once the GET found the record deleted, though the app deleted it meanwhile', async () => {
    await open();
    await queuedThroughOfflineRound({ is_muted: true });
    h.server.remove(A.id); // Another device deleted it.
    gate = holdingFetch(h.network.fetch, ['GET']);
    const events = record(store.sync.events$);
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await store.conversations.delete(A.id);
    gate.open();
    expect(await round).toMatchObject({ pushed: 0, rejected: 0, state: 'idle' });
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'gone', sends: false },
    ]);
    expect(await store.conversations.retrieve(A.id)).toBeUndefined();
    // Gone on both sides: nothing of A is left to send, in this round or the next.
    expect(await store.sync.listOutbox()).toEqual([]);
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
  });

  it('sends nothing and says so when the update is undone meanwhile', async () => {
    await open({ freshMs: 0 });
    vi.setSystemTime(T + 1); // A was confirmed 1 ms ago: stale, so its update is checked.
    await store.conversations.update(A.id, { is_muted: true }); // Never sent: not frozen.
    gate = holdingFetch(h.network.fetch, ['GET']);
    const events = record(store.sync.events$);
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await store.conversations.update(A.id, { is_muted: false }); // Back to A: nothing queued.
    gate.open();
    await round;
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'current', sends: false },
    ]);
    expect(await store.sync.listOutbox()).toEqual([]);
    expect(await store.conversations.retrieve(A.id)).toEqual(A);
  });

  it('keeps what the GET read when the update is undone meanwhile', async () => {
    await open({ freshMs: 0 });
    vi.setSystemTime(T + 1);
    await store.conversations.update(A.id, { is_muted: true });
    h.server.update(A.id, { is_pinned: true }); // Another device pins it.
    gate = holdingFetch(h.network.fetch, ['GET']);
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await store.conversations.update(A.id, { is_muted: false });
    gate.open();
    await round;
    expect(await store.conversations.retrieve(A.id)).toEqual(h.server.get(A.id));
    expect((await store.conversations.retrieve(A.id))?.is_pinned).toBe(true);
  });
});

describe('pending$ during the round (PUTs held open)', () => {
  it('drops a record from pending$ as soon as its check finds nothing left to send', async () => {
    await open({ concurrency: 1 });
    await store.conversations.update(B.id, { is_pinned: true });
    await queuedThroughOfflineRound({ is_muted: true }); // A fails first; B is not reached.
    h.server.update(A.id, { is_muted: true }); // Another device did the same.
    gate = holdingFetch(h.network.fetch, ['PUT']);
    const pending = record(store.sync.pending$);
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    expect(methods()).toEqual([`GET ${path(A.id)}`, `GET ${path(B.id)}`]);
    expect(pending.values).toEqual([new Set([A.id, B.id]), new Set([B.id])]);
    gate.open();
    await round;
    expect(pending.values.at(-1)).toEqual(new Set());
  });

  it('keeps a checked record in pending$ while the PUT it still needs is on its way', async () => {
    await open();
    await queuedThroughOfflineRound({ is_muted: true });
    gate = holdingFetch(h.network.fetch, ['PUT']);
    const pending = record(store.sync.pending$);
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
    expect(pending.values).toEqual([new Set([A.id])]);
    gate.open();
    await round;
    expect(pending.values).toEqual([new Set([A.id]), new Set()]);
  });
});
