/**
 * The persistent outbox and the bases its entries apply to: the only module that reads or
 * writes the `outbox` and `bases` tables. Writes enqueue (and coalesce, coalesce.ts)
 * inside their own transaction; the sync engine claims an entry before sending it and
 * settles it once its reply is stored; pulls rebase queued changes onto new server states.
 */
import { coalesce, materialize, type Operation, type RecordQueue } from './coalesce.js';
import type { OutboxEntry, StoreDatabase } from './db.js';
import { idempotencyKey, TEMPORARY_PREFIX } from './ids.js';
import { type Conversation, type ConversationPatch, diff } from './model.js';
import { clockWentBack, isDue } from './sync/backoff.js';

/**
 * One record's entries, in order. Inside a transaction that includes `outbox`.
 * An index lists equal keys in primary-key order, so the entries come sorted by `seq`.
 */
export function entriesOf(db: StoreDatabase, recordId: string): Promise<OutboxEntry[]> {
  return db.outbox.where('recordId').equals(recordId).toArray();
}

/** The entries of several records, each record's in order. */
export async function entriesByRecord(
  db: StoreDatabase,
  recordIds: readonly string[],
): Promise<Map<string, OutboxEntry[]>> {
  const byRecord = new Map<string, OutboxEntry[]>();
  if (recordIds.length === 0) return byRecord;
  for (const entry of await db.outbox.where('recordId').anyOf(recordIds).toArray()) {
    const list = byRecord.get(entry.recordId) ?? [];
    list.push(entry);
    byRecord.set(entry.recordId, list);
  }
  return byRecord;
}

export function newEntry(recordId: string, operation: Operation, now: number): OutboxEntry {
  return {
    ...operation,
    recordId,
    key: idempotencyKey(),
    sentAt: null,
    attempts: 0,
    notBefore: 0,
    enqueuedAt: now,
    lastError: null,
  };
}

/** Reads a record's queue; both reads go out at once. Inside a transaction on outbox and bases. */
export async function readQueue(db: StoreDatabase, recordId: string): Promise<RecordQueue> {
  const [entries, base] = await Promise.all([entriesOf(db, recordId), db.bases.get(recordId)]);
  return { entries, base: base?.row ?? null };
}

/**
 * Adds one operation to a record's queue (read by `readQueue` in the same transaction),
 * coalescing with entries that were never sent. Runs inside the caller's write
 * transaction and issues its writes at once: the requests of one transaction run in the
 * order they were made, so nothing waits for a round trip. Resolves with whether the
 * record still has anything queued (a create then delete of an unsent record has not).
 */
export async function enqueue(
  db: StoreDatabase,
  recordId: string,
  operation: Operation,
  current: Conversation | null,
  now: number,
  queue: RecordQueue,
  planned?: (plan: ReturnType<typeof coalesce>) => void,
): Promise<boolean> {
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
  planned?.(plan);
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
  await Promise.all(writes);
  return remaining > 0;
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
    if (head === undefined || !isDue(head, dueBy, reconnected, now)) return null;
    const claimed = { ...head, sentAt: head.sentAt ?? now, attempts: head.attempts + 1 };
    await db.outbox.put(claimed);
    return claimed;
  });
}

/** The ids of records with queued entries, in id order. */
export async function queuedRecordIds(db: StoreDatabase): Promise<string[]> {
  return (await db.outbox.orderBy('recordId').uniqueKeys()) as string[];
}

/** The ids of records with queued entries, as a set (what `pending$` shows). */
export async function pendingRecordIds(db: StoreDatabase): Promise<Set<string>> {
  return new Set((await db.outbox.toArray()).map((entry) => entry.recordId));
}

/** Every entry, in the order they will be sent. */
export function allEntries(db: StoreDatabase): Promise<OutboxEntry[]> {
  return db.outbox.toArray();
}

/**
 * The earliest backoff deadline of a record's first entry (only those can be sent);
 * `now` for an entry whose deadline the clock, set back, made meaningless.
 */
export async function earliestDeadline(db: StoreDatabase, now: number): Promise<number> {
  let earliest = Number.POSITIVE_INFINITY;
  const heads = new Set<string>();
  await db.outbox.each((entry) => {
    if (heads.has(entry.recordId)) return;
    heads.add(entry.recordId);
    const deadline = clockWentBack(entry, now) ? now : entry.notBefore;
    if (deadline < earliest) earliest = deadline;
  });
  return earliest;
}

/** Whether this entry is still queued (a concurrent settle may have removed it). */
export async function stillQueued(db: StoreDatabase, entry: OutboxEntry): Promise<boolean> {
  return (await db.outbox.get(entry.seq as number)) !== undefined;
}

/** Removes one settled entry. */
export function removeEntry(db: StoreDatabase, entry: OutboxEntry): Promise<void> {
  return db.outbox.delete(entry.seq as number);
}

/** Moves a record's queued entries to a new id (an acknowledged create). Returns them all. */
export async function moveQueue(
  db: StoreDatabase,
  from: string,
  to: string,
): Promise<OutboxEntry[]> {
  const moved = await entriesOf(db, from);
  await db.outbox.bulkPut(moved.map((entry) => ({ ...entry, recordId: to })));
  // Writes already queued under the server id (a copy of the record that a pull brought
  // in) keep their place in the global order.
  return entriesOf(db, to);
}

/** The last acknowledged server state of a record with queued entries. */
export async function baseOf(db: StoreDatabase, recordId: string): Promise<Conversation | null> {
  return (await db.bases.get(recordId))?.row ?? null;
}

/** The bases of several records, in the order of `recordIds`. */
export async function basesOf(
  db: StoreDatabase,
  recordIds: readonly string[],
): Promise<(Conversation | null)[]> {
  return (await db.bases.bulkGet([...recordIds])).map((base) => base?.row ?? null);
}

/** Keeps `base` as the record's server state while entries remain, and drops it after. */
export function keepBase(
  db: StoreDatabase,
  recordId: string,
  base: Conversation,
  entriesLeft: number,
): Promise<unknown> {
  return entriesLeft > 0 ? db.bases.put({ id: recordId, row: base }) : db.bases.delete(recordId);
}

/** Drops everything queued for a record, and its base. */
export async function dropQueue(db: StoreDatabase, recordId: string): Promise<void> {
  await db.outbox.where('recordId').equals(recordId).delete();
  await db.bases.delete(recordId);
}

/**
 * A retryable failure at `failedAt`: the entry waits until `notBefore` (wall ms). `unsent`:
 * the request never left (no token), so the claim is undone and it does not count as sent.
 */
export function markFailed(
  db: StoreDatabase,
  entry: OutboxEntry,
  failure: { notBefore: number; failedAt: number; offline: boolean; lastError: string },
  unsent: boolean,
): Promise<void> {
  const attempts = unsent ? entry.attempts - 1 : entry.attempts; // Claims add one.
  const sentAt = attempts === 0 ? null : entry.sentAt; // Only a first claim sets it.
  return db.transaction('rw', db.outbox, async () => {
    if (!(await stillQueued(db, entry))) return;
    await db.outbox.update(entry.seq as number, { ...failure, attempts, sentAt });
  });
}

/** Whether the outbox is empty (most pulled pages then need no queue lookups). */
export async function isEmpty(db: StoreDatabase): Promise<boolean> {
  return (await db.outbox.count()) === 0;
}

/** A create that left without its answer being stored yet. */
export type SentCreate = Extract<OutboxEntry, { op: 'create' }> & { sentAt: number };

/**
 * The creates that left without their answer being stored yet. A create is queued on its
 * temporary id until the answer renames it, so an index range finds them without a scan.
 */
export async function unansweredCreates(db: StoreDatabase): Promise<SentCreate[]> {
  const onTemporary = await db.outbox.where('recordId').startsWith(TEMPORARY_PREFIX).toArray();
  return onTemporary.filter(
    (entry): entry is SentCreate => entry.op === 'create' && entry.sentAt !== null,
  );
}

/**
 * Rewrites a record's unsent entries so that, once its in-flight entry (if any) lands,
 * the server ends up at `desired`. Resolves with whether anything is left queued.
 */
export async function requeue(
  db: StoreDatabase,
  server: Conversation,
  entries: readonly OutboxEntry[],
  desired: Conversation,
  now: number,
): Promise<boolean> {
  const frozen = entries.filter((entry) => entry.sentAt !== null);
  const unsent = entries.filter((entry) => entry.sentAt === null);
  await db.outbox.bulkDelete(unsent.map((entry) => entry.seq as number));
  const afterFrozen = materialize(server, frozen) ?? server;
  const patch: ConversationPatch = diff(afterFrozen, desired);
  if (Object.keys(patch).length > 0) {
    await db.outbox.add(newEntry(server.id, { op: 'update', patch }, now));
    return true;
  }
  if (frozen.length === 0) await db.bases.delete(server.id);
  return frozen.length > 0;
}

/** Records `server` as the base of a record with queued entries (a pull saw it). */
export function rebaseOnto(db: StoreDatabase, server: Conversation): Promise<unknown> {
  return db.bases.put({ id: server.id, row: server });
}

/**
 * Replaces all of a record's entries, a frozen one included, with one update holding
 * `patch` on top of `server` (the conflict check: the GET has shown whatever an earlier
 * attempt did, so reusing its key would replay the old answer and drop the decision).
 * An empty patch leaves nothing queued. Resolves with whether anything is queued.
 */
export async function replaceQueue(
  db: StoreDatabase,
  server: Conversation,
  patch: ConversationPatch,
  now: number,
): Promise<boolean> {
  await db.outbox.where('recordId').equals(server.id).delete();
  if (Object.keys(patch).length === 0) {
    await db.bases.delete(server.id);
    return false;
  }
  await db.bases.put({ id: server.id, row: server });
  await db.outbox.add(newEntry(server.id, { op: 'update', patch }, now));
  return true;
}
