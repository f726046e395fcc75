/**
 * Writes from a held record (writes.ts `changeExisting`): an update or delete of a record
 * the store holds is written from what it holds, without waiting for its read, and
 * commits only if the read confirms it. Another tab may have changed the record a moment
 * ago without this store having heard of it yet: such a write must commit exactly what
 * the read-first way commits, never the held (stale) state.
 */

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deleteLocal,
  type HeldRecord,
  updateLocal,
  type WriteContext,
} from '../../src/local/writes.js';
import type { Conversation, ConversationPatch } from '../../src/model/conversation.js';
import { pickConversation } from '../../src/model/conversation.js';
import { entriesOf, newEntry } from '../../src/storage/outbox.js';
import {
  type OutboxEntry,
  openDatabase,
  type StoreDatabase,
  toStored,
  toStoredQueued,
} from '../../src/storage/schema.js';
import { A, B, C, type LocalStore, localStore, NOW } from '../fixtures.js';

/** Opens the database with IndexedDB itself: what it writes, no Dexie in this realm hears. */
function rawDatabase(indexedDB: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Another tab's write that this store has not heard of (yet): straight into IndexedDB. */
async function writeUnheard(
  local: LocalStore,
  write: (stores: { conversations: IDBObjectStore; outbox: IDBObjectStore }) => void,
): Promise<void> {
  const db = await rawDatabase(local.indexedDB, local.databaseName);
  await new Promise<void>((resolve, reject) => {
    const transaction = db.transaction(['conversations', 'outbox'], 'readwrite');
    write({
      conversations: transaction.objectStore('conversations'),
      outbox: transaction.objectStore('outbox'),
    });
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
  });
  db.close();
}

const outboxOf = async (local: LocalStore) => (await local.dump()).outbox as OutboxEntry[];

let local: LocalStore;
afterEach(() => local?.store.close());

describe('an update of a row the store holds (a list on screen)', () => {
  it('applies to the stored row when another tab changed it unheard, not to the held one', async () => {
    local = await localStore([A, B]);
    const shown = local.store.conversations.list$({ limit: 10 }).subscribe({ error: () => {} });
    expect((await local.store.conversations.list({ limit: 10 })).data).toEqual([A, B]);
    // Another tab's pull stored the server's new state of A; this tab has not heard of it.
    const changed: Conversation = { ...A, last_opened_at: 777, is_pinned: true };
    await writeUnheard(local, ({ conversations }) => conversations.put(toStored(changed)));

    const updated = await local.store.conversations.update(A.id, { is_muted: true });

    expect(updated).toEqual({ ...changed, is_muted: true });
    expect(await local.store.conversations.retrieve(A.id)).toEqual({ ...changed, is_muted: true });
    const [entry] = await outboxOf(local);
    expect(entry).toMatchObject({ op: 'update', patch: { is_muted: true }, base: changed });
    shown.unsubscribe();
  });

  it('coalesces with entries another tab queued unheard, as the stored queue says', async () => {
    local = await localStore([A]);
    const shown = local.store.conversations.list$({ limit: 10 }).subscribe({ error: () => {} });
    await local.store.conversations.list({ limit: 10 });
    // Another tab updated A; its entry and the queued row landed unheard here.
    const theirs: Conversation = { ...A, archived_at: 5 };
    await writeUnheard(local, ({ conversations, outbox }) => {
      outbox.add({ ...newEntry(A.id, { op: 'update', patch: { archived_at: 5 } }, 1), base: A });
      conversations.put(toStoredQueued(theirs, true));
    });

    await local.store.conversations.update(A.id, { is_pinned: true });

    expect(await local.store.conversations.retrieve(A.id)).toEqual({ ...theirs, is_pinned: true });
    const entries = await outboxOf(local);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ patch: { archived_at: 5, is_pinned: true }, base: A });
    shown.unsubscribe();
  });

  it('coalesces updates made one after another into one entry, each from what the last one left', async () => {
    local = await localStore([A]);
    await local.store.conversations.update(A.id, { is_muted: true });
    await local.store.conversations.update(A.id, { is_pinned: true });
    await local.store.conversations.update(A.id, { is_muted: false });
    expect(await outboxOf(local)).toEqual([
      expect.objectContaining({ op: 'update', patch: { is_pinned: true }, base: A }),
    ]);
    expect(await local.store.conversations.retrieve(A.id)).toEqual({ ...A, is_pinned: true });
  });

  it('follows a queue another tab changed unheard after this store’s own last write', async () => {
    local = await localStore([A]);
    await local.store.conversations.update(A.id, { is_muted: true });
    // Another tab's sync sent and settled that update: the queue is empty, A is the server's.
    const settled: Conversation = { ...A, is_muted: true, last_opened_at: 9 };
    await writeUnheard(local, ({ conversations, outbox }) => {
      outbox.clear();
      conversations.put(toStored(settled));
    });

    await local.store.conversations.update(A.id, { is_pinned: true });

    expect(await outboxOf(local)).toEqual([
      expect.objectContaining({ op: 'update', patch: { is_pinned: true }, base: settled }),
    ]);
    expect(await local.store.conversations.retrieve(A.id)).toEqual({ ...settled, is_pinned: true });
  });

  it('deletes a held record another tab changed unheard with the stored row as its base', async () => {
    local = await localStore([A]);
    const shown = local.store.conversations.list$({ limit: 10 }).subscribe({ error: () => {} });
    await local.store.conversations.list({ limit: 10 });
    const changed: Conversation = { ...A, last_opened_at: 42 };
    await writeUnheard(local, ({ conversations }) => conversations.put(toStored(changed)));

    await local.store.conversations.delete(A.id);

    expect(await local.store.conversations.retrieve(A.id)).toBeUndefined();
    expect(await outboxOf(local)).toEqual([
      expect.objectContaining({ op: 'delete', recordId: A.id, base: changed }),
    ]);
    shown.unsubscribe();
  });

  it('refuses an update of a held record another tab deleted unheard, writing nothing', async () => {
    local = await localStore([A]);
    const shown = local.store.conversations.list$({ limit: 10 }).subscribe({ error: () => {} });
    await local.store.conversations.list({ limit: 10 });
    await writeUnheard(local, ({ conversations }) => conversations.delete(A.id));

    await expect(local.store.conversations.update(A.id, { is_muted: true })).rejects.toThrow(
      /no conversation/,
    );
    const tables = await local.dump();
    expect([tables.conversations, tables.outbox]).toEqual([[], []]);
    shown.unsubscribe();
  });
});

// The property: whatever the guess (right, stale, another record's, made up), a write
// with it commits exactly what the same write without a guess commits.

const ROWS = [A, B, C];
const PATCHES: fc.Arbitrary<ConversationPatch> = fc.record(
  {
    is_muted: fc.boolean(),
    is_pinned: fc.boolean(),
    archived_at: fc.constantFrom(null, 50),
    pinned_message_id: fc.constantFrom(null, 'm1'),
  },
  { requiredKeys: [] },
);
type Step = { op: 'update'; row: number; patch: ConversationPatch } | { op: 'delete'; row: number };
const STEP: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('update' as const), row: fc.nat(2), patch: PATCHES }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), row: fc.nat(2) }) },
);
/** Which guess the final write gets: the record as now, as at an earlier step, another record's, or a made-up one. */
const GUESS = fc.record({
  kind: fc.constantFrom('current', 'earlier', 'other', 'edited', 'emptied', 'none'),
  pick: fc.nat(),
});

let counter = 0;
async function databaseWith(steps: readonly Step[], indexedDB: IDBFactory) {
  const name = `held-${counter++}`;
  const db = openDatabase(name, { indexedDB, IDBKeyRange });
  await db.conversations.bulkPut(ROWS.map(toStored));
  const context: WriteContext = { db, nowSeconds: () => NOW, written: () => {} };
  const history: HeldRecord[] = [];
  for (const step of steps) {
    const id = (ROWS[step.row] as Conversation).id;
    try {
      if (step.op === 'update') await updateLocal(context, id, step.patch);
      else await deleteLocal(context, id);
    } catch {
      // An update or delete of a deleted record is refused: nothing changes.
    }
    history.push(...(await heldRecords(db)));
  }
  return { db, context, history };
}

/** Every record's row and queue as stored now. */
async function heldRecords(db: StoreDatabase): Promise<HeldRecord[]> {
  const held: HeldRecord[] = [];
  for (const stored of await db.conversations.toArray()) {
    const entries = await entriesOf(db, stored.id);
    held.push({
      row: pickConversation(stored),
      queue: { entries, base: entries[0]?.base ?? null },
    });
  }
  return held;
}

/** The tables with what differs between two equal runs (random keys, times) left out. */
async function contents(db: StoreDatabase) {
  const outbox = (await db.outbox.toArray()).map(
    ({ key: _key, enqueuedAt: _at, ...entry }) => entry,
  );
  return { conversations: await db.conversations.toArray(), outbox };
}

function guessFor(
  id: string,
  guess: { kind: string; pick: number },
  current: HeldRecord[],
  history: HeldRecord[],
): HeldRecord | undefined {
  const now = current.find((held) => held.row.id === id);
  const earlier = history.filter((held) => held.row.id === id);
  const others = [...current, ...history].filter((held) => held.row.id !== id);
  const from = <T>(list: T[]) => list[guess.pick % Math.max(list.length, 1)];
  switch (guess.kind) {
    case 'current':
      return now;
    case 'earlier':
      return from(earlier);
    case 'other': {
      // Another record's state under this id: the row rule's fields all differ.
      const other = from(others);
      return other === undefined ? undefined : { ...other, row: { ...other.row, id } };
    }
    case 'edited':
      return now === undefined ? undefined : { ...now, row: { ...now.row, last_opened_at: 1 } };
    case 'emptied':
      return now === undefined ? undefined : { row: now.row, queue: { entries: [], base: null } };
    default:
      return undefined;
  }
}

const RUNS = Number(process.env.NUM_RUNS ?? 200);

describe('a write from a held record, against the same write read first', () => {
  it(
    'commits exactly what the read-first write commits, whatever the guess',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(STEP, { maxLength: 8 }),
          STEP,
          GUESS,
          async (steps, last, guess) => {
            const indexedDB = new IDBFactory();
            const guessed = await databaseWith(steps, indexedDB);
            const plain = await databaseWith(steps, indexedDB);
            const id = (ROWS[last.row] as Conversation).id;
            const held = guessFor(id, guess, await heldRecords(guessed.db), guessed.history);
            const withGuess: WriteContext = { ...guessed.context, known: () => held };
            const run = (context: WriteContext) =>
              (last.op === 'update'
                ? updateLocal(context, id, last.patch)
                : deleteLocal(context, id)
              ).then(
                (value) => ({ ok: true, value }),
                (error: Error) => ({ ok: false, value: error.name }),
              );
            const [a, b] = [await run(withGuess), await run(plain.context)];
            expect(a).toEqual(b);
            expect(await contents(guessed.db)).toEqual(await contents(plain.db));
            guessed.db.close();
            plain.db.close();
          },
        ),
        { numRuns: RUNS },
      );
    },
    10_000 + RUNS * 40,
  ); // About 10 ms a run here; a long NUM_RUNS run must not time out.
});
