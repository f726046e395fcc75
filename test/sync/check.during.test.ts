/**
 * The check before the push while its GET is on its way and once it answers (DESIGN 4):
 * what it reports (`sync.events$` 'checked'), a reply it cannot read, writes the app makes
 * and evictions that happen meanwhile, and pending$ during the round.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationPatch, SyncEvent } from '../../src/index.js';
import {
  A,
  afterConversationWrites,
  B,
  C,
  FAKE_TIMERS,
  harness,
  holdingFetch,
  record,
  requests,
  syncedSuite,
  tickUntil,
} from '../fixtures.js';

const { t, synced } = syncedSuite();
let gate: ReturnType<typeof holdingFetch> | null = null;
/** What the next GET of one record answers instead of the server, if set. */
let unreadable: string | null = null;
const cleanups: (() => void)[] = [];
const T = 1_750_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
});

afterEach(async () => {
  gate?.open();
  gate = null;
  unreadable = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const path = (id: string) => `/v1/conversations/${id}`;
const methods = () => t.h.server.requests.map((r) => `${r.method} ${r.path}`);
const checked = (events: SyncEvent[]) => events.filter((event) => event.type === 'checked');

/** A store that pulled A, B, C; its GETs can be held open (`gate`) or answered unreadably. */
async function open(options: { freshMs?: number; concurrency?: number } = {}) {
  await synced([A, B, C], (h) => ({
    sync: { auto: false, ...options },
    fetch: async (input, init) => {
      const request = new Request(input, init);
      if (request.method === 'GET' && unreadable !== null && request.url.endsWith(unreadable)) {
        unreadable = null;
        return Response.json({ id: A.id, is_muted: 'yes' });
      }
      return (gate ?? h.network).fetch(request);
    },
  }));
}

/** Queues `patch` on A and ends a round offline, so that the next round checks A first. */
async function queuedThroughOfflineRound(patch: ConversationPatch) {
  await t.store.conversations.update(A.id, patch);
  t.h.network.offline = true;
  expect(await t.store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline' });
  t.h.network.offline = false;
}

describe('the checked event and an unreadable reply', () => {
  it('sends the update as queued when the GET answers something that is not the conversation', async () => {
    await open();
    await queuedThroughOfflineRound({ is_pinned: true });
    unreadable = path(A.id);
    const events = record(t.store.sync.events$);
    await t.store.sync.now({ pull: 'none' });
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'unreadable', sends: true },
    ]);
    expect(requests(t.h.server, 'PUT').map((r) => [r.path, r.body])).toEqual([
      [path(A.id), { is_pinned: true }],
    ]);
    expect(t.h.server.get(A.id)?.is_pinned).toBe(true);
    expect(await t.store.sync.listOutbox()).toEqual([]);
  });

  it('reports a record the GET found deleted as checked gone, with nothing to send', async () => {
    await open();
    await t.store.conversations.update(B.id, { is_pinned: true });
    t.h.network.offline = true;
    await t.store.sync.now({ pull: 'none' });
    t.h.network.offline = false;
    t.h.server.remove(B.id);
    const events = record(t.store.sync.events$);
    await t.store.sync.now({ pull: 'none' });
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
    gate = holdingFetch(t.h.network.fetch, ['GET']);
    const events = record(t.store.sync.events$);
    const round = t.store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await t.store.conversations.delete(A.id);
    gate.open();
    await round;
    expect(methods()).toEqual([`GET ${path(A.id)}`, `PUT ${path(A.id)}`, `DELETE ${path(A.id)}`]);
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'current', sends: true },
    ]);
    expect(t.h.server.get(A.id)).toBeUndefined();
    expect(await t.store.conversations.retrieve(A.id)).toBeUndefined();
    expect(await t.store.sync.listOutbox()).toEqual([]);
  });

  it('sends nothing more in the round once the GET found the record deleted, though the app deleted it meanwhile', async () => {
    await open();
    await queuedThroughOfflineRound({ is_muted: true });
    t.h.server.remove(A.id); // Another device deleted it.
    gate = holdingFetch(t.h.network.fetch, ['GET']);
    const events = record(t.store.sync.events$);
    const round = t.store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await t.store.conversations.delete(A.id);
    gate.open();
    expect(await round).toMatchObject({ pushed: 0, rejected: 0, state: 'idle' });
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'gone', sends: false },
    ]);
    expect(await t.store.conversations.retrieve(A.id)).toBeUndefined();
    // Gone on both sides: nothing of A is left to send, in this round or the next.
    expect(await t.store.sync.listOutbox()).toEqual([]);
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
  });

  it('sends nothing and says so when the update is undone meanwhile', async () => {
    await open({ freshMs: 0 });
    vi.setSystemTime(T + 1); // A was confirmed 1 ms ago: stale, so its update is checked.
    await t.store.conversations.update(A.id, { is_muted: true }); // Never sent: not frozen.
    gate = holdingFetch(t.h.network.fetch, ['GET']);
    const events = record(t.store.sync.events$);
    const round = t.store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await t.store.conversations.update(A.id, { is_muted: false }); // Back to A: nothing queued.
    gate.open();
    await round;
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'current', sends: false },
    ]);
    expect(await t.store.sync.listOutbox()).toEqual([]);
    expect(await t.store.conversations.retrieve(A.id)).toEqual(A);
  });

  it('keeps what the GET read when the update is undone meanwhile', async () => {
    await open({ freshMs: 0 });
    vi.setSystemTime(T + 1);
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.update(A.id, { is_pinned: true }); // Another device pins it.
    gate = holdingFetch(t.h.network.fetch, ['GET']);
    const round = t.store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await t.store.conversations.update(A.id, { is_muted: false });
    gate.open();
    await round;
    expect(await t.store.conversations.retrieve(A.id)).toEqual(t.h.server.get(A.id));
    expect((await t.store.conversations.retrieve(A.id))?.is_pinned).toBe(true);
  });
});

describe('pending$ during the round (PUTs held open)', () => {
  it('drops a record from pending$ as soon as its check finds nothing left to send', async () => {
    await open({ concurrency: 1 });
    await t.store.conversations.update(B.id, { is_pinned: true });
    await queuedThroughOfflineRound({ is_muted: true }); // A fails first; B is not reached.
    t.h.server.update(A.id, { is_muted: true }); // Another device did the same.
    gate = holdingFetch(t.h.network.fetch, ['PUT']);
    const pending = record(t.store.sync.pending$);
    const round = t.store.sync.now({ pull: 'none' });
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
    gate = holdingFetch(t.h.network.fetch, ['PUT']);
    const pending = record(t.store.sync.pending$);
    const round = t.store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
    expect(pending.values).toEqual([new Set([A.id])]);
    gate.open();
    await round;
    expect(pending.values).toEqual([new Set([A.id]), new Set()]);
  });
});

describe('a record evicted while the GET of its check is in flight', () => {
  it('stays evicted when its update was undone meanwhile: the check does not store it again', async () => {
    t.h = harness([A, B, C]);
    // A fake disk that holds three conversations (quota.test.ts): a write past it evicts.
    const limit = { rows: Number.POSITIVE_INFINITY };
    cleanups.push(
      afterConversationWrites(t.h.databaseName, (type, rows) => {
        if (type !== 'delete' && type !== 'deleteRange' && rows > limit.rows) {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
      }),
    );
    t.store = t.h.open({
      sync: { auto: false, freshMs: 0 },
      fetch: (input, init) => (gate ?? t.h.network).fetch(new Request(input, init)),
    });
    await t.store.sync.now();
    t.h.server.clearRequests();
    limit.rows = 3;
    vi.setSystemTime(T + 1); // C was confirmed 1 ms ago: stale, so its update is checked.
    await t.store.conversations.update(C.id, { is_muted: true });
    gate = holdingFetch(t.h.network.fetch, ['GET']);
    const events = record(t.store.sync.events$);
    const round = t.store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await t.store.conversations.update(C.id, { is_muted: false }); // Undone: nothing queued.
    const created = await t.store.conversations.create({ contact_id: 'new' }); // Evicts A, B, C.
    expect(events.values).toContainEqual({ type: 'evicted', count: 3, reason: 'quota' });
    gate.open();
    await round;
    expect(methods()).toEqual([`GET ${path(C.id)}`]);
    expect(checked(events.values)).toEqual([
      { type: 'checked', recordId: C.id, outcome: 'current', sends: false },
    ]);
    expect(await t.store.conversations.retrieve(C.id)).toBeUndefined();
    const stored = (await t.h.dump()).conversations as { id: string }[];
    expect(stored.map((row) => row.id)).toEqual([created.id]);
  });
});
