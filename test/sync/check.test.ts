/**
 * The check before the push (DESIGN 4): which updates it reads first (a network failure, a
 * round that ended offline, a record not confirmed within `freshMs`), the conflicts it
 * finds, what resolveConflict is given, and what is sent after it.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conflict, ConflictContext, IdChange, SyncEvent } from '../../src/index.js';
import { A, B, C, FAKE_TIMERS, record, requests, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();
/** The wall time of the fake clock's tests: the time enqueue, round ends and confirmations record. */
const T = 1_750_000_000_000;

const path = (id: string) => `/v1/conversations/${id}`;
const methods = () => t.h.server.requests.map((r) => `${r.method} ${r.path}`);
const checked = (events: SyncEvent[]) => events.filter((event) => event.type === 'checked');

describe('the check before the push', () => {
  it('costs nothing for a write sent in the first round after it was made, on a fresh record', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`PUT ${path(A.id)}`]);
  });

  it('reads the record first when the update waited through a round that ended offline', async () => {
    await synced();
    await t.store.conversations.update(A.id, { archived_at: 1_800_000_000 });
    t.h.network.offline = true;
    expect(await t.store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline' });
    t.h.network.offline = false;
    t.h.server.clearRequests();
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET ${path(A.id)}`, `PUT ${path(A.id)}`]);
  });

  it('reports a field another device changed meanwhile, and by default keeps the local value', async () => {
    await synced();
    t.h.network.offline = true;
    await t.store.conversations.update(A.id, { archived_at: 1_800_000_000 });
    await t.store.sync.now({ pull: 'none' });
    t.h.server.update(A.id, { archived_at: 1_700_000_500 }); // Another device archived it too.
    t.h.network.offline = false;
    const conflicts = record(t.store.sync.conflicts$);
    await t.store.sync.now({ pull: 'none' });
    expect(conflicts.values).toEqual([
      expect.objectContaining({
        id: A.id,
        kind: 'field',
        fields: ['archived_at'],
      }) as Conflict,
    ]);
    expect(requests(t.h.server, 'PUT').map((r) => r.body)).toEqual([
      { archived_at: 1_800_000_000 },
    ]);
    expect(t.h.server.get(A.id)?.archived_at).toBe(1_800_000_000);
  });

  it('lets resolveConflict decide before the PUT: the decided patch is what is sent', async () => {
    await synced(undefined, {
      sync: { auto: false },
      resolveConflict: ({ pending }) => {
        const { archived_at: _serverWins, ...rest } = pending;
        return rest;
      },
    });
    t.h.network.offline = true;
    await t.store.conversations.update(A.id, { archived_at: 1_800_000_000, is_pinned: true });
    await t.store.sync.now({ pull: 'none' });
    t.h.server.update(A.id, { archived_at: 1_700_000_500 });
    t.h.network.offline = false;
    await t.store.sync.now({ pull: 'none' });
    expect(requests(t.h.server, 'PUT').map((r) => r.body)).toEqual([{ is_pinned: true }]);
    expect(t.h.server.get(A.id)).toMatchObject({ archived_at: 1_700_000_500, is_pinned: true });
    expect(await t.store.conversations.retrieve(A.id)).toEqual(t.h.server.get(A.id));
  });

  it('gives resolveConflict the record the update was made on as base, though another device set one of its fields to the same value', async () => {
    vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
    const contexts: ConflictContext[] = [];
    await synced([A, B, C], {
      sync: { auto: false, freshMs: 1000 },
      resolveConflict: (context) => {
        contexts.push(context);
        return context.pending;
      },
    });
    vi.setSystemTime(T + 1001); // A was confirmed longer ago than freshMs: its update is checked.
    await t.store.conversations.update(A.id, { is_muted: true, archived_at: 1_800_000_000 });
    // Another device mutes it too (no conflict) and archives it at another time (a conflict).
    t.h.server.update(A.id, { is_muted: true, archived_at: 1_700_000_500 });
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET ${path(A.id)}`, `PUT ${path(A.id)}`]);
    expect(contexts).toEqual([
      expect.objectContaining({
        id: A.id,
        fields: ['archived_at'],
        base: A, // Not muted: the update was never sent, so the server's mute is not ours.
        pending: { is_muted: true, archived_at: 1_800_000_000 },
      }),
    ]);
  });

  it('sends nothing when the server already holds the decided values', async () => {
    await synced();
    t.h.network.offline = true;
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.sync.now({ pull: 'none' });
    t.h.server.update(A.id, { is_muted: true });
    t.h.network.offline = false;
    await t.store.sync.now({ pull: 'none' });
    expect(requests(t.h.server, 'PUT')).toEqual([]);
    expect(await t.store.sync.listOutbox()).toEqual([]);
  });

  it('treats a 404 as the deleted conflict', async () => {
    await synced();
    t.h.network.offline = true;
    await t.store.conversations.update(B.id, { is_pinned: true });
    await t.store.sync.now({ pull: 'none' });
    t.h.server.remove(B.id);
    t.h.network.offline = false;
    const conflicts = record(t.store.sync.conflicts$);
    await t.store.sync.now({ pull: 'none' });
    expect(conflicts.values.map((c) => [c.id, c.kind])).toEqual([[B.id, 'deleted']]);
    expect(requests(t.h.server, 'PUT')).toEqual([]);
    expect(await t.store.conversations.retrieve(B.id)).toBeUndefined();
  });

  it('checks an update whose record was confirmed longer ago than freshMs', async () => {
    await synced(undefined, { sync: { auto: false, freshMs: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET ${path(A.id)}`, `PUT ${path(A.id)}`]);
  });

  it('sends at once an update to a record confirmed exactly freshMs ago, checks one older', async () => {
    vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
    await synced(undefined, { sync: { auto: false, freshMs: 1000 } });
    vi.setSystemTime(T + 1000);
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`PUT ${path(A.id)}`]);
    t.h.server.clearRequests();
    vi.setSystemTime(T + 1001);
    await t.store.conversations.update(B.id, { is_muted: true });
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET ${path(B.id)}`, `PUT ${path(B.id)}`]);
  });

  it('replaces a frozen entry whose reply was lost with one entry under a new key', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_pinned: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // Not applied.
    await t.store.sync.now({ pull: 'none' });
    t.h.server.faults.loseNextReply(1, { methods: ['PUT'] }); // Applied, reply lost.
    await t.store.sync.now({ pull: 'none' });
    t.h.server.update(A.id, { is_pinned: false }); // Another device unpins it.
    t.h.server.clearRequests();
    const conflicts = record(t.store.sync.conflicts$);
    await t.store.sync.now({ pull: 'none' });
    // The GET shows the record unpinned, as it was before the pin: nothing tells that the
    // pin ever landed, so it is no conflict and the pin is sent again, under a new key (the
    // old one would replay the first answer and the pin would stay lost).
    expect(conflicts.values).toEqual([]);
    expect(methods()).toEqual([`GET ${path(A.id)}`, `PUT ${path(A.id)}`]);
    expect(requests(t.h.server, 'PUT')[0]?.replayed).toBe(false);
    expect(t.h.server.get(A.id)?.is_pinned).toBe(true);
  });
});

describe('updates the check reads first (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
  });

  it('checks an update that a round ending offline never reached, queued in the same millisecond', async () => {
    await synced(undefined, { sync: { auto: false, concurrency: 1 } });
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.conversations.update(B.id, { is_pinned: true });
    t.h.network.offline = true;
    // A's PUT finds no network; the round stops there, B's entry is never tried.
    expect(await t.store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline', pushed: 0 });
    t.h.network.offline = false;
    const events = record(t.store.sync.events$);
    await t.store.sync.now({ pull: 'none' });
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
    expect(t.h.server.get(B.id)?.is_pinned).toBe(true);
  });

  it('checks a record whose first queued update predates a round that ended offline, though a later one does not', async () => {
    await synced(undefined, { sync: { auto: false, concurrency: 1 } });
    await t.store.conversations.update(B.id, { is_pinned: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // Sent and refused for now: frozen.
    expect(await t.store.sync.now({ pull: 'none' })).toMatchObject({ state: 'error' });
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.network.offline = true; // A's PUT fails first; B is not reached.
    expect(await t.store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline' });
    t.h.network.offline = false;
    vi.setSystemTime(T + 1);
    await t.store.conversations.update(B.id, { is_muted: true }); // Queued after that round.
    t.h.server.clearRequests();
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([
      `GET ${path(A.id)}`,
      `PUT ${path(A.id)}`,
      `GET ${path(B.id)}`,
      `PUT ${path(B.id)}`,
    ]);
    expect(requests(t.h.server, 'PUT').map((r) => r.body)).toEqual([
      { is_muted: true },
      { is_pinned: true, is_muted: true },
    ]);
  });

  it('checks an update whose PUT got no answer even when the clock was set back before that round', async () => {
    await synced();
    vi.setSystemTime(T + 2000);
    await t.store.conversations.update(A.id, { is_pinned: true });
    vi.setSystemTime(T + 1000); // The device clock is corrected backwards.
    t.h.server.faults.loseNextReply(1, { methods: ['PUT'] }); // Applied, reply lost.
    expect(await t.store.sync.now({ pull: 'none' })).toMatchObject({ state: 'offline' });
    vi.setSystemTime(T + 1001);
    await t.store.conversations.update(A.id, { is_muted: true }); // Queued behind the frozen PUT.
    t.h.server.clearRequests();
    await t.store.sync.now({ pull: 'none' });
    // The GET shows the pin landed: only the mute is left, sent under a new key.
    expect(methods()).toEqual([`GET ${path(A.id)}`, `PUT ${path(A.id)}`]);
    expect(requests(t.h.server, 'PUT').map((r) => [r.body, r.replayed])).toEqual([
      [{ is_muted: true }, false],
    ]);
    expect(t.h.server.get(A.id)).toMatchObject({ is_pinned: true, is_muted: true });
  });

  it('counts the reply to a POST as a confirmation: an update within freshMs of it is sent without a GET', async () => {
    await synced([A], { sync: { auto: false, freshMs: 1000 } });
    const changes = record(t.store.idChanges$);
    await t.store.conversations.create({ contact_id: 'k1' });
    await t.store.sync.now({ pull: 'none' });
    const [change] = changes.values as IdChange[];
    const id = change?.to as string;
    expect(t.h.server.get(id)).toBeDefined();
    vi.setSystemTime(T + 1000); // freshMs after the POST's reply: still fresh.
    await t.store.conversations.update(id, { is_muted: true });
    t.h.server.clearRequests();
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`PUT ${path(id)}`]);
    expect(t.h.server.get(id)?.is_muted).toBe(true);
  });

  it('counts a check that sent nothing as a confirmation: the next update within freshMs goes out at once', async () => {
    await synced(undefined, { sync: { auto: false, freshMs: 1000 } });
    vi.setSystemTime(T + 1001); // A's confirmation by the first pull is stale now.
    t.h.server.update(A.id, { is_muted: true }); // Another device did the same.
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET ${path(A.id)}`]);
    t.h.server.clearRequests();
    vi.setSystemTime(T + 2001); // Exactly freshMs after the check.
    await t.store.conversations.update(A.id, { is_pinned: true });
    await t.store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`PUT ${path(A.id)}`]);
  });
});
