/**
 * Writes the server refused for good, kept until the app retries or discards them: the
 * only module that reads or writes the `rejections` table.
 */

import type { RefusedOperation } from '../model/conversation.js';
import { ApiError, toStorageError, ValidationError } from '../model/errors.js';
import type { RejectionRow, StoreDatabase } from './schema.js';

/** A write the server refused for good, as `rejections$` reports it. */
export type Rejection = {
  /** Pass to `sync.retry(id)` or `sync.discard(id)`. */
  id: number;
  /** The record's id. */
  recordId: string;
  /** Unix ms when the server refused it. */
  rejectedAt: number;
  /** The server's answer. */
  error: ApiError;
} & RefusedOperation;

function toRejection(row: RejectionRow): Rejection {
  const { status, type, message } = row.error;
  return { ...row, id: row.id as number, error: new ApiError(status, type, message) };
}

/** Stores a refused write. Inside a transaction that includes `rejections`. */
export async function addRejection(
  db: StoreDatabase,
  recordId: string,
  operation: RefusedOperation,
  error: ApiError,
  rejectedAt: number,
): Promise<Rejection> {
  const { status, type, message } = error;
  const row: RejectionRow = {
    ...operation,
    recordId,
    rejectedAt,
    error: { status, type, message },
  };
  const id = (await db.rejections.add(row)) as number;
  return { ...row, id, error };
}

/** Removes a rejection and returns what it held (to re-apply it). Inside a transaction. */
export async function takeRejection(db: StoreDatabase, rejectionId: number): Promise<Rejection> {
  const row = await db.rejections.get(rejectionId);
  if (row === undefined) throw new ValidationError('rejectionId', `no rejection ${rejectionId}`);
  await db.rejections.delete(rejectionId);
  return toRejection(row);
}

/** Every stored rejection, oldest first. */
export async function listRejections(db: StoreDatabase): Promise<Rejection[]> {
  try {
    return (await db.rejections.toArray()).map(toRejection);
  } catch (error) {
    throw toStorageError(error, 'listRejections');
  }
}

/** Forgets a rejection (its rollback stays). */
export async function discardRejection(db: StoreDatabase, rejectionId: number): Promise<void> {
  try {
    await db.rejections.delete(rejectionId);
  } catch (error) {
    throw toStorageError(error, 'discard');
  }
}

/**
 * The id of the latest stored rejection, 0 when there is none: rejections stored later
 * get larger ids (IndexedDB's key generator never goes back, even after deletions).
 */
export async function lastRejectionId(db: StoreDatabase): Promise<number> {
  return ((await db.rejections.orderBy('id').lastKey()) as number | undefined) ?? 0;
}

/** The rejections of these ids stored after `afterId`, oldest first. */
export async function rejectionsAfter(
  db: StoreDatabase,
  recordIds: readonly string[],
  afterId: number,
): Promise<Rejection[]> {
  const rows = await db.rejections.where('recordId').anyOf(recordIds).toArray();
  return rows
    .filter((row) => (row.id as number) > afterId)
    .sort((a, b) => (a.id as number) - (b.id as number))
    .map(toRejection);
}

/** How many rejections are stored (`status.rejected`). */
export function countRejections(db: StoreDatabase): Promise<number> {
  return db.rejections.count();
}
