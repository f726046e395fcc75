/**
 * The registry of watched lists and records: what it protects from eviction, and whether
 * a list may miss evicted records (isComplete).
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveResults } from '../../src/local/live-results.js';
import { WatchedRecords as WatchedLists } from '../../src/local/watched-records.js';
import { QuotaManager } from '../../src/storage/quota.js';
import { openDatabase, type StoreDatabase, toStored } from '../../src/storage/schema.js';
import { conversation, eventually, record } from '../fixtures.js';

const ROWS = Array.from({ length: 10 }, (_, index) =>
  conversation({
    id: `ROW${String(index).padStart(13, '0')}`,
    last_active_at: 1000 - index,
    is_muted: index % 2 === 1,
  }),
);
const idOf = (index: number) => ROWS[index]?.id as string;

let db: StoreDatabase;
let watched: WatchedLists;
let quota: QuotaManager;
let results: LiveResults;
afterEach(() => {
  results.close();
  db.close();
});

async function setUp() {
  db = openDatabase('watched', { indexedDB: new IDBFactory(), IDBKeyRange });
  await db.conversations.bulkPut(ROWS.map(toStored));
  results = new LiveResults(db);
  watched = new WatchedLists((params) => quota.isComplete(params));
  quota = new QuotaManager(db, {
    maxRecords: Number.MAX_SAFE_INTEGER,
    maxBytes: Number.MAX_SAFE_INTEGER,
    protectedIds: () => watched.protectedIds(),
  });
}

describe('watched lists', () => {
  it('protects the ids of a subscribed list page and a subscribed record until unsubscribed', async () => {
    await setUp();
    const list = record(watched.list({ limit: 3 }, results.list$({ limit: 3 })));
    const one = record(watched.record(results.retrieve$(idOf(9))));
    await eventually(() => expect(watched.protectedIds().size).toBe(4));
    expect([...watched.protectedIds()].sort()).toEqual([idOf(0), idOf(1), idOf(2), idOf(9)]);
    expect(watched.active()).toEqual([{ params: { limit: 3 }, ids: [idOf(0), idOf(1), idOf(2)] }]);
    list.stop();
    one.stop();
    expect(watched.protectedIds().size).toBe(0);
    expect(watched.active()).toEqual([]);
  });

  it('follows the current page as it changes', async () => {
    await setUp();
    const list = record(watched.list({ limit: 1 }, results.list$({ limit: 1 })));
    await eventually(() => expect([...watched.protectedIds()]).toEqual([idOf(0)]));
    await db.conversations.put(
      toStored({ ...(ROWS[5] as (typeof ROWS)[number]), last_active_at: 5000 }),
    );
    await eventually(() => expect(list.values).toHaveLength(2));
    expect([...watched.protectedIds()]).toEqual([idOf(5)]);
    list.stop();
  });
});

describe('isComplete', () => {
  it('is true while nothing was evicted', async () => {
    await setUp();
    expect(await watched.isComplete({ limit: 100 })).toBe(true);
  });

  it('is false for the pages an evicted record belonged on, true for the others', async () => {
    await setUp();
    expect(await quota.evict({ count: 1 })).toBe(1); // The least recently active: row 9 (muted).
    expect(await db.conversations.get(idOf(9))).toBeUndefined();
    expect(await watched.isComplete({ limit: 3 })).toBe(true); // Its page ends before row 9.
    expect(await watched.isComplete({ limit: 100 })).toBe(false);
    expect(await watched.isComplete({ limit: 3, starting_after: idOf(6) })).toBe(false);
    expect(await watched.isComplete({ muted: false })).toBe(true); // Row 9 was muted.
    expect(await watched.isComplete({ muted: true })).toBe(false);
  });

  it('is true again once a complete pull has brought the records back', async () => {
    await setUp();
    await quota.evict({ count: 2 });
    await db.conversations.bulkPut(ROWS.slice(8).map(toStored)); // What the pull stores.
    await quota.afterRound({ complete: true, error: null });
    expect(await watched.isComplete({ limit: 100 })).toBe(true);
  });
});

describe('a list before its first page', () => {
  it('protects nothing until its first page arrives, then that page', async () => {
    await setUp();
    const subscription = watched.list({ limit: 2 }, results.list$({ limit: 2 })).subscribe();
    // The first page is read from IndexedDB, so it cannot have arrived yet.
    expect([...watched.protectedIds()]).toEqual([]);
    expect(watched.active()).toEqual([{ params: { limit: 2 }, ids: [] }]);
    await eventually(() => expect([...watched.protectedIds()]).toEqual([idOf(0), idOf(1)]));
    subscription.unsubscribe();
  });
});
