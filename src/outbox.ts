/**
 * The persistent outbox: enqueue and coalesce inside the write transaction, claim an
 * entry before it is sent, and settle it once its reply is stored.
 *
 * Invariants, per record: entries keep their order (`seq`); only the first one may be
 * in flight; an entry that has ever left (`sentAt` set) is frozen: it is never merged
 * into or dropped by coalescing, because a retry with its Idempotency-Key replays the
 * first answer and would silently ignore anything merged into it later.
 */
import type { OutboxEntry, StoreDatabase } from './db.js';
import {
  applyPatch,
  type Conversation,
  type ConversationPatch,
  WRITABLE_FIELDS,
  type WriteOperation,
} from './model.js';

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

/**
 * One record's entries, in order. Must run inside a transaction that includes `outbox`.
 * An index lists equal keys in primary-key order, so the entries come sorted by `seq`.
 */
export function entriesOf(db: StoreDatabase, recordId: string): Promise<OutboxEntry[]> {
  return db.outbox.where('recordId').equals(recordId).toArray();
}

export function newEntry(recordId: string, operation: Operation, now: number): OutboxEntry {
  return {
    ...operation,
    recordId,
    key: crypto.randomUUID(),
    sentAt: null,
    attempts: 0,
    notBefore: 0,
    enqueuedAt: now,
    lastError: null,
  };
}

/** A record's queue as a write needs it: its entries in order and the base they apply to. */
export interface RecordQueue {
  entries: OutboxEntry[];
  /** The last server state acknowledged (kept while entries are queued). */
  base: Conversation | null;
}

/** The queue of a record that has never been queued (a fresh local create). */
export const EMPTY_QUEUE: RecordQueue = Object.freeze({ entries: [], base: null });

/** Reads a record's queue; both reads go out at once. Inside a transaction on outbox and bases. */
export async function readQueue(db: StoreDatabase, recordId: string): Promise<RecordQueue> {
  const [entries, base] = await Promise.all([entriesOf(db, recordId), db.bases.get(recordId)]);
  return { entries, base: base?.row ?? null };
}

/**
 * Adds one operation to a record's queue (read by `readQueue` in the same transaction),
 * coalescing with entries that were never sent. Runs inside the caller's write
 * transaction (conversations, outbox, bases) and issues its writes at once: the requests
 * of one transaction run in the order they were made, so nothing waits for a round trip.
 */
export function enqueue(
  db: StoreDatabase,
  recordId: string,
  operation: Operation,
  current: Conversation | null,
  now: number,
  queue: RecordQueue,
): Promise<unknown> {
  const { entries } = queue;
  // A record with nothing queued shows the server's state: that is the base later
  // acknowledgements, pulls and rollbacks rebase onto.
  const base = entries.length === 0 ? current : queue.base;
  const prior = (seq: number) =>
    materialize(
      base,
      entries.filter((entry) => (entry.seq as number) < seq),
    );
  const plan = coalesce(entries, operation, prior);
  const remaining = entries.length - plan.remove.length + (plan.append === null ? 0 : 1);
  const writes: Promise<unknown>[] = [];
  if (entries.length === 0 && remaining > 0 && current !== null) {
    writes.push(db.bases.put({ id: recordId, row: current }));
  }
  if (plan.remove.length > 0) writes.push(db.outbox.bulkDelete(plan.remove));
  const replace = plan.replace;
  if (replace !== null) {
    const entry = entries.find((candidate) => candidate.seq === replace.seq);
    if (entry?.op === 'update') {
      const merged: OutboxEntry = { ...entry, patch: replace.patch };
      writes.push(db.outbox.put(merged));
    }
  }
  if (plan.append !== null) writes.push(db.outbox.add(newEntry(recordId, plan.append, now)));
  if (remaining === 0 && entries.length > 0) writes.push(db.bases.delete(recordId));
  return Promise.all(writes);
}

/**
 * Claims the first entry of a record for sending: marks it sent (frozen) and returns it.
 * `null` when the record has nothing queued, or its first entry waits for a backoff
 * deadline later than `dueBy` (unless `reconnected` and it only waited for the network).
 */
export function claimHead(
  db: StoreDatabase,
  recordId: string,
  now: number,
  dueBy: number,
  reconnected = false,
): Promise<OutboxEntry | null> {
  return db.transaction('rw', db.outbox, async () => {
    const head = (await entriesOf(db, recordId))[0];
    if (head === undefined) return null;
    if (head.notBefore > dueBy && !(reconnected && head.offline === true)) return null;
    const claimed = { ...head, sentAt: head.sentAt ?? now, attempts: head.attempts + 1 };
    await db.outbox.put(claimed);
    return claimed;
  });
}
