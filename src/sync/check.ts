/**
 * Conflicts caught before the push. An update that may be stale (its last attempt failed
 * for the network, it waited through a round that could not reach the server, or its
 * record was last confirmed longer ago than `freshMs`) is checked against the server's
 * state with one GET first: fields both sides changed go to `resolveConflict` and
 * `conflicts$`, and the decided patch, on top of the server's state, is what is sent.
 */

import {
  applyPatch,
  type Conversation,
  type ConversationPatch,
  diff,
  mergePatches,
  pickConversation,
  WRITABLE_FIELDS,
} from '../model/conversation.js';
import type { CheckedEvent } from '../model/events.js';
import { clock } from '../platform/clock.js';
import { baseIn, entriesOf, replaceQueue } from '../storage/outbox.js';
import { showQueued } from '../storage/records.js';
import { inTransaction, type OutboxEntry, SCOPES } from '../storage/schema.js';
import type { SyncContext } from './context.js';
import { removeAndReport } from './merge.js';
import { lookup } from './read.js';
import { type Conflict, rebase } from './reconcile.js';

/** Whether a record's queued updates must be checked before the first is sent. */
export function needsCheck(
  context: SyncContext,
  entries: readonly OutboxEntry[],
  lastOfflineAt: number | null,
): boolean {
  const head = entries[0];
  if (head === undefined || entries.some((entry) => entry.op !== 'update')) return false;
  if (entries.some((entry) => entry.offline === true)) return true;
  if (lastOfflineAt !== null && entries.some((entry) => entry.enqueuedAt <= lastOfflineAt)) {
    return true;
  }
  return !context.confirmations.isFresh(head.recordId, context.freshMs);
}

/**
 * The base as the server may have seen it: a frozen entry (sent, answer unknown) whose
 * field the server now holds landed there, so that value is ours, not another device's.
 */
function landed(base: Conversation, entries: readonly OutboxEntry[], server: Conversation) {
  const ours: ConversationPatch = {};
  for (const entry of entries) {
    if (entry.sentAt === null || entry.op !== 'update') continue;
    for (const field of WRITABLE_FIELDS) {
      if (Object.hasOwn(entry.patch, field) && entry.patch[field] === server[field]) {
        (ours as Record<string, unknown>)[field] = server[field];
      }
    }
  }
  return applyPatch(base, ours);
}

/**
 * Reads the record and rebases its queued updates onto the server's state. Resolves
 * with whether anything is left to send. Network failures throw (typed).
 */
export async function checkBeforePush(context: SyncContext, recordId: string): Promise<boolean> {
  const found = await lookup(context, recordId);
  const checked = (outcome: CheckedEvent['outcome'], sends: boolean) =>
    context.events.debug({ type: 'checked', recordId, outcome, sends });
  if (found.kind === 'gone') {
    await removeAndReport(context, [found.proof]);
    checked('gone', false);
    return false;
  }
  if (found.kind === 'unreadable') {
    checked('unreadable', true);
    return true; // Nothing learnt: send as queued.
  }
  const server = found.row;
  const { db } = context;
  let conflict: Conflict | null = null;
  const queued = await inTransaction(db, SCOPES.pull, async () => {
    const entries = await entriesOf(db, recordId);
    const stored = await db.conversations.get(recordId);
    if (entries.length === 0) {
      // Undone meanwhile: nothing to send, and the GET's row is the freshest copy.
      if (stored !== undefined) await showQueued(db, recordId, server, [], stored);
      return false;
    }
    if (entries.some((entry) => entry.op !== 'update')) return true;
    const base = landed(baseIn(entries) ?? server, entries, server);
    const pending = mergePatches(entries.flatMap((e) => (e.op === 'update' ? [e.patch] : [])));
    const result = rebase(base, server, pending, context.resolveConflict);
    const left = await replaceQueue(db, server, diff(server, result.row), clock().now());
    await showQueued(db, recordId, server, left, stored);
    if (result.fields.length > 0) {
      conflict = {
        id: recordId,
        kind: 'field',
        fields: result.fields,
        server,
        local: stored === undefined ? null : pickConversation(stored),
        resolved: result.row,
      };
    }
    return left.length > 0;
  });
  context.confirmations.confirm([recordId]);
  if (!queued) context.events.queueChanged(recordId, false);
  checked(conflict === null ? 'current' : 'conflict', queued);
  if (conflict !== null) context.events.conflict(conflict);
  return queued;
}
