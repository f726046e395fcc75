/**
 * The raw Dexie baselines shared by the Node and the Chromium benchmarks.
 */
import type { Table } from 'dexie';
import type { Conversation } from '../src/index.js';
import { pickConversation } from '../src/model/conversation.js';
import { newEntry } from '../src/storage/outbox.js';
import {
  type StoreDatabase,
  type StoredConversation,
  toStoredQueued,
} from '../src/storage/schema.js';

/**
 * The IndexedDB requests of one store `update` of a record with nothing queued,
 * hand-written in raw Dexie: the floor of a write that keeps an outbox entry (holding the
 * base) in the same transaction. The store's own cost over raw IndexedDB is its `update`
 * next to this, not next to a lone `put`.
 */
export function sameRequestsAsUpdate(db: StoreDatabase, row: Conversation, muted: boolean) {
  return db.transaction('rw', [db.conversations, db.outbox], async () => {
    const stored = await db.conversations.get(row.id);
    if (stored === undefined) throw new Error(`missing ${row.id}`);
    const current = pickConversation(stored);
    const entry = newEntry(row.id, { op: 'update', patch: { is_muted: muted } }, Date.now());
    await Promise.all([
      db.conversations.put(toStoredQueued({ ...current, is_muted: muted }, true)),
      db.outbox.add({ ...entry, base: current }),
    ]);
  });
}

/**
 * The least any store that keeps an outbox must write for one update: the row and an
 * outbox entry holding the base, in one transaction, without reading anything (what the
 * store writes for a record it holds, less the read that confirms it).
 */
export function outboxFloor(db: StoreDatabase, row: Conversation, muted: boolean) {
  return db.transaction('rw', [db.conversations, db.outbox], () => {
    const entry = newEntry(row.id, { op: 'update', patch: { is_muted: muted } }, Date.now());
    return Promise.all([
      db.conversations.put(toStoredQueued({ ...row, is_muted: muted }, true)),
      db.outbox.add({ ...entry, base: row }),
    ]);
  });
}

/**
 * `{ muted: false, archived: false, limit }` as a hand-written index query over the same
 * indexes as the store's: one key range of `[muted=0, archived=0, ...s]`.
 */
export async function handWrittenList(table: Table, limit: number) {
  // The same `a` index as the store's ([muted, archived, ...s]): one key range.
  return (await table
    .where('a')
    .between([0, 0], [0, 0, []], true, false)
    .limit(limit)
    .toArray()) as StoredConversation[];
}

/** The same list the naive way: every row, filtered and sorted in JavaScript. */
export async function fullScanList(table: Table, limit: number) {
  const all = (await table.toArray()) as Conversation[];
  return all
    .filter((row) => !row.is_muted && row.archived_at === null)
    .sort(
      (a, b) =>
        (a.last_active_at === null ? 1 : 0) - (b.last_active_at === null ? 1 : 0) ||
        (b.last_active_at ?? 0) - (a.last_active_at ?? 0) ||
        b.created_at - a.created_at ||
        (a.id < b.id ? -1 : 1),
    )
    .slice(0, limit);
}
