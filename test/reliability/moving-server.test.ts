/**
 * A server that moves while the store reads: deterministic scenarios of DESIGN 4 "Rounds
 * and their cost", driven by the reference server's `faults.onList` hook, which changes
 * the table exactly between two page requests of a round.
 *
 * - A conversation that gets a message jumps to the top, onto a page a walk has already
 *   read: the walk never lists it, yet only a 404 for its id may remove it (a complete
 *   walk, and one cut short and resumed after a reopen).
 * - Two watched lists with cursors: the server deleted the first one's cursor row (400
 *   for that list); the second list is still made exact, and the cursor's record is read
 *   by id and removed after the 404.
 * - With a storage limit, the records the quota manager evicted are not news: an idle
 *   recent round costs one GET.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation, SyncEvent } from '../../src/index.js';
import { conversation, record, requests, syncedSuite, until } from '../fixtures.js';

const { t, synced } = syncedSuite();

/** `count` rows in list order (row 0 the most recently active), no ties. */
function rows(count: number): Conversation[] {
  return Array.from({ length: count }, (_, index) =>
    conversation({
      id: `ROW${String(index).padStart(13, '0')}`,
      contact_id: `contact-${index}`,
      last_active_at: 1_000_000 - index * 10,
    }),
  );
}

const idOf = (list: Conversation[], index: number) => (list[index] as Conversation).id;

/** The store's debug events from now on (until the test ends). */
function events(): SyncEvent[] {
  const seen = record(t.store.sync.events$);
  return seen.values;
}

/** A `removed` event for `id`, if any. */
const removedEvents = (log: SyncEvent[], id: string) =>
  log.filter((event) => event.type === 'removed' && event.recordId === id);

/** The server's list order, most recently active first (later than every row). */
const topOfServer = () => Math.max(...t.h.server.all().map((row) => row.last_active_at ?? 0)) + 1;

/** The requests of the log for one record: `GET /v1/conversations/<id>` and their statuses. */
const readsOf = (id: string) =>
  requests(t.h.server, 'GET')
    .filter((request) => request.path === `/v1/conversations/${id}`)
    .map((request) => request.status);

const SYNC = { auto: false, retry: { baseMs: 10, maxMs: 100 } } as const;

describe('a row that moves to the top while a walk reads', () => {
  const ROWS = rows(10);
  const moved = idOf(ROWS, 8);

  it('a complete walk: the row that jumped onto a page already read stays, with its new state', async () => {
    await synced(ROWS, { sync: { ...SYNC, pageSize: 3 } });
    const log = events();
    // Page 1 (rows 0-2) is read; before page 2, row 8 (not read yet) gets a message.
    let bumped = false;
    t.h.server.faults.onList(({ query }) => {
      if (bumped || query.starting_after !== idOf(ROWS, 2)) return;
      bumped = true;
      t.h.server.update(moved, { last_active_at: topOfServer() });
    });
    const summary = await t.store.sync.now({ pull: 'full' });

    expect(bumped).toBe(true);
    expect(summary).toMatchObject({ complete: true, error: null });
    expect(removedEvents(log, moved)).toEqual([]);
    expect(await t.store.conversations.retrieve(moved)).toEqual(t.h.server.get(moved));
    expect((await t.store.conversations.list({ limit: 1 })).data[0]?.id).toBe(moved);
  });

  it('a walk cut short, the store reopened and the walk resumed: the row that jumped stays', async () => {
    await synced(ROWS, { sync: { ...SYNC, pageSize: 3 } });
    const beforeReopen = events();
    // Once page 2 (rows 3-5) is answered, row 8 gets a message and the network goes away:
    // page 3 fails and the walk stops with its cursor after row 5.
    let cut = false;
    t.h.server.faults.onList(
      ({ query }) => {
        if (cut || query.starting_after !== idOf(ROWS, 2)) return;
        cut = true;
        t.h.server.update(moved, { last_active_at: topOfServer() });
        t.h.network.offline = true;
      },
      { when: 'after' },
    );
    const stopped = await t.store.sync.now({ pull: 'full' });
    expect(cut).toBe(true);
    expect(stopped).toMatchObject({ complete: false, state: 'offline' });

    await t.store.close();
    t.h.network.offline = false;
    t.h.server.clearRequests();
    t.store = t.h.open({ sync: { ...SYNC, pageSize: 3 } });
    const afterReopen = events();
    const resumed = await t.store.sync.now({ pull: 'full' });

    expect(resumed).toMatchObject({ complete: true, error: null });
    // It resumed after row 5 rather than starting over.
    expect(requests(t.h.server, 'GET').map((request) => request.query.starting_after)).toContain(
      idOf(ROWS, 5),
    );
    expect(removedEvents([...beforeReopen, ...afterReopen], moved)).toEqual([]);
    expect(await t.store.conversations.retrieve(moved)).toEqual(t.h.server.get(moved));
  });
});

describe('watched lists whose cursor the server no longer knows', () => {
  it('one list answered 400 does not stop the next; its cursor record goes after a 404', async () => {
    const ROWS = rows(40);
    await synced(ROWS, { sync: { ...SYNC, pageSize: 5 } });
    const first = { starting_after: idOf(ROWS, 10), limit: 5 };
    const second = { starting_after: idOf(ROWS, 29), limit: 5 };
    const watchers = [first, second].map((params) =>
      t.store.conversations.list$(params).subscribe({ error: () => {} }),
    );
    try {
      await until(t.store.conversations.list$(second), (page) => page.data.length === 5);
      const log = events();
      const gone = idOf(ROWS, 10);
      const changed = idOf(ROWS, 31); // On the second list's page, far below the head.
      t.h.server.remove(gone);
      t.h.server.update(changed, { is_muted: true });
      const removedAfter404: boolean[] = [];
      t.store.sync.events$.subscribe((event) => {
        if (event.type === 'removed' && event.recordId === gone) {
          removedAfter404.push(readsOf(gone).includes(404));
        }
      });

      await t.store.sync.now({ pull: 'recent' });

      // The second list was read, with its own cursor, and made exact.
      const lists = requests(t.h.server, 'GET').filter((r) => r.path === '/v1/conversations');
      expect(lists.map((request) => request.query.starting_after)).toContain(second.starting_after);
      expect(await t.store.conversations.retrieve(changed)).toEqual(t.h.server.get(changed));
      // The first list's cursor was read by id: 404, so its record is removed.
      expect(readsOf(gone)).toEqual([404]);
      expect(await t.store.conversations.retrieve(gone)).toBeUndefined();
      expect(removedEvents(log, gone)).toEqual([
        { type: 'removed', recordId: gone, reason: 'not-found' },
      ]);
      expect(removedAfter404).toEqual([true]);
    } finally {
      for (const watcher of watchers) watcher.unsubscribe();
    }
  });
});

describe('a storage limit', () => {
  it('an idle recent round after a full sync costs exactly one GET of the list', async () => {
    // 10 is the smallest storage.maxRecords the options accept (5 is a ValidationError).
    await synced(rows(120), { sync: { ...SYNC, pageSize: 50 }, storage: { maxRecords: 10 } });
    expect((await t.store.conversations.list({ limit: 100 })).data).toHaveLength(10);
    t.h.server.clearRequests();

    const summary = await t.store.sync.now({ pull: 'recent' });

    expect(summary).toMatchObject({ pull: 'recent', error: null });
    expect(t.h.server.requests.map((r) => [r.method, r.path, r.query])).toEqual([
      ['GET', '/v1/conversations', { limit: '50' }],
    ]);
  });
});
