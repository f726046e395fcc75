/**
 * Local writes: validate first, then change the record and its outbox entry in one
 * Dexie transaction, so that neither ever exists without the other.
 */

import { applyPatch, type Conversation, pickConversation } from '../model/conversation.js';
import { toStorageError, ValidationError } from '../model/errors.js';
import type { CoalescedEvent } from '../model/events.js';
import { parseCreateInput, parseId, parsePatch } from '../model/validate.js';
import { clock } from '../platform/clock.js';
import { coalescing, EMPTY_QUEUE, type Operation } from '../storage/coalesce.js';
import { resolveId, temporaryId } from '../storage/ids.js';
import { enqueue, readQueue } from '../storage/outbox.js';
import { deletedHere, remove, showLocal, storedRow } from '../storage/records.js';
import { inTransaction, SCOPES, type StoreDatabase } from '../storage/schema.js';
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
   * before and after: the live results patch themselves with it when it commits.
   */
  changed?: (change: RecordChange) => void;
  /** Told, after the commit, of a write that merged into the outbox or was dropped. */
  coalesced?: (event: CoalescedEvent) => void;
}

async function inWriteTransaction(
  context: WriteContext,
  action: string,
  body: () => Promise<QueueChange>,
): Promise<void> {
  let change: QueueChange;
  const write = () => inTransaction(context.db, SCOPES.write, body);
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
    await Promise.all([showLocal(db, row, queued, true), done]);
    context.changed?.({ before: null, after: row });
    return { recordId: row.id, queued };
  });
  return row;
}

/**
 * Reads a record and its queue; a ValidationError when the record is unknown. A record
 * with nothing queued costs one read (its row says so: the queued marker).
 */
async function existing(db: StoreDatabase, id: string) {
  const row = await storedRow(db, await resolveId(db, id));
  if (row === undefined) throw new ValidationError('id', `no conversation ${id}`);
  return { current: pickConversation(row), queue: await readQueue(db, row) };
}

/** Updates a conversation locally; the PUT is queued (merged with unsent ones). */
export async function updateLocal(
  context: WriteContext,
  idInput: unknown,
  patchInput: unknown,
): Promise<Conversation> {
  const id = parseId(idInput);
  const patch = parsePatch(patchInput);
  const { db } = context;
  let next: Conversation | undefined;
  let noted: ReturnType<typeof coalescing> | undefined;
  await inWriteTransaction(context, 'update', async () => {
    const { current, queue } = await existing(db, id);
    next = applyPatch(current, patch);
    const operation: Operation = { op: 'update', patch };
    noted = coalescing(current.id, operation);
    const { queued, done } = enqueue(
      db,
      current.id,
      operation,
      current,
      clock().now(),
      queue,
      noted.planned,
    );
    await Promise.all([showLocal(db, next as Conversation, queued), done]);
    context.changed?.({ before: current, after: next });
    return { recordId: current.id, queued };
  });
  noted?.tell(context.coalesced);
  return next as Conversation;
}

/** Deletes a conversation locally; the DELETE is queued (or nothing, if never sent). */
export async function deleteLocal(context: WriteContext, idInput: unknown): Promise<void> {
  const id = parseId(idInput);
  const { db } = context;
  let noted: ReturnType<typeof coalescing> | undefined;
  await inWriteTransaction(context, 'delete', async () => {
    const { current, queue } = await existing(db, id);
    noted = coalescing(current.id, { op: 'delete' });
    const { queued, done } = enqueue(
      db,
      current.id,
      { op: 'delete' },
      current,
      clock().now(),
      queue,
      noted.planned,
    );
    await Promise.all([remove(db, deletedHere(current.id), { row: current }), done]);
    context.changed?.({ before: current, after: null });
    return { recordId: current.id, queued };
  });
  noted?.tell(context.coalesced);
}
