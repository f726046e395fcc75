/**
 * The local record: the only module that writes the `conversations` table and the stubs
 * of evicted records. Local writes, settled replies, pulls, the conflict check and the
 * quota manager all change records through it, inside their own transactions.
 *
 * Two rules live here and nowhere else:
 * - The row rule. A record's row is its base (the last server state acknowledged or
 *   listed) with its queued entries applied on top, and carries the queued marker `q`
 *   exactly while entries are queued ({@link showQueued}).
 * - The removal rule. A row leaves only with a {@link RemovalProof}: the user's own delete,
 *   the server's 404 for that very id, or the server's refusal of the record's create
 *   (it never existed there). A record a listing did not name is not proof of anything:
 *   rows move between pages while a walk reads them. Eviction and the rename of a
 *   temporary id are not removals: the record lives on (as a stub, or under its new id).
 */
import { Dexie } from 'dexie';
import { type Conversation, pickConversation, sameConversation } from '../model/conversation.js';
import type { ApiError } from '../model/errors.js';
import { materialize } from './coalesce.js';
import {
  type EvictedRow,
  type OutboxEntry,
  type StoreDatabase,
  type StoredConversation,
  toStored,
  toStoredQueued,
} from './schema.js';

declare const proven: unique symbol;

/** Why a record may leave the local store. Only the functions below make one. */
export interface RemovalProof {
  readonly id: string;
  /**
   * `'deleted-here'`: the user deleted it; `'not-found'`: the server answered 404 for its
   * id; `'create-refused'`: the server refused its create for good.
   */
  readonly reason: 'deleted-here' | 'not-found' | 'create-refused';
  readonly [proven]: true;
}

const proof = (id: string, reason: RemovalProof['reason']) => ({ id, reason }) as RemovalProof;

/** The user deleted the record (a local delete, or a rebased queue that ends in one). */
export const deletedHere = (id: string): RemovalProof => proof(id, 'deleted-here');

/**
 * The server answered 404 to a request for this very record. Throws when `error` is not
 * that answer: a caller cannot turn a guess (or another record's 404) into a removal.
 */
export function notFound(id: string, error: ApiError): RemovalProof {
  const path = error.request === undefined ? '' : new URL(error.request.url).pathname;
  if (error.status !== 404 || !path.endsWith(`/conversations/${encodeURIComponent(id)}`)) {
    throw new TypeError(`A ${error.status} for ${path || 'no request'} does not prove ${id} gone`);
  }
  return proof(id, 'not-found');
}

/** The server refused the record's create for good: it never existed there. */
export function createRefused(id: string, error: ApiError): RemovalProof {
  if (error.status < 400 || error.status >= 500 || error.request?.method !== 'POST') {
    throw new TypeError(`A ${error.status} does not refuse the create of ${id}`);
  }
  return proof(id, 'create-refused');
}

/** Whether the running transaction covers the stubs of evicted records. */
const coversStubs = () => Dexie.currentTransaction?.storeNames.includes('evicted') === true;

/** A record's stored row (inside a transaction on `conversations`). */
export const storedRow = (db: StoreDatabase, id: string) => db.conversations.get(id);

/**
 * Removes a record's row (and its stub) on proof. Resolves with what the app saw before,
 * or null when there was no row. A caller that read the row in this transaction passes it
 * as `seen`, and the row is not read again (a local delete's hot path).
 */
export async function remove(
  db: StoreDatabase,
  removal: RemovalProof,
  seen?: { row: Conversation | undefined },
): Promise<Conversation | null> {
  const [row] = await Promise.all([
    seen === undefined ? db.conversations.get(removal.id) : seen.row,
    coversStubs() ? db.evicted.delete(removal.id) : null,
  ]);
  if (row === undefined) return null;
  await db.conversations.delete(removal.id);
  return pickConversation(row);
}

/**
 * A local write's new row: `row` as the app sees it now, with the queued marker when
 * entries are queued. `created` adds a row that must not exist yet (a fresh temporary id).
 */
export function showLocal(
  db: StoreDatabase,
  row: Conversation,
  queued: boolean,
  created = false,
): Promise<unknown> {
  const stored = toStoredQueued(row, queued);
  return created ? db.conversations.add(stored) : db.conversations.put(stored);
}

/**
 * The row rule: shows `base` with `entries` applied (all of the record's entries, in
 * order), marked queued while any remain; a queued delete leaves no row (the user's own
 * delete is its proof). `stored` is the row as read in this transaction, if read: an
 * unchanged row is not written again. Resolves with whether the row the app sees changed.
 */
export async function showQueued(
  db: StoreDatabase,
  id: string,
  base: Conversation,
  entries: readonly OutboxEntry[],
  stored?: StoredConversation | undefined,
): Promise<boolean> {
  const shown = materialize(base, entries);
  if (shown === null) {
    const seen = stored === undefined ? undefined : { row: stored };
    return (await remove(db, deletedHere(id), seen)) !== null;
  }
  const queued = entries.length > 0;
  const before = stored === undefined ? undefined : pickConversation(stored);
  const changed = !sameConversation(before, shown);
  if (changed || stored === undefined || (stored.q === 1) !== queued) {
    await db.conversations.put(toStoredQueued(shown, queued));
  }
  return changed;
}

/**
 * A create was acknowledged: the row of the temporary id goes (the record lives on under
 * the server's id, which the caller shows with {@link showQueued} in the same transaction).
 */
export function renameFrom(db: StoreDatabase, temporaryId: string): Promise<void> {
  return db.conversations.delete(temporaryId);
}

/**
 * Server rows of records with nothing queued, stored as they are. A stub of an evicted
 * record that comes back goes (the transaction must cover `evicted`); a caller that read,
 * in this transaction, that there are no stubs at all says so with `stubsExist` false.
 */
export async function storeServerRows(
  db: StoreDatabase,
  rows: readonly Conversation[],
  stubsExist = true,
) {
  if (rows.length === 0) return;
  await Promise.all([
    db.conversations.bulkPut(rows.map(toStored)),
    stubsExist && coversStubs() ? db.evicted.bulkDelete(rows.map((row) => row.id)) : null,
  ]);
}

/**
 * A short fingerprint of a server state (53 bits of a string hash over the API's fields in
 * a fixed order): what a stub remembers of the record, to tell an unchanged row from news.
 */
export function fingerprint(row: Conversation): number {
  const text = JSON.stringify([
    row.id,
    row.contact_id,
    row.group_id,
    row.pinned_message_id,
    row.is_pinned,
    row.is_muted,
    row.last_active_at,
    row.last_opened_at,
    row.created_at,
    row.archived_at,
  ]);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** What is left of an evicted record: its list keys and the fingerprint of its state. */
const stubOf = (row: StoredConversation): EvictedRow => {
  const stub: EvictedRow = { id: row.id, s: row.s, f: row.f, a: row.a, h: fingerprint(row) };
  if (row.g !== undefined) stub.g = row.g;
  return stub;
};

/**
 * Evicts synced records the quota manager chose: each row becomes a stub (inside a
 * transaction on `conversations` and `evicted`). Not a removal: the record still exists,
 * and a list can tell that it may be missing (quota.ts `isComplete`).
 */
export async function evict(db: StoreDatabase, rows: readonly StoredConversation[]) {
  await Promise.all([
    db.conversations.bulkDelete(rows.map((row) => row.id)),
    db.evicted.bulkPut(rows.map(stubOf)),
  ]);
}

/** The stubs of these ids (undefined where none), inside a transaction on `evicted`. */
export function stubs(db: StoreDatabase, ids: readonly string[]) {
  return db.evicted.bulkGet(ids as string[]);
}

/** Whether a server row is a record evicted here and unchanged since. */
export const evictedUnchanged = (stub: EvictedRow | undefined, server: Conversation) =>
  stub?.h !== undefined && stub.h === fingerprint(server);

/**
 * After a complete walk stored every server row again: the stubs go, all of them, or only
 * those whose rows came back when `onlyRestored`.
 */
export async function clearStubs(db: StoreDatabase, onlyRestored: boolean): Promise<void> {
  if (!onlyRestored) return db.evicted.clear();
  const ids = (await db.evicted.toCollection().primaryKeys()) as string[];
  const back = await db.conversations.bulkGet(ids);
  await db.evicted.bulkDelete(ids.filter((_, index) => back[index] !== undefined));
}
