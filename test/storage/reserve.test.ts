/**
 * The reserve (reserve.ts, option `storage.reserveBytes`): a file held in the origin
 * private file system and given up when the browser refuses a local write, so the write
 * lands even where deleting rows frees nothing yet (Chromium frees deleted rows' space
 * only when LevelDB compacts). Taken again after a round that finds room; removed by
 * destroy().
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DirectoryHandleLike, StorageManagerLike } from '../../src/platform/platform.js';
import { Reserve } from '../../src/storage/reserve.js';
import { createManualPlatform } from '../../src/testing/index.js';
import {
  afterConversationWrites,
  conversation,
  FAKE_TIMERS,
  type Harness,
  harness,
  record,
} from '../fixtures.js';

const KIB = 1024;
const ROWS = Array.from({ length: 20 }, (_, index) =>
  conversation({ id: `RES${String(index).padStart(13, '0')}`, last_active_at: 1000 - index }),
);

const quotaError = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
const notFound = () => new DOMException('Not found.', 'NotFoundError');

/**
 * A fake origin with a quota in units: a stored conversation is one, a file one per KiB.
 * As in Chromium, a deleted row keeps its unit until `compact()`; a file frees its units
 * as soon as it is removed, and a file being written keeps its old content (and units)
 * until `close()` (Chromium writes to a swap file). Writes past `limit` fail with
 * QuotaExceededError (and the transaction is rolled back); deletes are never refused.
 * `writes` lists the size of every file write.
 */
function fakeOrigin(databaseName: string) {
  const state = { limit: Number.POSITIVE_INFINITY, rows: 0, deleted: 0 };
  const files = new Map<string, number>();
  const writes: number[] = [];
  const fileUnits = () => [...files.values()].reduce((sum, size) => sum + Math.ceil(size / KIB), 0);
  const used = () => state.rows + state.deleted + fileUnits();

  const remove = afterConversationWrites(databaseName, (type, rows) => {
    if (type === 'delete' || type === 'deleteRange') state.deleted += state.rows - rows;
    else if (rows + state.deleted + fileUnits() > state.limit) throw quotaError();
    state.rows = rows;
  });

  const directory: DirectoryHandleLike = {
    getFileHandle: async (name, options) => {
      if (!files.has(name)) {
        if (options?.create !== true) throw notFound();
        files.set(name, 0);
      }
      return {
        getFile: async () => ({ size: files.get(name) ?? 0 }),
        createWritable: async () => {
          let size = 0;
          return {
            write: async (data: Uint8Array) => {
              writes.push(data.length);
              size += data.length;
              if (state.rows + state.deleted + fileUnits() + Math.ceil(size / KIB) > state.limit) {
                throw quotaError();
              }
            },
            close: async () => {
              files.set(name, size);
            },
            abort: async () => {},
          };
        },
      };
    },
    removeEntry: async (name) => {
      if (!files.delete(name)) throw notFound();
    },
  };
  const manager: StorageManagerLike = { getDirectory: async () => directory };
  return {
    state,
    files,
    writes,
    manager,
    used,
    /** LevelDB compacted: deleted rows free their units. */
    compact: () => {
      state.deleted = 0;
    },
    remove,
  };
}

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const FILE = (h: Harness) => `protocol-offline-reserve-${encodeURIComponent(h.databaseName)}`;

/** A synced store holding its 4 KiB reserve, on an origin that is now full. */
async function fullOrigin(reserveBytes = 4 * KIB) {
  const h = harness(ROWS);
  const origin = fakeOrigin(h.databaseName);
  cleanup.push(origin.remove);
  const platform = { ...createManualPlatform(), storage: () => origin.manager };
  const store = h.open({ platform, storage: { reserveBytes } });
  cleanup.push(() => store.close());
  await store.sync.now(); // The round ends by taking the reserve (if it was not yet).
  expect(origin.files.get(FILE(h))).toBe(reserveBytes === 0 ? undefined : reserveBytes);
  origin.state.limit = origin.used();
  return { h, store, origin };
}

describe('the reserve', () => {
  it('a write refused while deletes free nothing yet lands by giving up the reserve', async () => {
    const { h, store, origin } = await fullOrigin();
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    await store.conversations.update(ROWS[3]?.id as string, { is_pinned: true });
    const created = await store.conversations.create({ contact_id: 'while-full' });

    expect(origin.files.has(FILE(h))).toBe(false);
    expect(events.values).toEqual([
      { type: 'reserve', held: false },
      { type: 'evicted', count: 16, reason: 'quota' },
    ]);
    expect(await store.conversations.retrieve(created.id)).toEqual(created);
    expect((await store.sync.listOutbox()).map((item) => [item.op, item.recordId])).toEqual([
      ['update', ROWS[3]?.id],
      ['create', created.id],
    ]);
    await store.sync.now();
    expect(h.server.all().find((row) => row.contact_id === 'while-full')).toBeDefined();
    expect(h.server.all().find((row) => row.id === ROWS[3]?.id)?.is_pinned).toBe(true);
  });

  it('without a reserve the same write is refused whole, and what was queued stays', async () => {
    const { h, store } = await fullOrigin(0);
    const before = await h.dump();
    const error = await store.conversations.create({ contact_id: 'while-full' }).catch((e) => e);
    expect(error).toMatchObject({ name: 'StorageError', quota: true });
    const after = await h.dump();
    expect(after.outbox).toEqual(before.outbox);
    expect(JSON.stringify(after.conversations)).not.toContain('while-full');
  });

  it('is taken again after a round once the space is back', async () => {
    const { h, store, origin } = await fullOrigin();
    await store.conversations.create({ contact_id: 'while-full' });
    expect(origin.files.has(FILE(h))).toBe(false);
    const events = record(store.sync.events$);
    cleanup.push(events.stop);

    await store.sync.now(); // Still no room: the deleted rows are not compacted.
    expect(origin.files.has(FILE(h))).toBe(false);
    origin.compact();
    origin.state.limit = ROWS.length + 1 + 4; // Every row back from the pull, and the reserve.
    await store.sync.now();
    expect(origin.files.get(FILE(h))).toBe(4 * KIB);
    expect(events.values.filter((event) => event.type === 'reserve')).toEqual([
      { type: 'reserve', held: true },
    ]);
  });

  it('a held reserve stays in place through later rounds, even on a full origin', async () => {
    const { h, store, origin } = await fullOrigin();
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    origin.writes.length = 0;
    await store.sync.now();
    expect(origin.files.get(FILE(h))).toBe(4 * KIB);
    expect(origin.writes).toEqual([]); // Not written again.
    expect(events.values.filter((event) => event.type === 'reserve')).toEqual([]);
  });

  it('taking the reserve when the store opens is not reported as a change', async () => {
    const h = harness(ROWS);
    const origin = fakeOrigin(h.databaseName);
    cleanup.push(origin.remove);
    const platform = { ...createManualPlatform(), storage: () => origin.manager };
    const store = h.open({ platform, storage: { reserveBytes: 4 * KIB } });
    cleanup.push(() => store.close());
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    await store.sync.now();
    expect(origin.files.get(FILE(h))).toBe(4 * KIB);
    expect(events.values.filter((event) => event.type === 'reserve')).toEqual([]);
  });

  it('a pull that runs out of room leaves the reserve for local writes', async () => {
    const { h, store, origin } = await fullOrigin();
    h.server.insert({ contact_id: 'from-another-device', last_active_at: 2000 });
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    const summary = await store.sync.now();
    expect(summary.error).toMatchObject({ name: 'StorageError', quota: true });
    expect(origin.files.get(FILE(h))).toBe(4 * KIB);
    expect(events.values.filter((e) => e.type === 'reserve' || e.type === 'evicted')).toEqual([
      { type: 'evicted', count: 16, reason: 'quota' },
    ]);
  });

  it('a reserve another tab already gave up is not reported as given up again', async () => {
    const { h, store, origin } = await fullOrigin();
    origin.files.delete(FILE(h)); // Another tab's refused write removed it.
    origin.state.limit = origin.used(); // And the origin filled up again.
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    const error = await store.conversations.create({ contact_id: 'while-full' }).catch((e) => e);
    expect(error).toMatchObject({ name: 'StorageError', quota: true }); // Deletes free nothing yet.
    expect(events.values).toEqual([
      { type: 'evicted', count: 16, reason: 'quota' },
      { type: 'evicted', count: 4, reason: 'quota' },
    ]);
  });

  it('a store refused after a sign-out holds no reserve, even after a round it was asked for', async () => {
    const { h, store, origin } = await fullOrigin();
    origin.state.limit = Number.POSITIVE_INFINITY;
    await store.destroy();
    const platform = { ...createManualPlatform(), storage: () => origin.manager };
    const stale = h.open({ platform, storage: { reserveBytes: 4 * KIB } });
    cleanup.push(() => stale.close());
    const round = await stale.sync.now(); // Runs, and fails on the refused database.
    await stale.close();
    expect(round.error).toMatchObject({ name: 'StorageError' });
    expect(origin.files.size).toBe(0);
  });

  it('is taken before IndexedDB is opened at all, so the browser counts it from the start', async () => {
    const h = harness(ROWS);
    const origin = fakeOrigin(h.databaseName);
    cleanup.push(origin.remove);
    const reserveAtOpen: (number | undefined)[] = [];
    const factory = new Proxy(h.indexedDB, {
      get: (target, key) =>
        key === 'open'
          ? (name: string, version?: number) => {
              reserveAtOpen.push(origin.files.get(FILE(h)));
              return target.open(name, version);
            }
          : Reflect.get(target, key, target),
    });
    const platform = { ...createManualPlatform(), storage: () => origin.manager };
    const store = h.open({ platform, indexedDB: factory, storage: { reserveBytes: 4 * KIB } });
    cleanup.push(() => store.close());
    await store.sync.now();
    // The sign-out marker's database and the store's: both opened with the file in place.
    expect(reserveAtOpen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(reserveAtOpen)).toEqual(new Set([4 * KIB]));
  });

  it('a file system that never answers does not keep the database shut', async () => {
    const h = harness(ROWS);
    const stuck: StorageManagerLike = { getDirectory: () => new Promise(() => {}) };
    const platform = { ...createManualPlatform(), storage: () => stuck };
    const store = h.open({ platform });
    cleanup.push(() => store.close());
    expect((await store.sync.now()).pulled).toBe(ROWS.length);
    expect((await store.conversations.list({ limit: 1 })).data).toEqual([ROWS[0]]);
  });

  it('destroy() removes the reserve with the database', async () => {
    const { h, store, origin } = await fullOrigin();
    origin.state.limit = Number.POSITIVE_INFINITY;
    await store.destroy();
    expect(origin.files.size).toBe(0);
    expect(h.databaseName).toBeTruthy();
  });
});

describe('Reserve', () => {
  it('writes the file once at its full size and keeps it', async () => {
    const origin = fakeOrigin('no-database');
    cleanup.push(origin.remove);
    const reserve = new Reserve(origin.manager, 'a/b', 10_000);
    expect(await reserve.take()).toBe(true);
    expect(await reserve.take()).toBe(true);
    expect([...origin.files]).toEqual([['protocol-offline-reserve-a%2Fb', 10_000]]);
    expect(await reserve.release()).toBe(true);
    expect(await reserve.release()).toBe(false); // Already gone.
    expect(origin.files.size).toBe(0);
  });

  it('writes the file in pieces of at most 64 KiB, to its exact size', async () => {
    const origin = fakeOrigin('no-database');
    cleanup.push(origin.remove);
    expect(await new Reserve(origin.manager, 'odd', 150_000).take()).toBe(true);
    expect(origin.writes).toEqual([65_536, 65_536, 18_928]);
    origin.writes.length = 0;
    expect(await new Reserve(origin.manager, 'even', 128 * KIB).take()).toBe(true);
    expect(origin.writes).toEqual([65_536, 65_536]);
    origin.writes.length = 0;
    expect(await new Reserve(origin.manager, 'small', 10_000).take()).toBe(true);
    expect(origin.writes).toEqual([10_000]);
    expect([...origin.files]).toEqual([
      ['protocol-offline-reserve-odd', 150_000],
      ['protocol-offline-reserve-even', 128 * KIB],
      ['protocol-offline-reserve-small', 10_000],
    ]);
  });

  it('releasing an empty file (another tab only began its take) frees nothing', async () => {
    const origin = fakeOrigin('no-database');
    cleanup.push(origin.remove);
    origin.files.set('protocol-offline-reserve-db', 0);
    expect(await new Reserve(origin.manager, 'db', 4096).release()).toBe(false);
    expect(origin.files.size).toBe(0);
  });

  it('leaves no partial file when there is no room for it', async () => {
    const origin = fakeOrigin('no-database');
    cleanup.push(origin.remove);
    origin.state.limit = 5;
    expect(await new Reserve(origin.manager, 'db', 8 * KIB).take()).toBe(false);
    expect(origin.files.size).toBe(0);
    expect(await new Reserve(origin.manager, 'db', 5 * KIB).take()).toBe(true);
  });

  it('holds nothing without a file system or with 0 bytes', async () => {
    expect(await new Reserve(undefined, 'db', 4096).take()).toBe(false);
    expect(await new Reserve({}, 'db', 4096).release()).toBe(false);
    const origin = fakeOrigin('no-database');
    cleanup.push(origin.remove);
    expect(await new Reserve(origin.manager, 'db', 0).take()).toBe(false);
    expect(origin.files.size).toBe(0);
    const failing: StorageManagerLike = { getDirectory: () => Promise.reject(new Error('no')) };
    expect(await new Reserve(failing, 'db', 4096).take()).toBe(false);
  });
});

describe('Reserve on a file system that never answers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers false after 2 s, then leaves the file system alone', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    let asked = 0;
    const manager: StorageManagerLike = {
      getDirectory: () => {
        asked += 1;
        return new Promise(() => {});
      },
    };
    const reserve = new Reserve(manager, 'hung', 10_000);
    let first: boolean | undefined;
    void reserve.take().then((held) => {
      first = held;
    });
    await vi.advanceTimersByTimeAsync(1999);
    expect(first).toBeUndefined();
    expect(asked).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(first).toBe(false);
    // From then on both answer false at once, without asking the file system again.
    const again = [reserve.take(), reserve.release()];
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toBe(1);
    await vi.advanceTimersByTimeAsync(4000); // Lets a call that did ask time out.
    expect(await Promise.all(again)).toEqual([false, false]);
  });
});
