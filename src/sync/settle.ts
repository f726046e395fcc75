/**
 * What happens to the local store when a pushed entry gets its answer. Each function is
 * one transaction: the entry leaves the outbox only together with the state its reply
 * produced, so a crash in between resends it (with the same Idempotency-Key).
 */

import {
  type Conversation,
  type CreateConversationInput,
  mergePatches,
  operationOf,
  type RefusedOperation,
} from '../model/conversation.js';
import type { ApiError } from '../model/errors.js';
import { addAlias } from '../storage/ids.js';
import {
  baseIn,
  dropQueue,
  entriesOf,
  keepBase,
  moveQueue,
  queuedEntry,
  removeEntry,
} from '../storage/outbox.js';
import {
  createRefused,
  notFound,
  type RemovalProof,
  remove,
  renameFrom,
  showQueued,
} from '../storage/records.js';
import { addRejection, type Rejection } from '../storage/rejections.js';
import { inTransaction, type OutboxEntry, SCOPES, type StoreDatabase } from '../storage/schema.js';
import type { Conflict } from './reconcile.js';

/** Shows `base` with the record's remaining entries on top, and keeps `base` while any remain. */
async function showRebased(
  db: StoreDatabase,
  id: string,
  base: Conversation,
  remaining: readonly OutboxEntry[],
): Promise<void> {
  // Not read first: the reply's row is written whatever was shown (one put, no get).
  await keepBase(db, base, remaining);
  await showQueued(db, id, base, remaining);
}

/**
 * Settles a queued entry in one transaction: `apply` runs once the entry is removed, with
 * the entry as it was stored (a pull may have given it a newer base since it was claimed).
 * `null` when the entry was settled meanwhile (another round, or a pull dropped it).
 */
function settle<T>(
  db: StoreDatabase,
  entry: OutboxEntry,
  apply: (stored: OutboxEntry) => Promise<T>,
) {
  return inTransaction(db, SCOPES.settle, async (): Promise<T | null> => {
    const stored = await queuedEntry(db, entry);
    if (stored === undefined) return null;
    await removeEntry(db, entry);
    return apply(stored);
  });
}

/**
 * A create was acknowledged: the record takes the server's id, its queued entries move
 * to that id, and the temporary id becomes an alias. Returns the server id and whether
 * anything is still queued for it.
 */
export function acknowledgeCreate(
  db: StoreDatabase,
  entry: OutboxEntry,
  server: Conversation,
): Promise<{ serverId: string; queued: boolean } | null> {
  return settle(db, entry, async () => {
    const temporaryId = entry.recordId;
    const remaining = await moveQueue(db, temporaryId, server.id);
    await addAlias(db, temporaryId, server.id);
    await renameFrom(db, temporaryId);
    await showRebased(db, server.id, server, remaining);
    return { serverId: server.id, queued: remaining.length > 0 };
  });
}

/** An update was acknowledged: the reply is the new base, later entries stay on top. */
export function acknowledgeUpdate(
  db: StoreDatabase,
  entry: OutboxEntry,
  server: Conversation,
): Promise<boolean | null> {
  return settle(db, entry, async () => {
    const remaining = await entriesOf(db, entry.recordId);
    await showRebased(db, entry.recordId, server, remaining);
    return remaining.length > 0;
  });
}

/** A delete was acknowledged (or the record was already gone: 404). */
export function acknowledgeDelete(db: StoreDatabase, entry: OutboxEntry): Promise<boolean> {
  return inTransaction(db, SCOPES.settle, async () => {
    await removeEntry(db, entry);
    const remaining = await entriesOf(db, entry.recordId);
    if (remaining.length === 0) await dropQueue(db, entry.recordId);
    return remaining.length > 0;
  });
}

/** Removes a record (on proof) and everything queued for it. Returns what the app saw before. */
async function dropRecord(db: StoreDatabase, removal: RemovalProof): Promise<Conversation | null> {
  await dropQueue(db, removal.id);
  return remove(db, removal);
}

/** A PUT answered 404 (`error`): the server deleted the record, so it goes locally too. */
export function deletedOnServer(
  db: StoreDatabase,
  entry: OutboxEntry,
  error: ApiError,
): Promise<Conflict | null> {
  return inTransaction(db, SCOPES.settle, async () => {
    if ((await queuedEntry(db, entry)) === undefined) return null;
    const fields = entry.op === 'update' ? (Object.keys(entry.patch) as Conflict['fields']) : [];
    const local = await dropRecord(db, notFound(entry.recordId, error));
    return { id: entry.recordId, kind: 'deleted', fields, server: null, local, resolved: null };
  });
}

/**
 * A refused create with the updates queued behind it, which it undoes too: `retry` then
 * restores them all. A queued delete means the user removed the record anyway: nothing of
 * it is to be restored beyond the create itself.
 */
function createUndoing(body: CreateConversationInput, after: OutboxEntry[]): RefusedOperation {
  if (after.some((queued) => queued.op === 'delete')) return { op: 'create', body };
  const patch = mergePatches(
    after.flatMap((queued) => (queued.op === 'update' ? [queued.patch] : [])),
  );
  return Object.keys(patch).length === 0 ? { op: 'create', body } : { op: 'create', body, patch };
}

/**
 * The server refused the entry for good: it becomes a rejection and the record rolls
 * back to its last server state with the remaining entries on top (a refused create
 * removes the record and whatever was queued after it, and its rejection carries that).
 */
export function reject(
  db: StoreDatabase,
  entry: OutboxEntry,
  error: ApiError,
  now: number,
): Promise<{ rejection: Rejection; queued: boolean } | null> {
  return settle(db, entry, async (stored) => {
    const remaining = await entriesOf(db, entry.recordId);
    const refused =
      entry.op === 'create' ? createUndoing(entry.body, remaining) : operationOf(entry);
    const rejection = await addRejection(db, entry.recordId, refused, error, now);
    if (entry.op === 'create') {
      await dropRecord(db, createRefused(entry.recordId, error));
      return { rejection, queued: false };
    }
    const serverState = baseIn([stored]);
    if (serverState !== null) await showRebased(db, entry.recordId, serverState, remaining);
    return { rejection, queued: remaining.length > 0 };
  });
}
