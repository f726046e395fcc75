/**
 * Rebase and conflict policy: pure functions. A record with unsent local changes takes
 * the server's state with the local changes on top, field by field; the app's
 * `resolveConflict` may decide otherwise where both sides changed the same field.
 */
import {
  applyPatch,
  type Conversation,
  type ConversationPatch,
  WRITABLE_FIELDS,
  type WritableField,
} from '../model/conversation.js';
import { parsePatch } from '../model/validate.js';

/** What `resolveConflict` is told about a record both sides changed. */
export interface ConflictContext {
  /** The record's id. */
  id: string;
  /** The fields the server changed that the local pending changes also set. */
  fields: WritableField[];
  /** The server's state before this pull (the base the local changes were made on). */
  base: Conversation;
  /** The server's state now. */
  server: Conversation;
  /** The local changes that have not reached the server. */
  pending: ConversationPatch;
}

/**
 * Decides a conflict: returns the local changes to keep on top of the server's state.
 * Return `context.pending` to keep every local change (the default), `{}` to take the
 * server's state, or any mix. A result that throws or is not a valid patch keeps `pending`.
 */
export type ResolveConflict = (context: ConflictContext) => ConversationPatch;

/** Something the store reports on `conflicts$`. */
export interface Conflict {
  /** The record's id. */
  id: string;
  /**
   * `'field'`: the server changed fields that local pending changes also set.
   * `'deleted'`: the server deleted a record that had local pending changes; they were dropped.
   */
  kind: 'field' | 'deleted';
  /** The fields both sides changed (empty for `'deleted'` when nothing overlapped). */
  fields: WritableField[];
  /** The server's state (null when deleted there). */
  server: Conversation | null;
  /** The local state before reconciling. */
  local: Conversation | null;
  /** The local state after reconciling (null when removed). */
  resolved: Conversation | null;
}

/** Fields both the server (since `base`) and the local `pending` changes set differently. */
export function conflictingFields(
  base: Conversation,
  server: Conversation,
  pending: ConversationPatch,
): WritableField[] {
  return WRITABLE_FIELDS.filter(
    (field) =>
      Object.hasOwn(pending, field) &&
      server[field] !== base[field] &&
      server[field] !== pending[field],
  );
}

export interface RebaseResult {
  /** The local state to show. */
  row: Conversation;
  /** The conflicting fields (empty when none). */
  fields: WritableField[];
  /** The changes to keep pending when `resolveConflict` changed them, else null. */
  resolvedPending: ConversationPatch | null;
}

/** Rebases local pending changes onto a new server state. */
export function rebase(
  base: Conversation,
  server: Conversation,
  pending: ConversationPatch,
  resolveConflict?: ResolveConflict,
): RebaseResult {
  const fields = conflictingFields(base, server, pending);
  if (fields.length === 0 || resolveConflict === undefined) {
    return { row: applyPatch(server, pending), fields, resolvedPending: null };
  }
  let chosen: ConversationPatch;
  try {
    chosen = parsePatch(resolveConflict({ id: server.id, fields, base, server, pending }));
  } catch {
    // A resolver that throws or returns a bad patch must not lose the local changes.
    chosen = pending;
  }
  return { row: applyPatch(server, chosen), fields, resolvedPending: chosen };
}
