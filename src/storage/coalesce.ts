/**
 * The outbox's coalescing rules, as pure functions over one record's entries: what a new
 * operation does to the entries that were never sent, and the record's state once its
 * entries apply. outbox.ts runs them inside the write transaction.
 *
 * Invariants, per record: entries keep their order (`seq`); only the first one may be
 * in flight; an entry that has ever left (`sentAt` set) is frozen: it is never merged
 * into or dropped by coalescing, because a retry with its Idempotency-Key replays the
 * first answer and would silently ignore anything merged into it later.
 */

import {
  applyPatch,
  type Conversation,
  type ConversationPatch,
  WRITABLE_FIELDS,
  type WriteOperation,
} from '../model/conversation.js';
import type { CoalescedEvent } from '../model/events.js';
import type { OutboxEntry } from './schema.js';

/** A local write, before it becomes (or merges into) an outbox entry. */
export type Operation = WriteOperation;

/** What to do to a record's entries so that they include one more operation. */
export interface CoalescePlan {
  remove: number[];
  replace: { seq: number; patch: ConversationPatch } | null;
  append: Operation | null;
}

/**
 * Pure coalescing rule. `entries` are one record's entries in order; `prior(seq)` gives
 * the record's state just before entry `seq` applies (to drop fields that change nothing).
 */
export function coalesce(
  entries: readonly OutboxEntry[],
  next: Operation,
  prior: (seq: number) => Conversation | null,
): CoalescePlan {
  const plan: CoalescePlan = { remove: [], replace: null, append: null };
  const unsent = entries.filter((entry) => entry.sentAt === null);
  if (next.op === 'create') {
    plan.append = next;
    return plan;
  }
  if (next.op === 'delete') {
    if (unsent.some((entry) => entry.op === 'create')) {
      // Never sent: the server has never heard of it, so nothing needs to be sent at all.
      plan.remove = entries.map((entry) => entry.seq as number);
      return plan;
    }
    plan.remove = unsent.filter((entry) => entry.op === 'update').map((e) => e.seq as number);
    plan.append = next;
    return plan;
  }
  const last = entries.at(-1);
  if (last !== undefined && last.op === 'update' && last.sentAt === null) {
    const seq = last.seq as number;
    const merged = withoutNoOps({ ...last.patch, ...next.patch }, prior(seq));
    if (Object.keys(merged).length === 0) plan.remove = [seq];
    else plan.replace = { seq, patch: merged };
    return plan;
  }
  const patch = withoutNoOps(next.patch, prior(Number.POSITIVE_INFINITY));
  if (Object.keys(patch).length > 0) plan.append = { op: 'update', patch };
  return plan;
}

/**
 * The debug event of a plan that sends nothing of its own: the operation merged into an
 * unsent entry (or replaced unsent updates), or was dropped. `null` when it was appended.
 */
export function coalescedEvent(
  recordId: string,
  next: Operation,
  plan: CoalescePlan,
): CoalescedEvent | null {
  if (next.op === 'create') return null;
  const event = (outcome: CoalescedEvent['outcome']): CoalescedEvent => ({
    type: 'coalesced',
    recordId,
    op: next.op,
    outcome,
  });
  if (next.op === 'delete') {
    if (plan.remove.length === 0) return null;
    return event(plan.append === null ? 'dropped' : 'merged');
  }
  if (plan.replace !== null) return event('merged');
  return plan.append === null ? event('dropped') : null;
}

/** Notes the coalescing of a write inside its transaction, to tell once it committed. */
export function coalescing(recordId: string, operation: Operation) {
  let event: CoalescedEvent | null = null;
  return {
    planned: (plan: CoalescePlan) => {
      event = coalescedEvent(recordId, operation, plan);
    },
    /** Tells the event, if any (after the commit). */
    tell: (sink: ((event: CoalescedEvent) => void) | undefined) => {
      if (event !== null) sink?.(event);
    },
  };
}

/** Drops the fields of a patch that already hold that value in `state`. */
function withoutNoOps(patch: ConversationPatch, state: Conversation | null): ConversationPatch {
  if (state === null) return patch;
  const kept: ConversationPatch = {};
  for (const field of WRITABLE_FIELDS) {
    if (Object.hasOwn(patch, field) && patch[field] !== state[field]) {
      (kept as Record<string, unknown>)[field] = patch[field];
    }
  }
  return kept;
}

/**
 * The local view of a server-known record: its last acknowledged server state with the
 * queued entries on top, in order. `null` when a queued delete removes it.
 */
export function materialize(
  base: Conversation | null,
  entries: readonly OutboxEntry[],
): Conversation | null {
  let row = base;
  for (const entry of entries) {
    if (entry.op === 'delete') row = null;
    else if (entry.op === 'update' && row !== null) row = applyPatch(row, entry.patch);
  }
  return row;
}

/** A record's queue as a write needs it: its entries in order and the base they apply to. */
export interface RecordQueue {
  entries: OutboxEntry[];
  /** The last server state acknowledged (kept while entries are queued). */
  base: Conversation | null;
}

/** The queue of a record that has never been queued (a fresh local create). */
export const EMPTY_QUEUE: RecordQueue = Object.freeze({ entries: [], base: null });
