/**
 * throttledLive: the summary observable behind `pending$`. It must read at once after a
 * quiet period, coalesce a burst of writes into a few reads, ignore other tables, still
 * end on the committed state, pass a failed read on as an error, and read nothing once
 * unsubscribed.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { throttledLive } from '../../src/local/live.js';
import { newEntry } from '../../src/storage/outbox.js';
import { openDatabase, type StoreDatabase } from '../../src/storage/schema.js';
import { localStore } from '../fixtures.js';

const WINDOW_MS = 50;
let counter = 0;
let db: StoreDatabase;

afterEach(() => {
  vi.useRealTimers();
  db?.close();
});

async function watched() {
  db = openDatabase(`throttled-${counter++}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await db.open(); // Creating the database notifies a change of every table.
  const seen: number[] = [];
  let reads = 0;
  const subscription = throttledLive(
    db.name,
    ['outbox'],
    () => {
      reads++;
      return db.outbox.count();
    },
    (a, b) => a === b,
    WINDOW_MS,
  ).subscribe((count) => seen.push(count));
  return { seen, reads: () => reads, subscription };
}

/** Like {@link watched}, but its first read holds after reading until `release()`. */
async function watchedWithHeldFirstRead() {
  db = openDatabase(`throttled-${counter++}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await db.open();
  let reads = 0;
  let reached = false;
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const seen: number[] = [];
  const subscription = throttledLive(
    db.name,
    ['outbox'],
    async () => {
      reads++;
      const count = await db.outbox.count();
      if (reads === 1) {
        reached = true;
        await held; // The first read has read its count and is still running.
      }
      return count;
    },
    (a, b) => a === b,
    WINDOW_MS,
  ).subscribe((count) => seen.push(count));
  return { seen, reads: () => reads, reached: () => reached, release, subscription };
}

const enqueueOne = (id: string) =>
  db.outbox.add(newEntry(id, { op: 'update', patch: { is_muted: true } }, Date.now()));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(check()).toBe(true);
}

describe('throttledLive', () => {
  it('reads at once after a quiet period, then at most once per window during a burst', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { seen, reads, subscription } = await watched();
    await until(() => seen.length === 1);
    expect(seen).toEqual([0]);

    vi.advanceTimersByTime(WINDOW_MS * 2); // Quiet: the next change is read without waiting.
    await enqueueOne('a');
    await until(() => seen.at(-1) === 1);

    // Within the window: committed, but not read until the window ends.
    await enqueueOne('b');
    await enqueueOne('c');
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(seen.at(-1)).toBe(1);
    const readsBefore = reads();
    vi.advanceTimersByTime(WINDOW_MS);
    await until(() => seen.at(-1) === 3);
    expect(reads()).toBe(readsBefore + 1); // Two changes, one read.
    subscription.unsubscribe();
  });

  // Regression (issue 19c): a write that commits while a read is in progress must cause
  // one more read once it ends, or the summary stays stale until the next write.
  it('reads again after a write that committed during a read, and emits the latest value', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const watch = await watchedWithHeldFirstRead();
    await until(() => watch.reached());
    await enqueueOne('a'); // Commits while the read is held open.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(watch.seen).toEqual([]);
    expect(watch.reads()).toBe(1);
    watch.release();
    await until(() => watch.seen.length === 1);
    expect(watch.seen).toEqual([0]); // What the held read saw.
    vi.advanceTimersByTime(WINDOW_MS);
    for (let i = 0; i < 500 && watch.seen.length < 2; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(watch.seen).toEqual([0, 1]);
    expect(watch.reads()).toBe(2);
    watch.subscription.unsubscribe();
  });

  it('reads no more once unsubscribed, though a write committed during its last read', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const watch = await watchedWithHeldFirstRead();
    await until(() => watch.reached());
    await enqueueOne('a'); // Commits while the read is held open.
    watch.subscription.unsubscribe();
    watch.release();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    vi.advanceTimersByTime(WINDOW_MS * 2);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(watch.reads()).toBe(1);
    expect(watch.seen).toEqual([]);
  });

  it('passes a failed read on to the subscriber as its error', async () => {
    const failure = new Error('read failed');
    const errors: unknown[] = [];
    const subscription = throttledLive(
      'throttled-failing',
      ['outbox'],
      () => Promise.reject(failure),
      (a, b) => a === b,
      WINDOW_MS,
    ).subscribe({ error: (error) => errors.push(error) });
    await until(() => errors.length > 0);
    expect(errors).toEqual([failure]);
    subscription.unsubscribe();
  });

  it('reads again when any one of its tables changes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    db = openDatabase(`throttled-${counter++}`, { indexedDB: new IDBFactory(), IDBKeyRange });
    await db.open();
    let reads = 0;
    const subscription = throttledLive(
      db.name,
      ['outbox', 'meta'],
      () => {
        reads++;
        return db.outbox.count();
      },
      (a, b) => a === b,
      WINDOW_MS,
    ).subscribe();
    await until(() => reads === 1);
    await db.meta.put({ key: 'lastSyncedAt', value: 1 });
    vi.advanceTimersByTime(WINDOW_MS);
    await until(() => reads === 2);
    subscription.unsubscribe();
  });

  it('ends on the committed state after a burst of 100 writes, with far fewer reads', async () => {
    const { seen, reads, subscription } = await watched();
    await until(() => seen.length === 1);
    for (let i = 0; i < 100; i++) await enqueueOne(`r${i}`);
    await vi.waitFor(() => expect(seen.at(-1)).toBe(100), { timeout: 2000 });
    expect(reads()).toBeLessThan(50);
    subscription.unsubscribe();
  });

  it('ignores changes to other tables and stops reading once unsubscribed', async () => {
    const { seen, reads, subscription } = await watched();
    await until(() => seen.length === 1);
    await db.meta.put({ key: 'lastSyncedAt', value: 1 });
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS * 2));
    expect(reads()).toBe(1);
    subscription.unsubscribe();
    await enqueueOne('x');
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS * 2));
    expect(reads()).toBe(1);
    expect(seen).toEqual([0]);
  });
});

describe('pending$ and status$ during a burst of writes', () => {
  it('end on every written id, and a state change carries a fresh pending count', async () => {
    const local = await localStore();
    const { store } = local;
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      ids.push((await store.conversations.create({ contact_id: `k${i}` })).id);
    }
    await vi.waitFor(async () => {
      const pending = await new Promise<ReadonlySet<string>>((resolve) => {
        const subscription = store.sync.pending$.subscribe((set) => {
          resolve(set);
          queueMicrotask(() => subscription.unsubscribe());
        });
      });
      expect([...pending].sort()).toEqual([...ids].sort());
    });
    // The server is unreachable: the round ends 'offline' with the count read right then.
    await store.conversations.update(ids[0] as string, { is_muted: true });
    await store.conversations.create({ contact_id: 'last' });
    const summary = await store.sync.now();
    expect(summary.state).toBe('offline');
    const status = await new Promise<{ state: string; pending: number }>((resolve) => {
      const subscription = store.sync.status$.subscribe((value) => {
        resolve(value);
        queueMicrotask(() => subscription.unsubscribe());
      });
    });
    expect(status).toMatchObject({ state: 'offline', pending: 61 });
    await store.close();
  });
});
