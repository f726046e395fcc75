/**
 * Server state into local records: a page of rows reconciled in one transaction, and
 * records the server proved gone removed. Records with queued writes are rebased
 * (reconcile.ts), never overwritten.
 */

import { clock, unixSeconds } from '../clock.js';
import type { SentCreate } from '../db.js';
import {
  inTransaction,
  type OutboxEntry,
  SCOPES,
  type StoreDatabase,
  toStored,
  toStoredQueued,
} from '../db.js';
import { type Conversation, mergePatches, pickConversation, sameConversation } from '../model.js';
import {
  baseIn,
  dropQueue,
  entriesByRecord,
  isEmpty,
  keepBase,
  requeue,
  unansweredCreates,
} from '../outbox.js';
import type { SyncContext } from './context.js';
import { type Conflict, rebase } from './reconcile.js';

export interface Merged {
  conflicts: Conflict[];
  /** Rows that changed something locally. */
  changed: number;
  /** Records whose queue the merge emptied. */
  dequeued: string[];
  /** Records whose pending changes were rebased on a new server state. */
  rebased: string[];
  /**
   * Rows that told something new: the server's state differs from the last one known
   * (the base, for records with queued writes), or the id is new here.
   */
  news: number;
}

/**
 * How far the server's clock may lag ours when matching a row's `created_at` (unix
 * seconds, the server's clock) against a create's `sentAt` (unix ms, ours): 5 minutes.
 */
const CLOCK_SKEW_SECONDS = 300;

/**
 * Whether a server row we have never seen could be one of the creates that left without
 * an answer: the same contact or group, created no earlier than that create was sent.
 */
function mayBeUnanswered(row: Conversation, creates: readonly SentCreate[]): boolean {
  return creates.some(
    ({ body, sentAt }) =>
      ('contact_id' in body
        ? row.contact_id === body.contact_id
        : row.group_id === body.group_id) &&
      row.created_at >= unixSeconds(sentAt) - CLOCK_SKEW_SECONDS,
  );
}

/**
 * Reconciles server rows with the local records, in one transaction; `alongside` writes
 * in the same one (a walk's progress, committed with the page it records).
 */
export function mergeRows(
  context: SyncContext,
  rows: Conversation[],
  alongside?: () => Promise<unknown>,
): Promise<Merged> {
  const { db } = context;
  return inTransaction(db, SCOPES.pull, async () => {
    const ids = rows.map((row) => row.id);
    // Most pages touch no record with queued writes: one cheap count spares two lookups.
    const [locals, empty] = await Promise.all([
      db.conversations.bulkGet(ids),
      isEmpty(db),
      alongside?.(),
    ]);
    const [queued, uncertainCreates] = empty
      ? [new Map<string, OutboxEntry[]>(), []]
      : await Promise.all([entriesByRecord(db, ids), unansweredCreates(db)]);
    const writes = [];
    const merged: Merged = { conflicts: [], changed: 0, dequeued: [], rebased: [], news: 0 };
    for (const [index, server] of rows.entries()) {
      const stored = locals[index];
      const local = stored === undefined ? undefined : pickConversation(stored);
      const entries = queued.get(server.id);
      const known = entries === undefined ? null : baseIn(entries);
      // News: the server's state differs from the base of the queued writes, or else from
      // the stored row (a record with a queued delete has a base and no row).
      if (known !== null ? !sameConversation(known, server) : !sameConversation(local, server)) {
        merged.news += 1;
      }
      if (entries === undefined) {
        // A create that left without an answer may be this very row under its server id:
        // adding it now would show the conversation twice until the create is settled.
        // Such a row waits for a pull after that create has its answer; others show now.
        if (local === undefined && mayBeUnanswered(server, uncertainCreates)) continue;
        if (!sameConversation(local, server)) {
          writes.push(toStored(server));
          merged.changed += 1;
        }
        continue;
      }
      // The record has local changes the server has not seen: rebase them.
      const base = known ?? server;
      await keepBase(db, server, entries); // The server's state is the new base.
      if (entries.some((entry) => entry.op === 'delete')) continue; // Stays deleted here.
      const patches = entries.flatMap((entry) => (entry.op === 'update' ? [entry.patch] : []));
      const result = rebase(base, server, mergePatches(patches), context.resolveConflict);
      if (!sameConversation(base, server)) merged.rebased.push(server.id);
      let left = true;
      if (result.resolvedPending !== null) {
        left = await requeue(db, server, entries, result.row, clock().now());
        if (!left) merged.dequeued.push(server.id);
      }
      if (!sameConversation(local, result.row) || (stored?.q === 1) !== left) {
        writes.push(toStoredQueued(result.row, left));
        if (!sameConversation(local, result.row)) merged.changed += 1;
      }
      if (result.fields.length > 0) {
        merged.conflicts.push({
          id: server.id,
          kind: 'field',
          fields: result.fields,
          server,
          local: local ?? null,
          resolved: result.row,
        });
      }
    }
    if (writes.length > 0) await db.conversations.bulkPut(writes);
    return merged;
  });
}

/**
 * Removes records the server proved gone (a complete walk did not list them, or a GET
 * answered 404), with whatever was queued for them, 500 per transaction. A record with a
 * queued create is not on the server yet and stays. Dropped updates are reported.
 */
export async function removeGone(
  db: StoreDatabase,
  ids: readonly string[],
): Promise<{ conflicts: Conflict[]; removed: string[] }> {
  const conflicts: Conflict[] = [];
  const removed: string[] = [];
  for (let start = 0; start < ids.length; start += 500) {
    const chunk = ids.slice(start, start + 500);
    await inTransaction(db, SCOPES.pull, async () => {
      const [stored, queued] = await Promise.all([
        db.conversations.bulkGet(chunk),
        entriesByRecord(db, chunk),
      ]);
      for (const [index, id] of chunk.entries()) {
        const row = stored[index];
        const entries = queued.get(id) ?? [];
        if (entries.some((entry) => entry.op === 'create')) continue; // Not on the server yet.
        if (row === undefined) {
          // Deleted here meanwhile: gone on both sides, so what was queued is moot.
          if (entries.length > 0) {
            await dropQueue(db, id);
            removed.push(id);
          }
          continue;
        }
        const updates = entries.flatMap((entry) => (entry.op === 'update' ? [entry.patch] : []));
        if (updates.length > 0) {
          conflicts.push({
            id,
            kind: 'deleted',
            fields: Object.keys(mergePatches(updates)) as Conflict['fields'],
            server: null,
            local: pickConversation(row),
            resolved: null,
          });
        }
        await dropQueue(db, id);
        await db.conversations.delete(id);
        removed.push(id);
      }
    });
  }
  return { conflicts, removed };
}

/** Merges server rows, notes them confirmed, and reports what the merge did. */
export async function absorb(
  context: SyncContext,
  rows: Conversation[],
  alongside?: () => Promise<unknown>,
): Promise<Merged> {
  const merged = await mergeRows(context, rows, alongside);
  context.confirmations.confirm(rows.map((row) => row.id));
  for (const id of merged.dequeued) context.events.queueChanged(id, false);
  for (const recordId of merged.rebased) context.events.debug({ type: 'rebased', recordId });
  for (const conflict of merged.conflicts) context.events.conflict(conflict);
  return merged;
}

/** Removes records the server proved gone (by a complete walk, or a 404) and reports it. */
export async function removeAndReport(
  context: SyncContext,
  ids: readonly string[],
  reason: 'walk' | 'not-found' = 'not-found',
) {
  const gone = await removeGone(context.db, ids);
  for (const id of gone.removed) context.events.queueChanged(id, false);
  for (const recordId of gone.removed) context.events.debug({ type: 'removed', recordId, reason });
  for (const conflict of gone.conflicts) context.events.conflict(conflict);
  return gone;
}
