/**
 * The store's bookkeeping beside the data (storage/meta.ts): values such as when it last
 * synced, the state and seen ids of a walk over every page (so that a reload resumes it),
 * each tab's watched lists, and when the server last confirmed each list.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addSeen,
  clearWalk,
  readListConfirmed,
  readMeta,
  readSeen,
  readWatched,
  type WalkState,
  writeListConfirmed,
  writeMeta,
  writeWatched,
} from '../../src/storage/meta.js';
import { openDatabase, type StoreDatabase } from '../../src/storage/schema.js';

let db: StoreDatabase;
beforeEach(() => {
  db = openDatabase('meta', { indexedDB: new IDBFactory(), IDBKeyRange });
});
afterEach(() => db.close());

const walk: WalkState = {
  id: 'w1',
  startedAt: 1_700_000_000_000,
  cursor: 'c42',
  pages: 3,
  rows: 300,
};

describe('readMeta and writeMeta', () => {
  it('read null for a value never written', async () => {
    expect(await readMeta(db, 'lastSyncedAt')).toBeNull();
    expect(await readMeta(db, 'walk')).toBeNull();
  });

  it('read back the last value written under a key', async () => {
    await writeMeta(db, 'lastSyncedAt', 1);
    await writeMeta(db, 'lastSyncedAt', 2);
    await writeMeta(db, 'persisted', false);
    expect(await readMeta(db, 'lastSyncedAt')).toBe(2);
    expect(await readMeta(db, 'persisted')).toBe(false);
  });

  it('keep a walk’s state for a reload to resume it', async () => {
    await writeMeta(db, 'walk', walk);
    expect(await readMeta(db, 'walk')).toEqual(walk);
  });
});

describe('the ids a walk has seen', () => {
  it('are every page’s ids of that walk, and of no other walk', async () => {
    await addSeen(db, 'w1', 0, ['A', 'B']);
    await addSeen(db, 'w1', 1, ['C', 'B']);
    await addSeen(db, 'w10', 0, ['D']); // A walk whose id starts with the other's.
    expect(await readSeen(db, 'w1')).toEqual(new Set(['A', 'B', 'C']));
    expect(await readSeen(db, 'w10')).toEqual(new Set(['D']));
    expect(await readSeen(db, 'w2')).toEqual(new Set());
  });

  it('a page written again replaces its ids', async () => {
    await addSeen(db, 'w1', 0, ['A']);
    await addSeen(db, 'w1', 0, ['B']);
    expect(await readSeen(db, 'w1')).toEqual(new Set(['B']));
  });
});

describe('clearWalk', () => {
  it('forgets the walk in progress and every seen id, and keeps the rest', async () => {
    await writeMeta(db, 'walk', walk);
    await writeMeta(db, 'lastFullSyncAt', 5);
    await addSeen(db, 'w1', 0, ['A']);
    await addSeen(db, 'old', 0, ['B']);
    await writeWatched(db, 'tab-1', { lists: [{ muted: true }], at: 1 });
    await writeListConfirmed(db, 'list-key', 7);
    await clearWalk(db);
    expect(await readMeta(db, 'walk')).toBeNull();
    expect(await readSeen(db, 'w1')).toEqual(new Set());
    expect(await readSeen(db, 'old')).toEqual(new Set());
    expect(await readMeta(db, 'lastFullSyncAt')).toBe(5);
    expect(await readWatched(db)).toEqual([{ lists: [{ muted: true }], at: 1 }]);
    expect(await readListConfirmed(db, 'list-key')).toBe(7);
  });
});

describe('watched lists', () => {
  it('lists every store’s entry, other tabs’ included', async () => {
    await writeWatched(db, 'tab-1', { lists: [{ muted: true }], at: 1 });
    await writeWatched(db, 'tab-2', { lists: [{ archived: true }, { limit: 5 }], at: 2 });
    expect(await readWatched(db)).toEqual([
      { lists: [{ muted: true }], at: 1 },
      { lists: [{ archived: true }, { limit: 5 }], at: 2 },
    ]);
  });

  it('replaces a store’s entry when it writes again, and removes it when it watches nothing', async () => {
    await writeWatched(db, 'tab-1', { lists: [{ muted: true }], at: 1 });
    await writeWatched(db, 'tab-2', { lists: [{ pinned: true }], at: 1 });
    await writeWatched(db, 'tab-1', { lists: [{ muted: false }], at: 2 });
    await writeWatched(db, 'tab-2', { lists: [], at: 3 });
    expect(await readWatched(db)).toEqual([{ lists: [{ muted: false }], at: 2 }]);
  });
});

describe('list confirmations', () => {
  it('say when the server last confirmed each list, or null', async () => {
    await writeListConfirmed(db, 'muted', 10);
    await writeListConfirmed(db, 'muted', 20);
    await writeListConfirmed(db, 'archived', 15);
    expect(await readListConfirmed(db, 'muted')).toBe(20);
    expect(await readListConfirmed(db, 'archived')).toBe(15);
    expect(await readListConfirmed(db, 'pinned')).toBeNull();
  });
});
