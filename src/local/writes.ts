/**
 * Local writes: validate first, then change the record and its outbox entry in one
 * Dexie transaction, so that neither ever exists without the other.
 */

import {
  applyPatch,
  type Conversation,
  pickConversation,
  sameConversation,
} from '../model/conversation.js';
import { toStorageError, ValidationError } from '../model/errors.js';
import type { CoalescedEvent } from '../model/events.js';
import { parseCreateInput, parseId, parsePatch } from '../model/validate.js';
import { clock } from '../platform/clock.js';
import { coalescing, EMPTY_QUEUE, type Operation, type RecordQueue } from '../storage/coalesce.js';
import { isTemporary, resolveId, temporaryId } from '../storage/ids.js';
import { enqueue, entriesOf, readQueue, sameEntries } from '../storage/outbox.js';
import { deletedHere, remove, showLocal, storedRow } from '../storage/records.js';
import {
  inTransaction,
  type OutboxEntry,
  SCOPES,
  type StoreDatabase,
  type StoredConversation,
} from '../storage/schema.js';
import type { RecordChange } from './patch.js';

/** What a committed write did to a record's queue. */
export interface QueueChange {
  /** The record's id. */
  recordId: string;
  /** Whether the record still has writes waiting for the server. */
  queued: boolean;
}

export interface WriteContext {
  db: StoreDatabase;
  /** Unix seconds, for `created_at` of local creates. */
  nowSeconds: () => number;
  /**
   * Called once the write committed and before its promise resolves: `pending$` shows it
   * at once, and the sync engine wakes up.
   */
  written: (change: QueueChange) => void;
  /** Runs the write again after making room when it ran out of quota (quota.ts). */
  withRoom?: <T>(write: () => Promise<T>) => Promise<T>;
  /** Called when a write failed in IndexedDB (the usage estimate is read again). */
  failed?: () => void;
  /**
   * Called inside the write's transaction once its writes are done, with the record
   * before and after and its queue after: the live results patch themselves with it when
   * it commits, and hold it for the record's next write ({@link known}).
   */
  changed?: (change: RecordChange, queue: RecordQueue) => void;
  /** Told, after the commit, of a write that merged into the outbox or was dropped. */
  coalesced?: (event: CoalescedEvent) => void;
  /**
   * The record `id` as this store last saw it committed, row and queue, when it holds it:
   * an update or delete then writes without waiting for its read, and the read only
   * confirms the guess ({@link changeExisting}).
   */
  known?: (id: string) => HeldRecord | undefined;
}

/** A record's row and queue as a store last saw them committed: a guess until confirmed. */
export interface HeldRecord {
  row: Conversation;
  queue: RecordQueue;
}

/** Thrown inside a guessed write whose guess the stored row refutes: its transaction aborts. */
class StaleGuess extends Error {}

async function inWriteTransaction(
  context: WriteContext,
  action: string,
  body: () => Promise<QueueChange>,
  guessed?: () => Promise<QueueChange>,
): Promise<void> {
  let change: QueueChange;
  const write = async () => {
    if (guessed !== undefined) {
      try {
        return await inTransaction(context.db, SCOPES.write, guessed);
      } catch (error) {
        if (!(error instanceof StaleGuess)) throw error;
      }
    }
    return inTransaction(context.db, SCOPES.write, body);
  };
  try {
    change = await (context.withRoom ? context.withRoom(write) : write());
  } catch (error) {
    if (!(error instanceof ValidationError)) context.failed?.();
    throw toStorageError(error, action);
  }
  context.written(change);
}

/** Creates a conversation locally with a temporary id; the POST is queued. */
export async function createLocal(context: WriteContext, input: unknown): Promise<Conversation> {
  const body = parseCreateInput(input);
  const row: Conversation = {
    id: temporaryId(),
    contact_id: 'contact_id' in body ? body.contact_id : null,
    group_id: 'group_id' in body ? body.group_id : null,
    pinned_message_id: null,
    is_pinned: false,
    is_muted: false,
    last_active_at: null,
    last_opened_at: null,
    created_at: context.nowSeconds(),
    archived_at: null,
  };
  const { db } = context;
  await inWriteTransaction(context, 'create', async () => {
    // A fresh temporary id has no queue yet. Requests of one transaction run in order,
    // so issuing both at once saves a round trip.
    const { queued, done } = enqueue(
      db,
      row.id,
      { op: 'create', body },
      null,
      clock().now(),
      EMPTY_QUEUE,
    );
    const [, queue] = await Promise.all([showLocal(db, row, queued, true), done]);
    context.changed?.({ before: null, after: row }, queue);
    return { recordId: row.id, queued };
  });
  return row;
}

/**
 * Reads a record and its queue; a ValidationError when the record is unknown. A record
 * with nothing queued costs one read (its row says so: the queued marker).
 */
async function existing(db: StoreDatabase, id: string) {
  // Only a temporary id can have been replaced; a wait saved is a zone switch saved.
  const row = await storedRow(db, isTemporary(id) ? await resolveId(db, id) : id);
  if (row === undefined) throw new ValidationError('id', `no conversation ${id}`);
  const queue = row.q === 1 ? await readQueue(db, row) : EMPTY_QUEUE;
  return { current: pickConversation(row), queue };
}

/** The writes of one change of an existing record, issued (not yet done). */
interface IssuedChange {
  /** The row the app sees after it (null: gone). */
  after: Conversation | null;
  queued: boolean;
  /** Resolves with the record's queue once every write is done. */
  done: Promise<RecordQueue>;
}

/** Whether the row and queue read in this transaction are exactly the guessed ones. */
function confirms(
  held: HeldRecord,
  stored: StoredConversation | undefined,
  entries: OutboxEntry[] | null,
): boolean {
  if (stored === undefined || !sameConversation(stored, held.row)) return false;
  if ((stored.q === 1) !== held.queue.entries.length > 0) return false;
  return entries === null || sameEntries(entries, held.queue.entries);
}

/**
 * Changes an existing record (an update or a delete) and its queue in one transaction.
 *
 * The plain way reads the row (and its queue, when its marker says entries are queued),
 * then issues the writes computed from them. When the store holds the record's row and
 * queue as it last saw them committed ({@link WriteContext.known}), it issues the reads
 * and the writes computed from that guess at once, without waiting: IndexedDB runs a
 * transaction's requests in order, so the reads see the state before the writes, and the
 * transaction commits only if they find exactly the guessed row and queue. Otherwise
 * (another tab changed the record a moment ago, unheard of yet) it aborts, nothing of it
 * lands, and the change runs again the plain way. A guess never writes anything back: what
 * commits is what the plain way would have committed from the same state.
 */
async function changeExisting(
  context: WriteContext,
  action: 'update' | 'delete',
  id: string,
  change: (current: Conversation, queue: RecordQueue) => IssuedChange,
): Promise<void> {
  const { db } = context;
  /** The writes are done (not yet committed): the live results claim the change. */
  const done = (current: Conversation, issued: IssuedChange, queue: RecordQueue) => {
    context.changed?.({ before: current, after: issued.after }, queue);
    return { recordId: current.id, queued: issued.queued };
  };
  const held = context.known?.(id);
  const guessed =
    held === undefined
      ? undefined
      : async () => {
          const row = storedRow(db, held.row.id);
          const entries = held.queue.entries.length > 0 ? entriesOf(db, held.row.id) : null;
          const issued = change(held.row, held.queue);
          // One wait for the reads and the writes: each wait inside a transaction costs.
          // A wrong guess makes no write fail, so the writes are done when it is found.
          const [stored, read, queue] = await Promise.all([row, entries, issued.done]);
          if (!confirms(held, stored, read)) throw new StaleGuess(id); // Aborts them all.
          return done(held.row, issued, queue);
        };
  const plain = async () => {
    const { current, queue } = await existing(db, id);
    const issued = change(current, queue);
    return done(current, issued, await issued.done);
  };
  await inWriteTransaction(context, action, plain, guessed);
}

/** Updates a conversation locally; the PUT is queued (merged with unsent ones). */
export async function updateLocal(
  context: WriteContext,
  idInput: unknown,
  patchInput: unknown,
): Promise<Conversation> {
  const id = parseId(idInput);
  const operation: Operation = { op: 'update', patch: parsePatch(patchInput) };
  const { db } = context;
  let next: Conversation | undefined;
  let noted: ReturnType<typeof coalescing> | undefined;
  await changeExisting(context, 'update', id, (current, queue) => {
    const after = applyPatch(current, operation.patch);
    next = after;
    noted = coalescing(current.id, operation);
    const now = clock().now();
    const { queued, done } = enqueue(db, current.id, operation, current, now, queue, noted.planned);
    const shown = showLocal(db, after, queued);
    return { after, queued, done: Promise.all([shown, done]).then(([, left]) => left) };
  });
  noted?.tell(context.coalesced);
  return next as Conversation;
}

/** Deletes a conversation locally; the DELETE is queued (or nothing, if never sent). */
export async function deleteLocal(context: WriteContext, idInput: unknown): Promise<void> {
  const id = parseId(idInput);
  const { db } = context;
  let noted: ReturnType<typeof coalescing> | undefined;
  await changeExisting(context, 'delete', id, (current, queue) => {
    const operation: Operation = { op: 'delete' };
    noted = coalescing(current.id, operation);
    const now = clock().now();
    const { queued, done } = enqueue(db, current.id, operation, current, now, queue, noted.planned);
    const removed = remove(db, deletedHere(current.id), { row: current });
    return { after: null, queued, done: Promise.all([removed, done]).then(([, left]) => left) };
  });
  noted?.tell(context.coalesced);
}
