/** The lists watched in every tab: what a recent pull reads, and when a tab's entry expires. */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type StoreDatabase } from '../src/db.js';
import { writeWatched } from '../src/meta.js';
import { listKey, WatchedLists } from '../src/watched.js';

let db: StoreDatabase;
let counter = 0;
afterEach(() => db?.close());

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
