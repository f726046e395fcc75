/**
 * What happens to the local store when a pushed entry gets its answer. Each function is
 * one transaction: the entry leaves the outbox only together with the state its reply
 * produced, so a crash in between resends it (with the same Idempotency-Key).
 */
import { type OutboxEntry, type StoreDatabase, toStored } from '../db.js';
import { type ApiError, NetworkError } from '../errors.js';
import { type Conversation, pickConversation } from '../model.js';
import { entriesOf, materialize } from '../outbox.js';
import type { Rejection } from './context.js';
import type { Conflict } from './reconcile.js';

function tables(db: StoreDatabase) {
  return [db.conversations, db.outbox, db.bases, db.aliases, db.rejections];
}

/** Shows `base` with the record's remaining entries on top, and keeps `base` while any remain. */
async function showRebased(
  db: StoreDatabase,
  id: string,
  base: Conversation,
  remaining: readonly OutboxEntry[],
): Promise<void> {
  if (remaining.length > 0) await db.bases.put({ id, row: base });
  else await db.bases.delete(id);
  const local = materialize(base, remaining);
  if (local === null) await db.conversations.delete(id);
  else await db.conversations.put(toStored(local));
}

async function stillQueued(db: StoreDatabase, entry: OutboxEntry): Promise<boolean> {
  return (await db.outbox.get(entry.seq as number)) !== undefined;
}

/**
 * A create was acknowledged: the record takes the server's id, its queued entries move
 * to that id, and the temporary id becomes an alias. Returns the server id.
 */
export function acknowledgeCreate(
  db: StoreDatabase,
  entry: OutboxEntry,
  server: Conversation,
): Promise<string | null> {
  return db.transaction('rw', tables(db), async () => {
    if (!(await stillQueued(db, entry))) return null;
    const temporaryId = entry.recordId;
    await db.outbox.delete(entry.seq as number);
    const queuedOnTemporary = await entriesOf(db, temporaryId);
    await db.outbox.bulkPut(
      queuedOnTemporary.map((queued) => ({ ...queued, recordId: server.id })),
    );
    // Defensive: writes already queued under the server id (a copy of the record that a
    // pull brought in) keep their place in the global order.
    const remaining = await entriesOf(db, server.id);
    await db.aliases.put({ from: temporaryId, to: server.id });
    await db.conversations.delete(temporaryId);
    await showRebased(db, server.id, server, remaining);
    return server.id;
  });
}

/** An update was acknowledged: the reply is the new base, later entries stay on top. */
export function acknowledgeUpdate(
  db: StoreDatabase,
  entry: OutboxEntry,
  server: Conversation,
): Promise<void> {
  return db.transaction('rw', tables(db), async () => {
    if (!(await stillQueued(db, entry))) return;
    await db.outbox.delete(entry.seq as number);
    await showRebased(db, entry.recordId, server, await entriesOf(db, entry.recordId));
  });
}

/** A delete was acknowledged (or the record was already gone: 404). */
export function acknowledgeDelete(db: StoreDatabase, entry: OutboxEntry): Promise<void> {
  return db.transaction('rw', tables(db), async () => {
    await db.outbox.delete(entry.seq as number);
    if ((await entriesOf(db, entry.recordId)).length === 0) await db.bases.delete(entry.recordId);
  });
}

/** Removes a record and everything queued for it. Returns what the app saw before. */
async function dropRecord(db: StoreDatabase, id: string): Promise<Conversation | null> {
  const stored = await db.conversations.get(id);
  const local = stored === undefined ? null : pickConversation(stored);
  await db.outbox.where('recordId').equals(id).delete();
  await db.bases.delete(id);
  await db.conversations.delete(id);
  return local;
}

/** A PUT answered 404: the server deleted the record, so it goes locally too. */
export function deletedOnServer(db: StoreDatabase, entry: OutboxEntry): Promise<Conflict | null> {
  return db.transaction('rw', tables(db), async () => {
    if (!(await stillQueued(db, entry))) return null;
    const fields = entry.op === 'update' ? (Object.keys(entry.patch) as Conflict['fields']) : [];
    const local = await dropRecord(db, entry.recordId);
    return { id: entry.recordId, kind: 'deleted', fields, server: null, local, resolved: null };
  });
}

/**
 * The server refused the entry for good: it becomes a rejection and the record rolls
 * back to its last server state with the remaining entries on top (a refused create
 * removes the record and whatever was queued after it).
 */
export function reject(
  db: StoreDatabase,
  entry: OutboxEntry,
  error: ApiError,
  now: number,
): Promise<Rejection | null> {
  return db.transaction('rw', tables(db), async () => {
    if (!(await stillQueued(db, entry))) return null;
    await db.outbox.delete(entry.seq as number);
    const { status, type, message } = error;
    const base = { recordId: entry.recordId, rejectedAt: now, error: { status, type, message } };
    const row =
      entry.op === 'create'
        ? { ...base, op: entry.op, body: entry.body }
        : entry.op === 'update'
          ? { ...base, op: entry.op, patch: entry.patch }
          : { ...base, op: entry.op };
    const id = (await db.rejections.add(row)) as number;
    if (entry.op === 'create') {
      await dropRecord(db, entry.recordId);
    } else {
      const serverState = (await db.bases.get(entry.recordId))?.row;
      if (serverState !== undefined) {
        await showRebased(db, entry.recordId, serverState, await entriesOf(db, entry.recordId));
      }
    }
    return { ...row, id, error };
  });
}

/** A retryable failure: the entry waits for its backoff deadline. */
export function retryLater(
  db: StoreDatabase,
  entry: OutboxEntry,
  notBefore: number,
  error: Error,
): Promise<void> {
  return db.transaction('rw', db.outbox, async () => {
    if (!(await stillQueued(db, entry))) return;
    const offline = error instanceof NetworkError;
    await db.outbox.update(entry.seq as number, { notBefore, offline, lastError: error.message });
  });
}
