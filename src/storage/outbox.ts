/**
 * The persistent outbox: the only module that reads or writes the `outbox` table. A
 * record's first entry carries its base (the last server state its entries apply to).
 * Writes enqueue (and coalesce, coalesce.ts) inside their own transaction; the sync
 * engine claims an entry before sending it and settles it once its reply is stored;
 * pulls rebase queued changes onto new server states.
 */

import { type Conversation, type ConversationPatch, diff } from '../model/conversation.js';
import { coalesce, materialize, type Operation, type RecordQueue } from './coalesce.js';
import { clockWentBack, isDue } from './due.js';
import { idempotencyKey, TEMPORARY_PREFIX } from './ids.js';
import type { OutboxEntry, SentCreate, StoreDatabase, StoredConversation } from './schema.js';

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

/**
 * Reads a record's queue, inside a transaction on outbox. A stored row without the queued
 * marker has nothing queued: its queue is not read at all.
 */
export async function readQueue(
  db: StoreDatabase,
  stored: StoredConversation,
): Promise<RecordQueue> {
  if (stored.q !== 1) return { entries: [], base: null };
  const entries = await entriesOf(db, stored.id);
  return { entries, base: entries[0]?.base ?? null };
}

/**
 * Adds one operation to a record's queue (read by `readQueue` in the same transaction),
 * coalescing with entries never sent. Issues its writes at once (a transaction runs its
 * requests in order) and says at once whether anything stays `queued` (not after a create
 * then delete of an unsent record), so the caller stores the record's marker beside them.
 * `done` resolves, once the writes are done, with the record's queue as they left it.
 */
export function enqueue(
  db: StoreDatabase,
  recordId: string,
  operation: Operation,
  current: Conversation | null,
  now: number,
  queue: RecordQueue,
  planned?: (plan: ReturnType<typeof coalesce>) => void,
): { queued: boolean; done: Promise<RecordQueue> } {
  const { entries } = queue;
  // A record with nothing queued shows the server's state: that is the base later
  // acknowledgements, pulls and rollbacks rebase onto.
  const base = entries.length === 0 ? current : queue.base;
  const prior = (seq: number) =>
    materialize(
      base,
      entries.filter((e) => (e.seq as number) < seq),
    );
  const plan = coalesce(entries, operation, prior);
  planned?.(plan);
  const writes: Promise<unknown>[] = [];
  if (plan.remove.length > 0) writes.push(db.outbox.bulkDelete(plan.remove));
  const kept = entries.filter((entry) => !plan.remove.includes(entry.seq as number));
  const head = kept[0];
  const { replace } = plan;
  const after: OutboxEntry[] = [];
  for (const entry of kept) {
    let next = entry;
    if (replace !== null && replace.seq === entry.seq && entry.op === 'update')
      next = { ...entry, patch: replace.patch };
    // The base travels with the first entry: a head that coalescing removed hands it on.
    if (entry === head && base !== null && entry.base !== base) next = { ...next, base };
    if (next !== entry) writes.push(db.outbox.put(next));
    after.push(next);
  }
  if (plan.append !== null) {
    const added = newEntry(recordId, plan.append, now);
    if (head === undefined && base !== null) added.base = base;
    writes.push(
      db.outbox.add(added).then((seq) => {
        added.seq = seq;
      }),
    );
    after.push(added);
  }
  const done = Promise.all(writes).then(
    (): RecordQueue => ({ entries: after, base: after.length === 0 ? null : base }),
  );
  return { queued: after.length > 0, done };
}

/** Whether two reads of a record's queue hold the same entries, field for field. */
export function sameEntries(a: readonly OutboxEntry[], b: readonly OutboxEntry[]): boolean {
  return a.length === b.length && a.every((entry, index) => sameValue(entry, b[index]));
}

/** Structural equality of stored values (plain objects, arrays, primitives). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const other = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  return (
    keys.length === other.length &&
    keys.every((key) =>
      sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
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

/** The seqs of the entries queued for any of these ids (a record's temporary and server id). */
export function queuedSeqs(db: StoreDatabase, recordIds: readonly string[]): Promise<number[]> {
  return db.outbox.where('recordId').anyOf(recordIds).primaryKeys() as Promise<number[]>;
}

/** The ids of records with queued entries, in id order. */
export const queuedRecordIds = async (db: StoreDatabase) =>
  (await db.outbox.orderBy('recordId').uniqueKeys()) as string[];

/** The ids of records with queued entries, as a set (what `pending$` shows). */
export const pendingRecordIds = async (db: StoreDatabase): Promise<Set<string>> =>
  new Set((await db.outbox.toArray()).map((entry) => entry.recordId));

/** Every entry, in the order they will be sent. */
export const allEntries = (db: StoreDatabase): Promise<OutboxEntry[]> => db.outbox.toArray();

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

/** The entry as stored now; undefined once settled (a concurrent settle may have removed it). */
export function queuedEntry(
  db: StoreDatabase,
  entry: OutboxEntry,
): Promise<OutboxEntry | undefined> {
  return db.outbox.get(entry.seq as number);
}

/** Removes one settled entry. */
export const removeEntry = (db: StoreDatabase, entry: OutboxEntry): Promise<void> =>
  db.outbox.delete(entry.seq as number);

/** Moves a record's queued entries to a new id (an acknowledged create). Returns them all. */
export async function moveQueue(db: StoreDatabase, from: string, to: string) {
  const moved = await entriesOf(db, from);
  // A create has no base; the caller sets the acknowledged one on the first entry.
  await db.outbox.bulkPut(moved.map(({ base: _, ...entry }) => ({ ...entry, recordId: to })));
  // Writes already queued under the server id (a copy of the record that a pull brought
  // in) keep their place in the global order.
  return entriesOf(db, to);
}

/** The last acknowledged server state of a record, from its entries (read in order). */
export const baseIn = (entries: readonly OutboxEntry[]): Conversation | null =>
  entries[0]?.base ?? null;

/** Keeps `base` as the record's server state (on its first remaining entry): a pull saw it. */
export function keepBase(
  db: StoreDatabase,
  base: Conversation,
  remaining: readonly OutboxEntry[],
): Promise<unknown> {
  const head = remaining[0];
  return head === undefined ? Promise.resolve() : db.outbox.put({ ...head, base });
}

/** Drops everything queued for a record (its base goes with its first entry). */
export function dropQueue(db: StoreDatabase, recordId: string): Promise<number> {
  return db.outbox.where('recordId').equals(recordId).delete();
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
    if ((await queuedEntry(db, entry)) === undefined) return;
    await db.outbox.update(entry.seq as number, { ...failure, attempts, sentAt });
  });
}

/** Whether the outbox is empty (most pulled pages then need no queue lookups). */
export const isEmpty = async (db: StoreDatabase) => (await db.outbox.count()) === 0;

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
    const added = newEntry(server.id, { op: 'update', patch }, now);
    if (frozen.length === 0) added.base = server; // Else the frozen head holds it.
    await db.outbox.add(added);
    return true;
  }
  return frozen.length > 0;
}

/**
 * Replaces all of a record's entries, a frozen one included, with one update holding
 * `patch` on top of `server` (the conflict check: the GET has shown whatever an earlier
 * attempt did, so reusing its key would replay the old answer and drop the decision).
 * An empty patch leaves nothing queued. Resolves with the entries now queued.
 */
export async function replaceQueue(
  db: StoreDatabase,
  server: Conversation,
  patch: ConversationPatch,
  now: number,
): Promise<OutboxEntry[]> {
  await db.outbox.where('recordId').equals(server.id).delete();
  if (Object.keys(patch).length === 0) return [];
  const entry: OutboxEntry = { ...newEntry(server.id, { op: 'update', patch }, now), base: server };
  entry.seq = await db.outbox.add(entry);
  return [entry];
}
