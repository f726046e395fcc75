/**
 * Several tabs on one database: every store shows the same status and receives every
 * event, whichever tab ran the round (the manual platform carries the channel's messages
 * between the stores of one harness, as BroadcastChannel does between tabs).
 */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthError,
  type Conflict,
  type ConversationStore,
  type IdChange,
  NetworkError,
  type Rejection,
  type SyncStatus,
} from '../../src/index.js';
import { A, B, C, eventually, harness, record, requests, syncedSuite, TOKEN } from '../fixtures.js';

/** The harness (`t.h`) and the stores `open()` opens on it; closed after each test. */
const { t, open } = syncedSuite();

/** Two stores on one database, as two tabs, after a first sync of A, B, C. */
async function twoTabs() {
  t.h = harness([A, B, C], { tabs: true });
  const first = open();
  const second = open();
  await first.sync.now();
  t.h.server.clearRequests();
  return { first, second };
}

/** The latest status of each store, kept up to date. */
function watch(...tabs: ConversationStore[]) {
  const recorded = tabs.map((tab) => record(tab.sync.status$));
  return {
    last: (index: number) => recorded[index]?.values.at(-1),
    all: (index: number) => recorded[index]?.values ?? [],
  };
}

/** Waits (2 s at most) until every watched store's latest status matches `expected`. */
async function everyTabShows(
  status: ReturnType<typeof watch>,
  count: number,
  expected: Partial<SyncStatus>,
) {
  await eventually(() => {
    for (let index = 0; index < count; index++) {
      expect(status.last(index), `tab ${index}`).toMatchObject(expected);
    }
  });
}

describe('every tab shows the same status', () => {
  it('shows a round that could not reach the server as offline, with the pending count, in every tab', async () => {
    const { first, second } = await twoTabs();
    const status = watch(first, second);
    t.h.network.offline = true;
    await second.conversations.update(A.id, { is_muted: true });
    await first.sync.now();
    await everyTabShows(status, 2, { state: 'offline', pending: 1 });
    expect(status.last(1)?.lastError).toBeInstanceOf(NetworkError);
    expect(status.last(1)?.lastError?.message).toBe(status.last(0)?.lastError?.message);
  });

  it('shows the round as syncing, then its end and lastSyncedAt, in every tab', async () => {
    const { first, second } = await twoTabs();
    await second.conversations.update(A.id, { is_muted: true });
    const status = watch(first, second);
    await everyTabShows(status, 2, { pending: 1 });
    await first.sync.now();
    await everyTabShows(status, 2, { state: 'idle', pending: 0, lastError: null });
    expect(status.all(1).map((s) => s.state)).toContain('syncing');
    expect(status.last(1)?.lastSyncedAt).toBe(status.last(0)?.lastSyncedAt);
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
  });

  it('shows a complete walk’s progress, then hasSynced, in every tab', async () => {
    const { first, second } = await twoTabs();
    const status = watch(first, second);
    await first.sync.now();
    await everyTabShows(status, 2, { state: 'idle', progress: null, hasSynced: true });
    const seen = status.all(1).flatMap((s) => (s.progress === null ? [] : [s.progress]));
    expect(seen.length).toBeGreaterThan(0); // The other tab saw the walk as it ran.
  });

  it('shows a failed round as error, with its ApiError, in every tab', async () => {
    const { first, second } = await twoTabs();
    const status = watch(first, second);
    await second.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'], message: 'Busy' });
    await first.sync.now();
    await everyTabShows(status, 2, { state: 'error', pending: 1 });
    const error = status.last(1)?.lastError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ name: 'ApiError', status: 503, type: 'api_error' });
    expect(error?.message).toBe(status.last(0)?.lastError?.message);
  });

  it('shows an auth pause in every tab; a follower’s sync.now() resumes it everywhere', async () => {
    const { first, second } = await twoTabs();
    const status = watch(first, second);
    await second.conversations.update(A.id, { is_muted: true });
    t.h.server.setToken('rotated');
    await first.sync.now();
    await everyTabShows(status, 2, { state: 'paused', pending: 1 });
    expect(status.last(1)?.lastError).toBeInstanceOf(AuthError);
    expect(status.last(1)?.lastError).toMatchObject({ status: 401 });

    t.h.server.setToken(TOKEN);
    expect((await second.sync.now()).state).toBe('idle');
    await everyTabShows(status, 2, { state: 'idle', pending: 0, lastError: null });
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
  });

  it('lets a follower’s sync.start() resume a paused leader, which then syncs', async () => {
    t.h = harness([A, B, C], { tabs: true });
    const auto = { auto: true, debounceMs: 10, intervalMs: 0, retry: { baseMs: 10, maxMs: 100 } };
    const leader = open({ sync: auto });
    await eventually(() => expect(requests(t.h.server, 'GET').length).toBeGreaterThan(0));
    const follower = open();
    const status = watch(leader, follower);
    await everyTabShows(status, 2, { state: 'idle' });
    t.h.server.setToken('rotated');
    await leader.conversations.update(A.id, { is_muted: true });
    await everyTabShows(status, 2, { state: 'paused', pending: 1 });

    t.h.server.setToken(TOKEN);
    t.h.server.clearRequests();
    follower.sync.start();
    await everyTabShows(status, 2, { state: 'idle', pending: 0, lastError: null });
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
    expect(requests(t.h.server, 'PUT')).toHaveLength(1);
  });

  it('shows the current state to a store opened later', async () => {
    const { first, second } = await twoTabs();
    await second.conversations.update(A.id, { is_muted: true });
    t.h.server.setToken('rotated');
    await first.sync.now();
    const third = open();
    const status = watch(third);
    await everyTabShows(status, 1, { state: 'paused', pending: 1 });
    expect(status.last(0)?.lastError).toBeInstanceOf(AuthError);
  });

  it('goes offline at once in every tab when the platform reports offline', async () => {
    const { first, second } = await twoTabs();
    const status = watch(first, second);
    await everyTabShows(status, 2, { state: 'idle' });
    t.h.platform.goOffline();
    await everyTabShows(status, 2, { state: 'offline' });
    expect(t.h.server.requests).toHaveLength(0);
  });

  it('shows offline in a store opened while the platform is offline', async () => {
    const { first } = await twoTabs();
    await first.close();
    t.h.platform.goOffline();
    const later = open();
    const status = watch(later);
    await everyTabShows(status, 1, { state: 'offline' });
    expect(status.all(0).map((s) => s.state)).toEqual(['offline']);
  });
});

describe('every tab gets every event', () => {
  it('sends a created record’s server id to every tab’s idChanges$', async () => {
    const { first, second } = await twoTabs();
    const seen = [record(first.idChanges$), record(second.idChanges$)];
    const created = await second.conversations.create({ contact_id: 'k1' });
    await first.sync.now();
    const serverId = t.h.server.all().find((row) => row.contact_id === 'k1')?.id;
    const expected: IdChange[] = [{ from: created.id, to: serverId as string }];
    await eventually(() => {
      expect(seen[0]?.values).toEqual(expected);
      expect(seen[1]?.values).toEqual(expected);
    });
  });

  it('reports a refused write on every tab’s rejections$, its error an ApiError', async () => {
    const { first, second } = await twoTabs();
    const seen = [record(first.sync.rejections$), record(second.sync.rejections$)];
    await second.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(400, 1, { methods: ['PUT'], message: 'Nope' });
    await first.sync.now();
    await eventually(() => expect(seen[1]?.values).toHaveLength(1));
    const [here, there] = [seen[0]?.values[0], seen[1]?.values[0]] as [Rejection, Rejection];
    expect(there.error).toBeInstanceOf(ApiError);
    expect(there.error).toMatchObject({ status: 400, type: 'invalid_request', message: 'Nope' });
    expect({ ...there, error: null }).toEqual({ ...here, error: null });
    expect(await second.sync.listRejections()).toHaveLength(1);
  });

  it('reports a conflict on every tab’s conflicts$', async () => {
    const { first, second } = await twoTabs();
    const seen = [record(first.sync.conflicts$), record(second.sync.conflicts$)];
    await second.conversations.update(A.id, { is_muted: true });
    t.h.server.remove(A.id);
    await first.sync.now();
    await eventually(() => expect(seen[1]?.values).toHaveLength(1));
    expect(seen[1]?.values).toEqual(seen[0]?.values);
    expect(seen[1]?.values[0]).toMatchObject<Partial<Conflict>>({ id: A.id, kind: 'deleted' });
  });

  it('delivers each event once to each tab, also with three tabs', async () => {
    const { first, second } = await twoTabs();
    const third = open();
    const seen = [first, second, third].map((tab) => record(tab.idChanges$));
    await third.conversations.create({ group_id: 'g1' });
    await second.sync.now();
    await eventually(() => {
      for (const tab of seen) expect(tab.values).toHaveLength(1);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const tab of seen) expect(tab.values).toHaveLength(1);
  });
});
