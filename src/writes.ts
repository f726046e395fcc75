/**
 * Local writes: validate first, then change the record and its outbox entry in one
 * Dexie transaction, so that neither ever exists without the other.
 */
import type { StoreDatabase } from './db.js';
import { toStored } from './db.js';
import { toStorageError, ValidationError } from './errors.js';
import {
  applyPatch,
  type Conversation,
  parseCreateInput,
  parseId,
  parsePatch,
  pickConversation,
} from './model.js';
import { EMPTY_QUEUE, enqueue, readQueue } from './outbox.js';
import { resolveId, TEMPORARY_PREFIX } from './queries.js';

export interface WriteContext {
  db: StoreDatabase;
  /** Unix seconds. */
  now: () => number;
  /** Called after every committed write (wakes the sync engine). */
  written: () => void;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function temporaryId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let id = TEMPORARY_PREFIX;
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

function writeTables(db: StoreDatabase) {
  return [db.conversations, db.outbox, db.bases, db.aliases];
}

async function inWriteTransaction<T>(
  context: WriteContext,
  action: string,
  body: () => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await context.db.transaction('rw', writeTables(context.db), body);
  } catch (error) {
    throw toStorageError(error, action);
  }
  context.written();
  return result;
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
    created_at: context.now(),
    archived_at: null,
  };
  const { db } = context;
  return inWriteTransaction(context, 'create', async () => {
    // A fresh temporary id has no queue yet. Requests of one transaction run in order,
    // so issuing both at once saves a round trip.
    await Promise.all([
      db.conversations.add(toStored(row)),
      enqueue(db, row.id, { op: 'create', body }, null, Date.now(), EMPTY_QUEUE),
    ]);
    return row;
  });
}

/** Reads a record and its queue in one go; a ValidationError when the record is unknown. */
async function existing(db: StoreDatabase, id: string) {
  const recordId = await resolveId(db, id);
  const [row, queue] = await Promise.all([db.conversations.get(recordId), readQueue(db, recordId)]);
  if (row === undefined) throw new ValidationError('id', `no conversation ${id}`);
  return { current: pickConversation(row), queue };
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
  return inWriteTransaction(context, 'update', async () => {
    const { current, queue } = await existing(db, id);
    const next = applyPatch(current, patch);
    await Promise.all([
      db.conversations.put(toStored(next)),
      enqueue(db, current.id, { op: 'update', patch }, current, Date.now(), queue),
    ]);
    return next;
  });
}

/** Deletes a conversation locally; the DELETE is queued (or nothing, if never sent). */
export async function deleteLocal(context: WriteContext, idInput: unknown): Promise<void> {
  const id = parseId(idInput);
  const { db } = context;
  return inWriteTransaction(context, 'delete', async () => {
    const { current, queue } = await existing(db, id);
    await Promise.all([
      db.conversations.delete(current.id),
      enqueue(db, current.id, { op: 'delete' }, current, Date.now(), queue),
    ]);
  });
}
