/**
 * The live results cache: one result per parameters, shared by their subscribers and
 * released with the last; the store's own writes patch live lists and records in memory
 * (no IndexedDB read), once per transaction and only after commit; `list()` with the
 * parameters of a live list answers from it; and whatever happens (writes, pulls, id
 * remaps, another tab's writes) a live result always equals a fresh read.
 */
import { type DBCore, Dexie, RangeSet } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  Conversation,
  ConversationPatch,
  ConversationStore,
  ListPage,
  ListParams,
} from '../../src/index.js';
import { LiveResults } from '../../src/local/live-results.js';
import {
  createLocal,
  deleteLocal,
  updateLocal,
  type WriteContext,
} from '../../src/local/writes.js';
import { setClock, systemClock } from '../../src/platform/clock.js';
import { openDatabase, type StoreDatabase, toStored } from '../../src/storage/schema.js';
import { A, B, C, conversation, eventually, harness, NOW, quiet, record } from '../fixtures.js';

let db: StoreDatabase;
let results: LiveResults;
let reads = 0;

afterEach(() => {
  results?.close();
  db?.close();
});

/** A database whose record reads are counted, a cache on it, and its write context. */
async function setUp(rows: Conversation[] = [A, B, C]) {
  db = openDatabase(`results-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  db.use({
    stack: 'dbcore',
    name: 'count-reads',
    create: (down: DBCore): DBCore => ({
      ...down,
      table: (name) => {
        const table = down.table(name);
        if (name !== 'conversations') return table;
        return {
          ...table,
          query: (request) => {
            reads += 1;
            return table.query(request);
          },
          openCursor: (request) => {
            reads += 1;
            return table.openCursor(request);
          },
        };
      },
    }),
  });
  await db.conversations.bulkPut(rows.map(toStored));
  results = new LiveResults(db);
  const context: WriteContext = {
    db,
    nowSeconds: () => NOW,
    written: () => {},
    changed: (change, queue) => results.claim(change, queue),
  };
  return context;
}

describe('the store’s own writes', () => {
  it('patch a live list in memory: one emission per write, no IndexedDB read', async () => {
    const context = await setUp([A, B]);
    const list = record(results.list$({ muted: false, limit: 2 }));
    await eventually(() => expect(list.values).toHaveLength(1));
    reads = 0;
    await updateLocal(context, A.id, { is_pinned: true }); // Changes in place.
    await createLocal(context, { contact_id: 'k' }); // Below the full page: has_more.
    await updateLocal(context, B.id, { pinned_message_id: 'm1' }); // In place.
    expect(reads).toBe(0);
    expect(list.values.map((page) => [page.has_more, ...page.data.map((row) => row.id)])).toEqual([
      [false, A.id, B.id],
      [false, A.id, B.id],
      [true, A.id, B.id],
      [true, A.id, B.id],
    ]);
    expect(list.values[1]?.data[0]?.is_pinned).toBe(true);
    await updateLocal(context, A.id, { is_muted: true }); // Leaves a page with more after it:
    await eventually(() => expect(list.values).toHaveLength(5));
    expect(reads).toBeGreaterThan(0); // the row that moves up is read.
    expect(list.values[4]?.data.map((row) => row.id)).toEqual([
      B.id,
      expect.stringMatching(/^tmp_/),
    ]);
    list.stop();
  });

  it('answer list() from the live result, equal to a fresh read at once after each write', async () => {
    const context = await setUp();
    const params = { archived: false, limit: 3 };
    const list = record(results.list$(params));
    await eventually(() => expect(list.values).toHaveLength(1));
    reads = 0;
    await updateLocal(context, C.id, { archived_at: 5 });
    const cached = await results.list(params);
    await deleteLocal(context, A.id);
    const afterDelete = await results.list(params);
    expect(reads).toBe(0);
    results.close(); // A fresh read from here on.
    const fresh = new LiveResults(db);
    expect(cached).toEqual({ has_more: false, data: [A, B].map(strip) });
    expect(afterDelete).toEqual(await fresh.list(params));
    fresh.close();
    list.stop();
  });

  it('patch a live record, and never show a write whose transaction aborted', async () => {
    const context = await setUp();
    const one = record(results.retrieve$(A.id));
    await eventually(() => expect(one.values).toHaveLength(1));
    await updateLocal(context, A.id, { is_muted: true });
    const failing = db.transaction('rw', ['conversations', 'outbox', 'aliases'], async () => {
      await updateLocal(context, A.id, { is_pinned: true });
      throw new Error('abort');
    });
    await expect(failing).rejects.toThrow('abort');
    await quiet();
    expect(one.values.map((row) => [row?.is_muted, row?.is_pinned])).toEqual([
      [false, false],
      [true, false],
    ]);
    expect(await results.retrieve(A.id)).toMatchObject({ is_muted: true, is_pinned: false });
    one.stop();
  });

  it('read again after a change the store did not describe (a raw write, as a pull makes)', async () => {
    await setUp();
    const list = record(results.list$({ limit: 1 }));
    await eventually(() => expect(list.values).toHaveLength(1));
    await db.conversations.put(toStored({ ...C, last_active_at: 5000 }));
    await eventually(() => expect(list.values.at(-1)?.data[0]?.id).toBe(C.id));
    expect(await results.list({ limit: 1 })).toEqual(list.values.at(-1));
    list.stop();
  });
});

describe('retrieve$', () => {
  it('ignores the store’s writes to other records', async () => {
    const context = await setUp();
    const one = record(results.retrieve$(A.id));
    await eventually(() => expect(one.values).toHaveLength(1));
    await updateLocal(context, B.id, { is_muted: true });
    await deleteLocal(context, C.id);
    expect(one.values).toEqual([A]);
    expect(await results.retrieve(A.id)).toEqual(A);
    one.stop();
  });

  it('of a temporary id, shows the store’s writes once the server answered with its own id', async () => {
    const h = harness();
    const store = h.open();
    try {
      const created = await store.conversations.create({ contact_id: 'k' });
      const one = record(store.conversations.retrieve$(created.id));
      await store.sync.now(); // The create is acknowledged: the record takes the server's id.
      const serverId = h.server.all()[0]?.id;
      await eventually(() => expect(one.values.at(-1)?.id).toBe(serverId));
      await store.conversations.update(created.id, { is_muted: true });
      expect(one.values.at(-1)).toMatchObject({ is_muted: true });
      expect(await store.conversations.retrieve(created.id)).toMatchObject({ is_muted: true });
      one.stop();
    } finally {
      await store.close();
    }
  });

  it('leaves retrieve() reading IndexedDB until its first read is done', async () => {
    await setUp();
    const one = record(results.retrieve$(A.id));
    expect(await results.retrieve(A.id)).toEqual(A);
    one.stop();
  });
});

describe('subscribers of the same parameters', () => {
  it('share one read, and each sees the store’s writes', async () => {
    const context = await setUp();
    results.close();
    results = new LiveResults(db, 0); // Nothing warm: the subscribers' read is their own.
    reads = 0;
    await results.list({ limit: 2 }); // No live result: one fresh read.
    const oneRead = reads;
    reads = 0;
    const first = record(results.list$({ limit: 2 }));
    const second = record(results.list$({ limit: 2 }));
    await eventually(() => expect([first.values.length, second.values.length]).toEqual([1, 1]));
    expect(reads).toBe(oneRead);
    await updateLocal(context, A.id, { is_pinned: true });
    expect(first.values.at(-1)?.data[0]?.is_pinned).toBe(true);
    expect(second.values.at(-1)?.data[0]?.is_pinned).toBe(true);
    first.stop();
    second.stop();
  });

  it('get no repeat of the current page for a write that leaves it unchanged, late joiners included', async () => {
    const context = await setUp();
    const first = record(results.list$({ limit: 2 }));
    await eventually(() => expect(first.values).toHaveLength(1));
    const late = record(results.list$({ limit: 2 })); // Gets the current page at once.
    expect(late.values).toEqual(first.values);
    await updateLocal(context, C.id, { is_muted: true }); // C is not on the page.
    await quiet();
    expect([first.values.length, late.values.length]).toEqual([1, 1]);
    first.stop();
    late.stop();
  });

  it('keep receiving changes when another one unsubscribes', async () => {
    const context = await setUp();
    const leaving = record(results.list$({ limit: 2 }));
    const staying = record(results.list$({ limit: 2 }));
    await eventually(() => expect(staying.values).toHaveLength(1));
    leaving.stop();
    await updateLocal(context, A.id, { is_pinned: true }); // Patched in memory.
    expect(staying.values.at(-1)?.data[0]?.is_pinned).toBe(true);
    await db.conversations.put(toStored({ ...C, last_active_at: 5000 })); // Read again.
    await eventually(() => expect(staying.values.at(-1)?.data[0]?.id).toBe(C.id));
    staying.stop();
  });

  it('are all released with the last one: later changes are not read', async () => {
    await setUp();
    const first = record(results.list$({ limit: 2 }));
    const second = record(results.retrieve$(A.id));
    await eventually(() => expect([first.values.length, second.values.length]).toEqual([1, 1]));
    first.stop();
    second.stop();
    reads = 0;
    await db.conversations.put(toStored({ ...C, last_active_at: 5000 }));
    await quiet();
    expect(reads).toBe(0);
  });
});

describe('changes the store did not describe', () => {
  it('landing during a read cost one more read, not one each', async () => {
    await setUp();
    const list = record(results.list$({ limit: 3 }));
    await eventually(() => expect(list.values).toHaveLength(1));
    reads = 0;
    // Four transactions, committed one after the other: the first starts a read, which
    // IndexedDB runs after the other three.
    await Promise.all(
      [1, 2, 3, 4].map((n) => db.conversations.put(toStored({ ...C, last_active_at: 1000 + n }))),
    );
    await quiet();
    expect(reads).toBeLessThanOrEqual(2);
    expect(list.values.map((page) => page.data[0]?.last_active_at)).toEqual([300, 1004]);
    list.stop();
  });

  it('include Dexie’s signal that anything may have changed (a page back from the back/forward cache)', async () => {
    await setUp();
    const list = record(results.list$({ limit: 1 }));
    await eventually(() => expect(list.values).toHaveLength(1));
    // Written past Dexie, as by a tab that wrote while this page was frozen: no notification.
    await new Promise((resolve, reject) => {
      const transaction = db.backendDB().transaction('conversations', 'readwrite');
      transaction.objectStore('conversations').put(toStored({ ...C, last_active_at: 5000 }));
      transaction.oncomplete = resolve;
      transaction.onerror = reject;
    });
    Dexie.on.storagemutated.fire({ all: new RangeSet(Number.NEGATIVE_INFINITY, [[]]) }); // What Dexie fires on `pageshow`.
    await eventually(() => expect(list.values.at(-1)?.data[0]?.id).toBe(C.id));
    list.stop();
  });
});

const strip = (row: Conversation): Conversation => ({ ...row });

// ---- The property: live results equal fresh reads, whatever happens ----

const WATCHED: ListParams[] = [
  { limit: 3 },
  { muted: false, limit: 2 },
  { pinned: true, archived: false, limit: 4 },
  { group_id: 'g1', limit: 2 },
  { archived: true, limit: 10 },
];

type Step =
  | { kind: 'create'; group: boolean }
  | { kind: 'update'; pick: number; patch: ConversationPatch }
  | { kind: 'delete'; pick: number }
  | { kind: 'otherTab'; pick: number; patch: ConversationPatch }
  | { kind: 'otherTabCreate' }
  | { kind: 'server'; pick: number; patch: Partial<Conversation> }
  | { kind: 'serverCreate' }
  | { kind: 'serverDelete'; pick: number }
  | { kind: 'sync' };

const patch: fc.Arbitrary<ConversationPatch> = fc.record(
  {
    is_muted: fc.boolean(),
    is_pinned: fc.boolean(),
    archived_at: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
  },
  { requiredKeys: [] },
);
const pick = fc.nat(50);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), group: fc.boolean() }),
  fc.record({ kind: fc.constant('update' as const), pick, patch }),
  fc.record({ kind: fc.constant('update' as const), pick, patch }),
  fc.record({ kind: fc.constant('delete' as const), pick }),
  fc.record({ kind: fc.constant('otherTab' as const), pick, patch }),
  fc.constant({ kind: 'otherTabCreate' as const }),
  fc.record({
    kind: fc.constant('server' as const),
    pick,
    patch: fc.record(
      { last_active_at: fc.integer({ min: 1, max: 400 }), is_muted: fc.boolean() },
      { requiredKeys: [] },
    ),
  }),
  fc.constant({ kind: 'serverCreate' as const }),
  fc.record({ kind: fc.constant('serverDelete' as const), pick }),
  fc.constant({ kind: 'sync' as const }),
);

const SEED = Array.from({ length: 8 }, (_, index) =>
  conversation({
    id: `SEED${String(index).padStart(12, '0')}`,
    last_active_at: index % 3 === 0 ? null : 100 + (index % 4) * 10,
    created_at: 1_000 + index,
    group_id: index % 2 === 0 ? 'g1' : null,
    contact_id: index % 2 === 0 ? null : `c${index}`,
    is_muted: index % 3 === 1,
    is_pinned: index % 4 === 2,
    archived_at: index === 5 ? 3 : null,
  }),
);

async function apply(
  step: Step,
  store: ConversationStore,
  other: ConversationStore,
  h: ReturnType<typeof harness>,
) {
  const local = (await other.conversations.list({ limit: 100 })).data;
  const row =
    local[step.kind === 'create' ? 0 : 'pick' in step ? step.pick % Math.max(1, local.length) : 0];
  switch (step.kind) {
    case 'create':
      await store.conversations.create(step.group ? { group_id: 'g1' } : { contact_id: 'new' });
      return;
    case 'update':
      if (row) await store.conversations.update(row.id, step.patch);
      return;
    case 'delete':
      if (row) await store.conversations.delete(row.id);
      return;
    case 'otherTab':
      if (row) await other.conversations.update(row.id, step.patch);
      return;
    case 'otherTabCreate':
      await other.conversations.create({ group_id: 'g1' });
      return;
    case 'server': {
      const server = h.server.all();
      const target = server[step.pick % Math.max(1, server.length)];
      if (target) h.server.update(target.id, step.patch);
      return;
    }
    case 'serverCreate':
      h.server.insert({ contact_id: 'remote', last_active_at: 150 });
      return;
    case 'serverDelete': {
      const server = h.server.all();
      const target = server[step.pick % Math.max(1, server.length)];
      if (target) h.server.remove(target.id);
      return;
    }
    case 'sync':
      await store.sync.now(); // Pushes (creates acknowledged: ids remapped), then pulls.
  }
}

describe('live results', () => {
  it('equal a fresh read of the same parameters after every write, pull, id remap and other tab’s write', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const h = harness(SEED);
        const store = h.open();
        const other = h.open(); // Another tab on the same database: its list() reads IndexedDB.
        await store.sync.now();
        const latest = new Map<number, ListPage>();
        const subscriptions = WATCHED.map((params, index) =>
          store.conversations.list$(params).subscribe((page) => latest.set(index, page)),
        );
        try {
          for (const next of steps) {
            await apply(next, store, other, h);
            const own = next.kind === 'create' || next.kind === 'update' || next.kind === 'delete';
            const check = async () => {
              for (const [index, params] of WATCHED.entries()) {
                const fresh = await other.conversations.list(params);
                expect(latest.get(index), JSON.stringify({ params, next })).toEqual(fresh);
                expect(await store.conversations.list(params)).toEqual(fresh);
              }
            };
            // The store's own writes show at once; other changes after the re-read.
            if (own) await check();
            else {
              const deadline = Date.now() + 2000;
              for (;;) {
                try {
                  await check();
                  break;
                } catch (error) {
                  if (Date.now() > deadline) throw error;
                  await new Promise((resolve) => setTimeout(resolve, 5));
                }
              }
            }
          }
        } finally {
          for (const subscription of subscriptions) subscription.unsubscribe();
          await other.close();
          await store.close();
        }
      }),
      { numRuns: Number(process.env.NUM_RUNS ?? 40) },
    );
  }, 120_000);
});

describe('a result read again after a change it could not patch', () => {
  it('sends nothing when the change left its value as it was (a pull writing another row)', async () => {
    await setUp();
    const page = record(results.list$({ limit: 1 }));
    const one = record(results.retrieve$(A.id));
    await eventually(() => expect([page.values.length, one.values.length]).toEqual([1, 1]));
    reads = 0;
    // As a pull writes: A as it was, C (not on the page) changed.
    await db.conversations.bulkPut([A, { ...C, is_muted: true }].map(toStored));
    await eventually(() => expect(reads).toBeGreaterThan(0)); // Read again...
    await quiet();
    expect([page.values.length, one.values.length]).toEqual([1, 1]); // ...and stay silent.
    await db.conversations.put(toStored({ ...A, is_pinned: true })); // A change they show.
    await eventually(() => expect([page.values.length, one.values.length]).toEqual([2, 2]));
    expect(one.values[1]?.is_pinned).toBe(true);
    page.stop();
    one.stop();
  });
});

describe('what live results follow', () => {
  const everything = () => new RangeSet(Number.NEGATIVE_INFINITY, [[]]);

  it('nothing once closed: live results error, reads are refused, and a change reads nothing', async () => {
    await setUp();
    const list = record(results.list$({ limit: 1 }));
    await eventually(() => expect(list.values).toHaveLength(1));
    results.close();
    expect(list.error).toMatchObject({ name: 'StorageError' });
    reads = 0;
    Dexie.on.storagemutated.fire({ [`idb://${db.name}/conversations/`]: everything() });
    await expect(results.list({ limit: 1 })).rejects.toMatchObject({
      name: 'StorageError',
      message: expect.stringMatching(/^list failed: the store is closed/),
    });
    expect(reads).toBe(0);
    list.stop();
  });

  it('only this database’s records: other tables and databases leave them fresh, no read', async () => {
    await setUp();
    const list = record(results.list$({ limit: 1 }));
    await eventually(() => expect(list.values).toHaveLength(1));
    reads = 0;
    Dexie.on.storagemutated.fire({
      [`idb://${db.name}/outbox/`]: everything(),
      [`idb://${db.name}/meta/`]: everything(),
      [`idb://other-${db.name}/conversations/`]: everything(),
    });
    expect((await results.list({ limit: 1 })).data.map((row) => row.id)).toEqual([A.id]);
    expect(reads).toBe(0);
    expect(list.values).toHaveLength(1);
    list.stop();
  });
});

describe('warm results (cacheMs)', () => {
  /** A clock whose monotonic time only moves when the test moves it. */
  function manualTime() {
    const time = { now: 1_000 };
    const restore = setClock({ ...systemClock, monotonic: () => time.now });
    cleanups.push(restore);
    return time;
  }
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('answers the same list again from memory after its last subscriber left', async () => {
    await setUp();
    const list = record(results.list$({ muted: false, limit: 2 }));
    await eventually(() => expect(list.values).toHaveLength(1));
    list.stop();
    reads = 0;
    expect((await results.list({ muted: false, limit: 2 })).data).toEqual([A, B]);
    const again = record(results.list$({ limit: 2, muted: false }));
    expect(again.values).toHaveLength(1); // At once, from memory.
    again.stop();
    expect(reads).toBe(0);
  });

  it('answers a one-shot list() or retrieve() again from memory', async () => {
    await setUp();
    await results.list({ archived: false });
    await results.retrieve(B.id);
    reads = 0;
    expect((await results.list({ archived: false })).data).toEqual([A, B, C]);
    expect(await results.retrieve(B.id)).toEqual(B);
    expect(reads).toBe(0);
  });

  it('keeps a warm list current with the store’s own writes, without reading', async () => {
    const context = await setUp();
    await results.list({ limit: 2 });
    reads = 0;
    await updateLocal(context, B.id, { is_pinned: true });
    expect((await results.list({ limit: 2 })).data).toEqual([A, { ...B, is_pinned: true }]);
    expect(reads).toBe(0);
  });

  it('reads IndexedDB again after a change it cannot patch (a pull, another tab)', async () => {
    await setUp();
    await results.list({ limit: 2 });
    const changed = { ...A, is_muted: true };
    await db.conversations.put(toStored(changed)); // Not through the store's writes.
    reads = 0;
    expect((await results.list({ limit: 2 })).data).toEqual([changed, B]);
    expect(reads).toBeGreaterThan(0);
  });

  it('forgets a list cacheMs after its last use', async () => {
    const time = manualTime();
    await setUp();
    results.close();
    results = new LiveResults(db, 1_000);
    await results.list({ limit: 1 });
    time.now += 1_001;
    await results.list({ limit: 2 }); // Any later use drops what expired.
    reads = 0;
    await results.list({ limit: 1 });
    expect(reads).toBeGreaterThan(0);
  });

  it('keeps nothing with cacheMs 0', async () => {
    await setUp();
    results.close();
    results = new LiveResults(db, 0);
    await results.list({ limit: 1 });
    reads = 0;
    await results.list({ limit: 1 });
    expect(reads).toBeGreaterThan(0);
  });

  it('keeps at most 64 lists without a subscriber: the least recently used leave first', async () => {
    await setUp();
    for (let limit = 1; limit <= 65; limit++) await results.list({ limit });
    reads = 0;
    await results.list({ limit: 65 });
    expect(reads).toBe(0);
    await results.list({ limit: 1 }); // The first one left.
    expect(reads).toBeGreaterThan(0);
  });
});

describe('the records held for the next write (known)', () => {
  it('holds a record as the store’s own committed write left it, row and queue with its entry', async () => {
    const context = await setUp([A, B]);
    await updateLocal(context, A.id, { is_muted: true });
    expect(results.known(A.id)).toEqual({
      row: { ...A, is_muted: true },
      queue: {
        base: A,
        entries: [
          expect.objectContaining({
            seq: expect.any(Number),
            recordId: A.id,
            op: 'update',
            patch: { is_muted: true },
            base: A,
          }),
        ],
      },
    });
    await deleteLocal(context, A.id);
    expect(results.known(A.id)).toBeUndefined(); // Gone: nothing to guess.
  });

  it('guesses a fresh list’s row with nothing queued, and nothing for a row no result holds', async () => {
    await setUp([A, B]);
    await results.list({ limit: 1 });
    expect(results.known(A.id)).toEqual({ row: A, queue: { entries: [], base: null } });
    expect(results.known(B.id)).toBeUndefined();
  });

  it('forgets every held record on a change it did not make (a pull, a settled reply, another tab)', async () => {
    const context = await setUp([A, B]);
    await updateLocal(context, A.id, { is_muted: true });
    expect(results.known(A.id)).toBeDefined();
    await db.conversations.put(toStored({ ...B, is_pinned: true })); // Not claimed.
    expect(results.known(A.id)).toBeUndefined();
    await updateLocal(context, A.id, { is_pinned: true });
    await db.outbox.toCollection().modify({ attempts: 1 }); // The engine claimed an entry.
    expect(results.known(A.id)).toBeUndefined();
  });
});
