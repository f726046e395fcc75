/**
 * The outbox table as the sync engine leaves it: which entry holds a record's base, which
 * entries are claimed, when the next retry is due, what a rebase or a conflict check
 * leaves queued. Each test works on a fresh database and asserts the stored entries.
 */
import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import type { Conversation } from '../../src/model/conversation.js';
import { EMPTY_QUEUE } from '../../src/storage/coalesce.js';
import {
  claimHead,
  earliestDeadline,
  enqueue,
  replaceQueue,
  requeue,
  unansweredCreates,
} from '../../src/storage/outbox.js';
import {
  type OutboxEntry,
  openDatabase,
  SCHEMA,
  type StoreDatabase,
  toStored,
} from '../../src/storage/schema.js';
import { conversation } from '../fixtures.js';

let counter = 0;
let db: StoreDatabase;
const open = (name = `outbox-${counter++}`, indexedDB = new IDBFactory()) => {
  db = openDatabase(name, { indexedDB, IDBKeyRange });
  return db;
};
afterEach(() => db?.close());

const server: Conversation = conversation({ id: 'SSSSSSSSSSSSSSSS' });
const NOW = 1_700_000_000_000;

/** An entry as stored, `seq` given by the table. */
function stored(fields: Partial<OutboxEntry> & Pick<OutboxEntry, 'op'>): OutboxEntry {
  return {
    recordId: server.id,
    key: `key-${counter++}`,
    sentAt: null,
    attempts: 0,
    notBefore: 0,
    enqueuedAt: NOW - 1000,
    lastError: null,
    ...fields,
  } as OutboxEntry;
}

/** Adds entries in order and returns them with their `seq`. */
async function seed(...entries: OutboxEntry[]): Promise<OutboxEntry[]> {
  const seqs = (await db.outbox.bulkAdd(entries, { allKeys: true })) as number[];
  return entries.map((entry, index) => ({ ...entry, seq: seqs[index] }));
}

/** A new entry as `enqueue` or `requeue` adds it. */
const added = (fields: Partial<OutboxEntry> & Pick<OutboxEntry, 'op'>) => ({
  seq: expect.any(Number),
  recordId: server.id,
  key: expect.any(String),
  sentAt: null,
  attempts: 0,
  notBefore: 0,
  enqueuedAt: NOW,
  lastError: null,
  ...fields,
});

describe("enqueue: only a record's first entry holds its base", () => {
  it('an update queued behind a sent entry carries no base', async () => {
    open();
    const [sent] = await seed(
      stored({ op: 'update', patch: { is_muted: true }, sentAt: 1, attempts: 1, base: server }),
    );
    const current = { ...server, is_muted: true };
    const queue = { entries: [sent as OutboxEntry], base: server };
    await enqueue(db, server.id, { op: 'update', patch: { is_pinned: true } }, current, NOW, queue)
      .done;
    expect(await db.outbox.toArray()).toEqual([
      sent,
      added({ op: 'update', patch: { is_pinned: true } }),
    ]);
  });

  it('merging into the update behind a sent entry leaves the base on the sent one', async () => {
    open();
    const entries = await seed(
      stored({ op: 'update', patch: { is_muted: true }, sentAt: 1, attempts: 1, base: server }),
      stored({ op: 'update', patch: { is_pinned: true } }),
    );
    const current = { ...server, is_muted: true, is_pinned: true };
    const queue = { entries, base: server };
    await enqueue(db, server.id, { op: 'update', patch: { archived_at: 9 } }, current, NOW, queue)
      .done;
    expect(await db.outbox.toArray()).toEqual([
      entries[0],
      { ...entries[1], patch: { is_pinned: true, archived_at: 9 } },
    ]);
  });

  it('a create and the update queued behind it carry no base: the server has none yet', async () => {
    open();
    const id = 'tmp_0000000000000000';
    const row = conversation({ id, last_active_at: null });
    const create = { op: 'create' as const, body: { contact_id: 'contact' } };
    await enqueue(db, id, create, null, NOW, EMPTY_QUEUE).done;
    const entries = await db.outbox.toArray();
    await enqueue(db, id, { op: 'update', patch: { is_muted: true } }, row, NOW, {
      entries,
      base: null,
    }).done;
    expect(await db.outbox.toArray()).toEqual([
      added({ recordId: id, ...create }),
      added({ recordId: id, op: 'update', patch: { is_muted: true } }),
    ]);
  });

  it('a delete that drops the unsent first entry hands the base on to the sent entry that stays', async () => {
    // An acknowledged create moves its unsent updates under the server id, ahead of an
    // update already sent for a copy of the record that a pull brought in (moveQueue).
    open();
    const acknowledged = { ...server, is_pinned: true };
    const entries = await seed(
      stored({ op: 'update', patch: { is_muted: true }, base: acknowledged }),
      stored({ op: 'update', patch: { is_pinned: true }, sentAt: 1, attempts: 1, base: server }),
    );
    const current = { ...acknowledged, is_muted: true };
    const queue = { entries, base: acknowledged };
    await enqueue(db, server.id, { op: 'delete' }, current, NOW, queue).done;
    expect(await db.outbox.toArray()).toEqual([
      { ...entries[1], base: acknowledged },
      added({ op: 'delete' }),
    ]);
  });
});

describe('claimHead', () => {
  it('does not claim an entry waiting for the network unless told it came back', async () => {
    open();
    await seed(
      stored({ op: 'update', patch: { is_muted: true }, notBefore: NOW + 60_000, offline: true }),
    );
    expect(await claimHead(db, server.id, NOW, NOW)).toBeNull();
    expect(await claimHead(db, server.id, NOW, NOW, true)).toMatchObject({ attempts: 1 });
  });
});

describe('earliestDeadline: when the next retry is due', () => {
  it('counts only the first entry of each record (the others are not sent yet)', async () => {
    open();
    await seed(
      stored({
        op: 'update',
        patch: { is_muted: true },
        sentAt: 1,
        attempts: 1,
        notBefore: NOW + 5000,
        failedAt: NOW - 1000,
      }),
      stored({ op: 'update', patch: { is_pinned: true } }),
    );
    expect(await earliestDeadline(db, NOW)).toBe(NOW + 5000);
  });

  it('is the earliest deadline over all records', async () => {
    open();
    await seed(
      stored({ recordId: 'A', op: 'update', patch: {}, notBefore: NOW + 3000, failedAt: NOW }),
      stored({ recordId: 'B', op: 'update', patch: {}, notBefore: NOW + 7000, failedAt: NOW }),
      stored({ recordId: 'C', op: 'update', patch: {}, notBefore: NOW + 5000, failedAt: NOW }),
    );
    expect(await earliestDeadline(db, NOW)).toBe(NOW + 3000);
  });
});

describe('unansweredCreates', () => {
  it('lists the creates that left, not those still unsent nor the writes queued behind them', async () => {
    open();
    const [sent] = await seed(
      stored({ recordId: 'tmp_1', op: 'create', body: { contact_id: 'a' }, sentAt: 5 }),
      stored({ recordId: 'tmp_1', op: 'update', patch: { is_muted: true } }),
      stored({ recordId: 'tmp_2', op: 'create', body: { contact_id: 'b' } }),
      stored({ op: 'update', patch: { is_pinned: true }, sentAt: 5, attempts: 1, base: server }),
    );
    expect(await unansweredCreates(db)).toEqual([sent]);
  });
});

describe('requeue: what a pull leaves queued after rebasing local changes', () => {
  const desired = { ...server, is_muted: true, is_pinned: true };

  it('replaces unsent entries with one update from the server state, holding it as base', async () => {
    open();
    await seed(stored({ op: 'update', patch: { is_muted: true }, base: server }));
    expect(await requeue(db, server, await db.outbox.toArray(), desired, NOW)).toBe(true);
    expect(await db.outbox.toArray()).toEqual([
      added({ op: 'update', patch: { is_muted: true, is_pinned: true }, base: server }),
    ]);
  });

  it('keeps a sent entry and queues only what it does not already send, without a base', async () => {
    open();
    const entries = await seed(
      stored({ op: 'update', patch: { is_muted: true }, sentAt: 1, attempts: 1, base: server }),
      stored({ op: 'update', patch: { archived_at: 9 } }),
    );
    expect(await requeue(db, server, entries, desired, NOW)).toBe(true);
    expect(await db.outbox.toArray()).toEqual([
      entries[0],
      added({ op: 'update', patch: { is_pinned: true } }),
    ]);
  });

  it('queues nothing more when the sent entry already reaches the desired state', async () => {
    open();
    const entries = await seed(
      stored({
        op: 'update',
        patch: { is_muted: true, is_pinned: true },
        sentAt: 1,
        attempts: 1,
        base: server,
      }),
      stored({ op: 'update', patch: { archived_at: 9 } }),
    );
    expect(await requeue(db, server, entries, desired, NOW)).toBe(true);
    expect(await db.outbox.toArray()).toEqual([entries[0]]);
  });

  it('leaves nothing queued when the server already holds the desired state', async () => {
    open();
    const entries = await seed(stored({ op: 'update', patch: { is_muted: true }, base: server }));
    expect(await requeue(db, server, entries, server, NOW)).toBe(false);
    expect(await db.outbox.toArray()).toEqual([]);
  });
});

describe('replaceQueue: what a conflict check leaves queued', () => {
  it('an empty decided patch leaves nothing queued, a sent entry included', async () => {
    open();
    await seed(stored({ op: 'update', patch: { is_muted: true }, sentAt: 1, base: server }));
    expect(await replaceQueue(db, server, {}, NOW)).toEqual([]);
    expect(await db.outbox.toArray()).toEqual([]);
  });
});

describe('schema 3 upgrade: bases move into the outbox', () => {
  it('puts each base on the first entry of its record and changes nothing else', async () => {
    const indexedDB = new IDBFactory();
    const name = `outbox-upgrade-${counter++}`;
    const v2 = new Dexie(name, { indexedDB, IDBKeyRange });
    for (const { version, stores } of SCHEMA.slice(0, 2)) v2.version(version).stores(stores);
    const entries = [
      stored({ op: 'update', patch: { is_muted: true }, sentAt: 1, attempts: 1 }),
      stored({ op: 'update', patch: { is_pinned: true } }),
      stored({ recordId: 'tmp_1', op: 'create', body: { contact_id: 'a' } }),
    ];
    await v2.table('outbox').bulkAdd(entries);
    await v2.table('bases').put({ id: server.id, row: server });
    const other = conversation({ id: 'OOOOOOOOOOOOOOOO' });
    await v2.table('conversations').bulkPut([toStored(server), toStored(other)]);
    v2.close();
    open(name, indexedDB);
    expect(await db.outbox.toArray()).toStrictEqual([
      { ...entries[0], seq: 1, base: server },
      { ...entries[1], seq: 2 },
      { ...entries[2], seq: 3 },
    ]);
    expect(await db.conversations.toArray()).toStrictEqual([
      toStored(other),
      { ...toStored(server), q: 1 },
    ]);
  });
});
