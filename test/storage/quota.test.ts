/**
 * The quota manager: a write that runs out of quota evicts synced, unwatched records,
 * least recently active first, and lands; queued and watched records never go; limits
 * hold after pulls; lists learn they may be incomplete.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { rowBytes } from '../../src/storage/quota.js';
import { toStored } from '../../src/storage/schema.js';
import {
  afterConversationWrites,
  conversation,
  type Harness,
  harness,
  record,
  syncedHarness,
} from '../fixtures.js';

/** Twenty synced rows; row 0 is the most recently active, row 19 the least. */
const ROWS = Array.from({ length: 20 }, (_, index) =>
  conversation({ id: `ROW${String(index).padStart(13, '0')}`, last_active_at: 1000 - index }),
);
const idOf = (index: number) => ROWS[index]?.id as string;

/**
 * A fake disk: a write that leaves more than `limit.rows` conversations stored fails with
 * QuotaExceededError, and its transaction is rolled back (as a real full disk does).
 * Deletes are never refused.
 */
function fakeQuota(databaseName: string) {
  const limit = { rows: Number.POSITIVE_INFINITY };
  const remove = afterConversationWrites(databaseName, (type, rows) => {
    if (type !== 'delete' && type !== 'deleteRange' && rows > limit.rows) {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
  });
  return { limit, remove };
}

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function fullStore(options: Parameters<Harness['open']>[0] = {}) {
  const h = harness(ROWS);
  const quota = fakeQuota(h.databaseName);
  cleanup.push(quota.remove);
  const store = h.open(options);
  cleanup.push(() => store.close());
  await store.sync.now();
  quota.limit.rows = ROWS.length;
  return { h, store, quota };
}

const storedIds = async (h: Harness) =>
  ((await h.dump()).conversations as { id: string }[]).map((row) => row.id);

describe('quota', () => {
  it('a write past the quota evicts the least recently active synced records and lands', async () => {
    const { h, store } = await fullStore();
    const created = await store.conversations.create({ contact_id: 'new' });
    const ids = await storedIds(h);
    expect(ids).toContain(created.id);
    expect(ids).toContain(idOf(0));
    expect(ids).not.toContain(idOf(19)); // The least recently active went first.
    expect(ids.length).toBeLessThanOrEqual(ROWS.length);
    expect((await store.sync.listOutbox()).map((item) => item.op)).toEqual(['create']);
  });

  it('tells the records it evicted to make room on the debug stream', async () => {
    const { store } = await fullStore();
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    await store.conversations.create({ contact_id: 'new' });
    expect(events.values).toEqual([{ type: 'evicted', count: 16, reason: 'quota' }]);
  });

  it('never evicts records with queued writes or on a watched list', async () => {
    const { h, store, quota } = await fullStore();
    quota.limit.rows = Number.POSITIVE_INFINITY;
    await store.conversations.update(idOf(19), { is_muted: true });
    const watched = record(store.conversations.list$({ limit: 100, muted: false }));
    cleanup.push(watched.stop);
    await new Promise((resolve) => setTimeout(resolve, 50));
    quota.limit.rows = ROWS.length;
    const before = await h.dump();
    const error = await store.conversations.create({ contact_id: 'new' }).catch((e) => e);
    expect(error).toMatchObject({ name: 'StorageError', quota: true });
    expect(await h.dump()).toEqual(before); // Nothing evicted, nothing partial stored.
  });

  it('a write refused with nothing left to evict says why, and reports no eviction', async () => {
    const h = harness();
    const quota = fakeQuota(h.databaseName);
    cleanup.push(quota.remove);
    const store = h.open();
    cleanup.push(() => store.close());
    await store.sync.now();
    quota.limit.rows = 0;
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    const error = await store.conversations.create({ contact_id: 'new' }).catch((e) => e);
    expect(error).toMatchObject({ name: 'StorageError', quota: true });
    expect(error.message).toBe(
      'the browser refused to store more (The quota has been exceeded.\n' +
        ' QuotaExceededError: The quota has been exceeded.); nothing left to evict',
    ); // Dexie's wrapper names the browser's error in its message.
    expect(events.values).toEqual([]);
  });

  it('makes room in growing batches of 16, 32, 64, by last activity (not by id)', async () => {
    // 120 rows whose ids sort the other way round from their activity.
    const rows = Array.from({ length: 120 }, (_, index) =>
      conversation({
        id: `ROW${String(999 - index).padStart(13, '0')}`,
        last_active_at: 1000 - index,
      }),
    );
    const h = harness(rows);
    const quota = fakeQuota(h.databaseName);
    cleanup.push(quota.remove);
    const store = h.open();
    cleanup.push(() => store.close());
    await store.sync.now();
    quota.limit.rows = 60; // 120, 104, 72 are too many: the write lands after 112 are evicted.
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    const created = await store.conversations.create({ contact_id: 'new' });
    expect(events.values).toEqual([
      { type: 'evicted', count: 16, reason: 'quota' },
      { type: 'evicted', count: 32, reason: 'quota' },
      { type: 'evicted', count: 64, reason: 'quota' },
    ]);
    expect((await storedIds(h)).sort()).toEqual(
      [created.id, ...rows.slice(0, 8).map((row) => row.id)].sort(),
    );
  });

  it('a pull that runs out of room fails its round and evicts a batch for the next one', async () => {
    const { h, store } = await fullStore();
    h.server.insert({ contact_id: 'from-another-device', last_active_at: 2000 });
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    const summary = await store.sync.now();
    expect(summary.error).toMatchObject({ name: 'StorageError', quota: true });
    expect(events.values.filter((event) => event.type === 'evicted')).toEqual([
      { type: 'evicted', count: 16, reason: 'quota' },
    ]);
    expect(await storedIds(h)).toEqual(ROWS.slice(0, 4).map((row) => row.id));
  });

  it('evicts an unwatched record but keeps the watched ones and the queued one', async () => {
    const { h, store } = await fullStore();
    await store.conversations.update(idOf(19), { is_muted: true });
    const watched = record(store.conversations.list$({ limit: 5 }));
    cleanup.push(watched.stop);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await store.conversations.create({ contact_id: 'new' });
    const ids = await storedIds(h);
    for (const index of [0, 1, 2, 3, 4, 19]) expect(ids).toContain(idOf(index));
    expect(ids).not.toContain(idOf(18));
  });
});

describe('limits', () => {
  it('maxRecords evicts down to the limit after every pull, least recently active first', async () => {
    const { h, store } = await syncedHarness(ROWS, { storage: { maxRecords: 12 } });
    cleanup.push(() => store.close());
    expect(await storedIds(h)).toHaveLength(12);
    expect((await storedIds(h)).sort()).toEqual(
      ROWS.slice(0, 12)
        .map((row) => row.id)
        .sort(),
    );
    const full = await store.conversations.list({ limit: 100 });
    expect(full.data).toHaveLength(12);
    h.server.remove(idOf(19));
    await store.sync.now(); // A complete pull brings the rest back, then evicts again.
    expect(await storedIds(h)).toHaveLength(12);
  });

  it('maxBytes evicts down to the byte limit after a pull', async () => {
    const many = Array.from({ length: 400 }, (_, index) =>
      conversation({ id: `BIG${String(index).padStart(13, '0')}`, last_active_at: 5000 - index }),
    );
    const { h, store } = await syncedHarness(many, { storage: { maxBytes: 65_536 } });
    cleanup.push(() => store.close());
    const rows = (await h.dump()).conversations as object[];
    const bytes = rows.reduce((sum: number, row) => sum + JSON.stringify(row).length, 0);
    expect(bytes).toBeLessThanOrEqual(65_536);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.length).toBeLessThan(400);
  });

  it('maxBytes evicts exactly the least recently active records that take it over the limit', async () => {
    // 400 rows of the same size; the limit leaves room for all but two.
    const many = Array.from({ length: 400 }, (_, index) =>
      conversation({ id: `BIG${String(index).padStart(13, '0')}`, last_active_at: 5000 - index }),
    );
    const size = rowBytes(toStored(many[0] as (typeof many)[number]));
    const h = harness(many);
    const store = h.open({ storage: { maxBytes: 398 * size } });
    cleanup.push(() => store.close());
    const events = record(store.sync.events$);
    cleanup.push(events.stop);
    await store.sync.now();
    expect(events.values.filter((event) => event.type === 'evicted')).toEqual([
      { type: 'evicted', count: 2, reason: 'limits' },
    ]);
    expect((await storedIds(h)).sort()).toEqual(many.slice(0, 398).map((row) => row.id));
  });

  it('refuses limits out of range', () => {
    const h = harness();
    expect(() => h.open({ storage: { maxRecords: 5 } })).toThrow(ValidationError);
    expect(() => h.open({ storage: { maxBytes: 1000 } })).toThrow(/storage.maxBytes/);
    expect(() => h.open({ storage: { maxRecords: 1.5 } })).toThrow(/storage.maxRecords/);
    expect(() => h.open({ storage: { reserveBytes: -1 } })).toThrow(
      'storage.reserveBytes: must be an integer from 0 to 67108864',
    );
    expect(() => h.open({ storage: { reserveBytes: 2 ** 26 + 1 } })).toThrow(/reserveBytes/);
  });
});
