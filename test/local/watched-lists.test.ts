/** The lists watched in every tab: what a recent pull reads, and when a tab's entry expires. */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listKey, PUBLISH_MS, WatchedLists } from '../../src/local/watched-lists.js';
import { readWatched, writeWatched } from '../../src/storage/meta.js';
import { openDatabase, type StoreDatabase } from '../../src/storage/schema.js';
import { FAKE_TIMERS, wrapTables } from '../fixtures.js';

let db: StoreDatabase;
let counter = 0;
afterEach(() => db?.close());

/** Fake timers, wall clock and monotonic clock (the registry's write window is monotonic). */
function fakeTimers() {
  vi.useFakeTimers({
    toFake: [...FAKE_TIMERS.toFake, 'performance'],
    now: 1_700_000_000_000,
  });
}

function open() {
  db = openDatabase(`watched-${counter++}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  return new WatchedLists(db);
}

describe('WatchedLists', () => {
  it('counts a list while it has a subscriber, once however many it has', async () => {
    const watched = open();
    const source = new Subject<number>();
    const first = watched.track({ pinned: true }, source).subscribe();
    const second = watched.track({ pinned: true, limit: 10 }, source).subscribe();
    expect(await watched.all()).toEqual([{ limit: 10, pinned: true }]);
    first.unsubscribe();
    expect(await watched.all()).toEqual([{ limit: 10, pinned: true }]);
    second.unsubscribe();
    expect(await watched.all()).toEqual([]);
    await watched.close();
  });

  it('includes other tabs’ lists, and ignores the entry of a tab gone for 15 minutes', async () => {
    const watched = open();
    await writeWatched(db, 'other-tab', { lists: [{ archived: true }], at: Date.now() - 60_000 });
    await writeWatched(db, 'gone-tab', {
      lists: [{ muted: true }],
      at: Date.now() - 16 * 60_000,
    });
    expect(await watched.all()).toEqual([{ archived: true }]);
    await watched.close();
  });

  it('gives equal keys to equal parameters whatever their order or defaults', () => {
    expect(listKey({ muted: false, limit: 10 })).toBe(listKey({ limit: 10, muted: false }));
    expect(listKey({})).toBe(listKey({ limit: 10 }));
    expect(listKey({ muted: true })).not.toBe(listKey({ muted: false }));
  });
});

describe('WatchedLists: expiry, heartbeat and close', () => {
  const MINUTE = 60_000;
  /** Lets fake-indexeddb (setImmediate, not faked) finish the writes in flight. */
  const settle = async () => {
    for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  afterEach(() => {
    vi.useRealTimers();
  });
  function twoTabs() {
    const first = open();
    return { first, second: new WatchedLists(db) };
  }

  it('still counts another tab’s entry refreshed exactly 15 minutes ago', async () => {
    fakeTimers();
    const watched = open();
    await writeWatched(db, 'edge-tab', { lists: [{ muted: true }], at: Date.now() - 15 * MINUTE });
    expect(await watched.all()).toEqual([{ muted: true }]);
    await watched.close();
  });

  it('keeps a tab’s lists visible to other tabs past 15 minutes while it watches them', async () => {
    fakeTimers();
    const { first, second } = twoTabs();
    const source = new Subject<number>();
    const pinned = first.track({ pinned: true }, source).subscribe();
    const archived = first.track({ archived: true }, source).subscribe();
    await vi.advanceTimersByTimeAsync(PUBLISH_MS);
    await vi.waitFor(async () => expect(await second.all()).toHaveLength(2));
    for (let minute = 0; minute < 16; minute++) {
      await vi.advanceTimersByTimeAsync(MINUTE);
      await settle();
    }
    expect(await second.all()).toEqual(
      expect.arrayContaining([
        { limit: 10, pinned: true },
        { limit: 10, archived: true },
      ]),
    );
    expect(await second.all()).toHaveLength(2);
    pinned.unsubscribe();
    archived.unsubscribe();
    await first.close();
  });

  it('keeps no timer once a tab watches nothing', async () => {
    fakeTimers();
    const watched = open();
    const source = new Subject<number>();
    const pinned = watched.track({ pinned: true }, source).subscribe();
    const archived = watched.track({ archived: true }, source).subscribe();
    for (let minute = 0; minute < 16; minute++) {
      await vi.advanceTimersByTimeAsync(MINUTE);
      await settle();
    }
    expect(vi.getTimerCount()).toBe(1); // The heartbeat.
    pinned.unsubscribe();
    archived.unsubscribe();
    await vi.advanceTimersByTimeAsync(PUBLISH_MS);
    expect(vi.getTimerCount()).toBe(0);
    expect(await watched.all()).toEqual([]);
    await watched.close();
  });

  it('after close(), other tabs no longer see its lists, even one subscribed after', async () => {
    fakeTimers();
    const { first, second } = twoTabs();
    const source = new Subject<number>();
    first.track({ pinned: true }, source).subscribe();
    await vi.advanceTimersByTimeAsync(PUBLISH_MS);
    await vi.waitFor(async () => expect(await second.all()).toEqual([{ limit: 10, pinned: true }]));
    await first.close();
    expect(await second.all()).toEqual([]);
    first.track({ muted: true }, source).subscribe();
    await vi.advanceTimersByTimeAsync(PUBLISH_MS);
    await settle();
    expect(await second.all()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('writes list keys in one canonical form (they name rows kept in the meta table)', () => {
    expect(listKey({ pinned: true, archived: false })).toBe(
      '[["archived",false],["limit",10],["pinned",true]]',
    );
    expect(listKey({ group_id: 'g1', muted: true, limit: 5 })).toBe(
      '[["group_id","g1"],["limit",5],["muted",true]]',
    );
  });
});

describe('WatchedLists: subscribing is in-memory work', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Opens the next database, counting every write of a `watched:` registry row to it. */
  function openCountingWrites() {
    const writes = { count: 0 };
    const stop = wrapTables(`watched-${counter}`, (name, table) => {
      if (name !== 'meta') return table;
      return {
        ...table,
        mutate: (request) => {
          const keys: readonly unknown[] = ('keys' in request ? request.keys : null) ?? [];
          const values: readonly { key?: unknown }[] = 'values' in request ? request.values : [];
          const named = [...keys, ...values.map((row) => row.key)];
          if (named.some((key) => typeof key === 'string' && key.startsWith('watched:'))) {
            writes.count += 1;
          }
          return table.mutate(request);
        },
      };
    });
    const watched = open();
    stop();
    return { watched, writes };
  }

  it('writes the registry at most once per coalescing window however often a list is subscribed', async () => {
    fakeTimers();
    const { watched, writes } = openCountingWrites();
    const source = new Subject<number>();
    const windows = 8;
    // 20 subscribe/unsubscribe cycles per window, the list subscribed half of the time.
    for (let cycle = 0; cycle < windows * 20; cycle++) {
      const subscription = watched.track({ muted: false }, source).subscribe();
      await vi.advanceTimersByTimeAsync(PUBLISH_MS / 40);
      subscription.unsubscribe();
      await vi.advanceTimersByTimeAsync(PUBLISH_MS / 40);
    }
    await vi.advanceTimersByTimeAsync(PUBLISH_MS);
    await vi.waitFor(async () => expect(await readWatched(db)).toEqual([]));
    // windows + 1 windows went by; the first change after a quiet spell writes at once.
    expect(writes.count).toBeLessThanOrEqual(windows + 2);
    await watched.close();
  });

  it('shows lists subscribed in one store to another store on the same database after the window', async () => {
    fakeTimers();
    const first = open();
    const second = new WatchedLists(db);
    const source = new Subject<number>();
    const archived = first.track({ archived: true }, source).subscribe();
    // Within the window of the write the first one started: written when it ends.
    const pinned = first.track({ pinned: true }, source).subscribe();
    await vi.advanceTimersByTimeAsync(PUBLISH_MS);
    await vi.waitFor(async () => expect(await second.all()).toHaveLength(2));
    expect(await second.all()).toEqual(
      expect.arrayContaining([
        { archived: true, limit: 10 },
        { limit: 10, pinned: true },
      ]),
    );
    archived.unsubscribe();
    pinned.unsubscribe();
    await first.close();
    await second.close();
  });

  it('leaves no pending timer after close()', async () => {
    fakeTimers();
    const watched = open();
    const source = new Subject<number>();
    const pinned = watched.track({ pinned: true }, source).subscribe();
    await vi.advanceTimersByTimeAsync(PUBLISH_MS);
    watched.track({ muted: true }, source).subscribe();
    pinned.unsubscribe();
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await watched.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
