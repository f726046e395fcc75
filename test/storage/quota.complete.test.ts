/**
 * Whether a list may miss evicted records (QuotaManager.isComplete, through the watched
 * records registry): decided by the stubs eviction leaves, exactly at the page's edge,
 * for both reading directions and every key prefix a filter reads; and which stubs a
 * round clears.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { WatchedRecords } from '../../src/local/watched-records.js';
import type { Conversation } from '../../src/model/conversation.js';
import { QuotaManager } from '../../src/storage/quota.js';
import {
  type OutboxEntry,
  openDatabase,
  type StoreDatabase,
  toStored,
} from '../../src/storage/schema.js';
import { conversation } from '../fixtures.js';

/** Ten rows, row 0 the most recently active; odd rows are muted, row 8 is pinned. */
const ROWS = Array.from({ length: 10 }, (_, index) =>
  conversation({
    id: `ROW${String(index).padStart(13, '0')}`,
    last_active_at: 1000 - index,
    is_muted: index % 2 === 1,
    is_pinned: index === 8,
  }),
);
const idOf = (index: number) => ROWS[index]?.id as string;
const rowOf = (index: number) => ROWS[index] as Conversation;

let db: StoreDatabase;
afterEach(() => db.close());

/**
 * A database holding `rows` and its quota manager; the records in `keep` count as
 * watched, so `evict` takes the least recently active of the others.
 */
async function setUp(rows: Conversation[], keep: number[] = []) {
  db = openDatabase(`complete-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await db.conversations.bulkPut(rows.map(toStored));
  const watched = new Set(keep.map(idOf));
  const quota = new QuotaManager(db, {
    maxRecords: Number.MAX_SAFE_INTEGER,
    maxBytes: Number.MAX_SAFE_INTEGER,
    protectedIds: () => watched,
  });
  const lists = new WatchedRecords((params) => quota.isComplete(params));
  return { quota, lists };
}

/** Every index but those given. */
const allBut = (...evicted: number[]) =>
  ROWS.map((_, index) => index).filter((index) => !evicted.includes(index));

describe('isComplete at the edge of a page', () => {
  it('a full page that ends before an evicted record is complete, one that reaches past it is not', async () => {
    const { quota, lists } = await setUp(ROWS, allBut(4));
    expect(await quota.evict({ count: 1 })).toBe(1);
    expect(await db.conversations.get(idOf(4))).toBeUndefined();
    expect(await lists.isComplete({ limit: 4 })).toBe(true); // Rows 0-3.
    expect(await lists.isComplete({ limit: 6 })).toBe(false); // Rows 0-3, 5, 6: row 4 missing.
  });

  it('a record a pull stored again counts as on the page that ends with it', async () => {
    const { quota, lists } = await setUp(ROWS, allBut(4));
    await quota.evict({ count: 1 });
    await db.conversations.put(toStored(rowOf(4))); // A recent pull: its stub stays.
    expect(await lists.isComplete({ limit: 5 })).toBe(true); // Rows 0-4.
    expect(await lists.isComplete({ limit: 2, ending_before: idOf(6) })).toBe(true); // Rows 4, 5.
  });

  it('ending_before: a record evicted between the page and its cursor makes it incomplete', async () => {
    const { quota, lists } = await setUp(ROWS, allBut(5));
    await quota.evict({ count: 1 });
    expect(await lists.isComplete({ limit: 2, ending_before: idOf(6) })).toBe(false); // Rows 3, 4.
    expect(await lists.isComplete({ limit: 2, ending_before: idOf(4) })).toBe(true); // Rows 2, 3.
  });

  it('ending_before: a record evicted before the page, far from its cursor, leaves it complete', async () => {
    const { quota, lists } = await setUp(ROWS, allBut(1));
    await quota.evict({ count: 1 });
    expect(await lists.isComplete({ limit: 2, ending_before: idOf(6) })).toBe(true); // Rows 4, 5.
    expect(await lists.isComplete({ limit: 5, ending_before: idOf(6) })).toBe(false); // Row 1 missing.
  });

  it('a filter reading several key ranges is incomplete when any range has a record evicted inside the page', async () => {
    // Of the unmuted rows (0, 2, 4, 6, 8), row 2 (unpinned) and row 8 (pinned) are evicted:
    // the unpinned range has its stub inside the page, the pinned range after it.
    const { quota, lists } = await setUp(ROWS, allBut(2, 8));
    expect(await quota.evict({ count: 2 })).toBe(2);
    expect(await lists.isComplete({ muted: false, limit: 2 })).toBe(false); // Rows 0, 4.
    expect(await lists.isComplete({ muted: false, limit: 1 })).toBe(true); // Row 0.
  });
});

describe('isComplete of group lists', () => {
  it("an evicted group conversation makes its group's list incomplete, not the other groups'", async () => {
    const grouped = ROWS.map((row, index) =>
      index < 5 ? row : { ...row, contact_id: null, group_id: index === 9 ? 'G1' : 'G2' },
    );
    const { quota, lists } = await setUp(grouped);
    await quota.evict({ count: 1 }); // Row 9, the least recently active.
    expect(await lists.isComplete({ group_id: 'G1' })).toBe(false);
    expect(await lists.isComplete({ group_id: 'G2' })).toBe(true);
  });
});

describe('the stubs after a round', () => {
  it('a round that did not finish a complete pull keeps the lists incomplete', async () => {
    const { quota, lists } = await setUp(ROWS);
    await quota.evict({ count: 1 });
    await quota.afterRound({ complete: false, error: null });
    expect(await lists.isComplete({ limit: 100 })).toBe(false);
  });

  it('a complete pull clears the stub of a record the server deleted meanwhile', async () => {
    const { quota, lists } = await setUp(ROWS);
    await quota.evict({ count: 2 }); // Rows 8 and 9.
    await db.conversations.put(toStored(rowOf(8))); // The pull: row 9 is gone on the server.
    await quota.afterRound({ complete: true, error: null });
    expect(await lists.isComplete({ limit: 100 })).toBe(true);
  });

  it('with a create not answered yet, a complete pull clears only the stubs of the records it stored', async () => {
    const { quota, lists } = await setUp(ROWS);
    await quota.evict({ count: 2 }); // Row 8 (unmuted) and row 9 (muted).
    // A create sent without an answer: the pull kept new rows out, row 9 among them.
    const unanswered: OutboxEntry = {
      recordId: 'tmp_unanswered',
      key: 'key-unanswered',
      sentAt: 1,
      attempts: 1,
      notBefore: 0,
      enqueuedAt: 1,
      lastError: null,
      op: 'create',
      body: { contact_id: 'new' },
    };
    await db.outbox.add(unanswered);
    await db.conversations.put(toStored(rowOf(8)));
    await quota.afterRound({ complete: true, error: null });
    expect(await lists.isComplete({ muted: false, limit: 100 })).toBe(true); // Row 8 is back.
    expect(await lists.isComplete({ muted: true, limit: 100 })).toBe(false); // Row 9 is not.
  });
});
