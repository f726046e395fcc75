/**
 * Server state into local records: a page of rows reconciled in one transaction, and
 * records the server proved gone removed. Records with queued writes are rebased
 * (reconcile.ts), never overwritten.
 */

import {
  type Conversation,
  mergePatches,
  pickConversation,
  sameConversation,
} from '../model/conversation.js';
import { clock, unixSeconds } from '../platform/clock.js';
import {
  baseIn,
  dropQueue,
  entriesByRecord,
  entriesOf,
  isEmpty,
  keepBase,
  requeue,
  unansweredCreates,
} from '../storage/outbox.js';
import {
  evictedUnchanged,
  type RemovalProof,
  remove,
  showQueued,
  storeServerRows,
  stubs,
} from '../storage/records.js';
import type { SentCreate } from '../storage/schema.js';
import { inTransaction, type OutboxEntry, SCOPES, type StoreDatabase } from '../storage/schema.js';
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
   * (the base, for records with queued writes; the stub's, for evicted records), or the
   * id is new here.
   */
  news: number;
}

/** How a merge treats records the quota manager evicted. */
export interface MergeOptions {
  /**
   * Store an evicted record's row again when a page lists it unchanged (a watched list, a
   * walk, a read by id). False for the head read: what it lists unchanged is not news, and
   * storing it would only see it evicted again after the round.
   */
  restoreEvicted?: boolean;
  /** Writes in the same transaction (a walk's progress, committed with the page it records). */
  alongside?: () => Promise<unknown>;
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

/** Reconciles server rows with the local records, in one transaction. */
export function mergeRows(
  context: SyncContext,
  rows: Conversation[],
  { restoreEvicted = true, alongside }: MergeOptions = {},
): Promise<Merged> {
  const { db } = context;
  return inTransaction(db, SCOPES.pull, async () => {
    const ids = rows.map((row) => row.id);
    // Most pages touch no record with queued writes and no evicted one: cheap counts spare
    // the lookups.
    const [locals, empty, evictedCount] = await Promise.all([
      db.conversations.bulkGet(ids),
      isEmpty(db),
      db.evicted.count(),
      alongside?.(),
    ]);
    const [queued, uncertainCreates, evicted] = await Promise.all([
      empty ? new Map<string, OutboxEntry[]>() : entriesByRecord(db, ids),
      empty ? [] : unansweredCreates(db),
      evictedCount === 0 ? [] : stubs(db, ids),
    ]);
    const serverRows: Conversation[] = [];
    const merged: Merged = { conflicts: [], changed: 0, dequeued: [], rebased: [], news: 0 };
    for (const [index, server] of rows.entries()) {
      const stored = locals[index];
      const local = stored === undefined ? undefined : pickConversation(stored);
      const entries = queued.get(server.id);
      const known = entries === undefined ? null : baseIn(entries);
      if (
        entries === undefined &&
        local === undefined &&
        evictedUnchanged(evicted[index], server)
      ) {
        // Evicted here and unchanged since: no news, and stored again only when asked.
        if (restoreEvicted) serverRows.push(server);
        continue;
      }
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
          serverRows.push(server);
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
      let remaining: readonly OutboxEntry[] = entries;
      if (result.resolvedPending !== null) {
        await requeue(db, server, entries, result.row, clock().now());
        remaining = await entriesOf(db, server.id);
        if (remaining.length === 0) merged.dequeued.push(server.id);
      }
      if (await showQueued(db, server.id, server, remaining, stored)) merged.changed += 1;
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
    await storeServerRows(db, serverRows, evictedCount > 0);
    return merged;
  });
}

/**
 * Removes records the server proved gone (a GET answered 404), with whatever was queued
 * for them, 500 per transaction. A record with a queued create is not on the server yet
 * and stays. Dropped updates are reported.
 */
export async function removeGone(
  db: StoreDatabase,
  proofs: readonly RemovalProof[],
): Promise<{ conflicts: Conflict[]; removed: string[] }> {
  const conflicts: Conflict[] = [];
  const removed: string[] = [];
  for (let start = 0; start < proofs.length; start += 500) {
    const chunk = proofs.slice(start, start + 500);
    await inTransaction(db, SCOPES.pull, async () => {
      const queued = await entriesByRecord(
        db,
        chunk.map((proof) => proof.id),
      );
      for (const proof of chunk) {
        const { id } = proof;
        const entries = queued.get(id) ?? [];
        if (entries.some((entry) => entry.op === 'create')) continue; // Not on the server yet.
        await dropQueue(db, id);
        const local = await remove(db, proof);
        if (local === null) {
          // Deleted here meanwhile: gone on both sides, so what was queued is moot.
          if (entries.length > 0) removed.push(id);
          continue;
        }
        const updates = entries.flatMap((entry) => (entry.op === 'update' ? [entry.patch] : []));
        if (updates.length > 0) {
          conflicts.push({
            id,
            kind: 'deleted',
            fields: Object.keys(mergePatches(updates)) as Conflict['fields'],
            server: null,
            local,
            resolved: null,
          });
        }
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
  options?: MergeOptions,
): Promise<Merged> {
  const merged = await mergeRows(context, rows, options);
  context.confirmations.confirm(rows.map((row) => row.id));
  for (const id of merged.dequeued) context.events.queueChanged(id, false);
  for (const recordId of merged.rebased) context.events.debug({ type: 'rebased', recordId });
  for (const conflict of merged.conflicts) context.events.conflict(conflict);
  return merged;
}

/** Removes records the server proved gone (a 404 for each id) and reports it. */
export async function removeAndReport(
  context: SyncContext,
  proofs: readonly RemovalProof[],
  reason: 'walk' | 'not-found' = 'not-found',
) {
  const gone = await removeGone(context.db, proofs);
  for (const id of gone.removed) context.events.queueChanged(id, false);
  for (const recordId of gone.removed) context.events.debug({ type: 'removed', recordId, reason });
  for (const conflict of gone.conflicts) context.events.conflict(conflict);
  return gone;
}
