/**
 * The model layer (`src/model/`), the floor every other stands on: the Conversation and
 * its patches (this file), the validation of everything that enters (validate.ts), the
 * error classes (errors.ts), the debug events (events.ts) and the shapes of sync the app
 * sees (sync.ts). Pure types and functions: it imports nothing of the store.
 *
 * The Conversation model of the Protocol API, the fields an app may write, and the patch
 * algebra over them (apply, merge, diff). Pure: no I/O, no validation (see validate.ts).
 */

/** A conversation exactly as the API returns it. Timestamps are unix seconds. */
export interface Conversation {
  /** The server's id, or a `tmp_` id until the server acknowledges a local create. */
  id: string;
  /** The contact of a one-to-one conversation; null for a group conversation. */
  contact_id: string | null;
  /** The group of a group conversation; null for a one-to-one conversation. */
  group_id: string | null;
  /** The message pinned in this conversation, if any. */
  pinned_message_id: string | null;
  /** Whether the conversation is pinned (filter `pinned`). */
  is_pinned: boolean;
  /** Whether the conversation is muted (filter `muted`). */
  is_muted: boolean;
  /** When the last message was sent or received; null when there is none. First key of the order. */
  last_active_at: number | null;
  /** When the user last opened the conversation. */
  last_opened_at: number | null;
  /** When the conversation was created. */
  created_at: number;
  /** When the conversation was archived; null when it is not (filter `archived`). */
  archived_at: number | null;
}

/** The fields `update` accepts (the API's `PUT /v1/conversations/:id`). */
export interface ConversationPatch {
  /** Pin a message (its id) or unpin with null. */
  pinned_message_id?: string | null;
  /** Pin or unpin the conversation. */
  is_pinned?: boolean;
  /** Mute or unmute the conversation. */
  is_muted?: boolean;
  /** Archive (a unix time in seconds) or unarchive (null). */
  archived_at?: number | null;
}

/** What `create` accepts: a contact or a group, exactly one of them. */
export type CreateConversationInput =
  | {
      /** Start a one-to-one conversation with this contact. */
      contact_id: string;
    }
  | {
      /** Start a conversation in this group. */
      group_id: string;
    };

/** A write as it is queued, sent, or refused: the request it stands for. */
export type WriteOperation =
  | {
      /** A POST that creates the record on the server. */
      op: 'create';
      /** The POST's body. */
      body: CreateConversationInput;
    }
  | {
      /** A PUT of the fields changed locally (coalesced). */
      op: 'update';
      /** The PUT's body: only the changed fields. */
      patch: ConversationPatch;
    }
  | {
      /** A DELETE. */
      op: 'delete';
    };

/**
 * A write the server refused for good. A refused create also undoes the updates queued
 * behind it (they were to be sent after it): they travel with it as `patch`, merged.
 */
export type RefusedOperation =
  | {
      /** A PUT of the fields changed locally (coalesced). */
      op: 'update';
      /** The PUT's body: only the changed fields. */
      patch: ConversationPatch;
    }
  | {
      /** A DELETE. */
      op: 'delete';
    }
  | {
      /** A POST that creates the record on the server. */
      op: 'create';
      /** The POST's body. */
      body: CreateConversationInput;
      /** The updates made to the new record before the refusal (merged), if any. */
      patch?: ConversationPatch;
    };

/** The list parameters of `GET /v1/conversations`. */
export interface ListParams {
  /** Conversations per page, 1 to 100. Default 10. */
  limit?: number;
  /** Only muted (true) or only unmuted (false) conversations. */
  muted?: boolean;
  /** Only archived (true) or only unarchived (false) conversations. */
  archived?: boolean;
  /** Only pinned (true) or only unpinned (false) conversations. */
  pinned?: boolean;
  /** Only the conversations of this group. */
  group_id?: string;
  /** Cursor: the page that follows the conversation with this id. */
  starting_after?: string;
  /** Cursor: the page that precedes the conversation with this id. */
  ending_before?: string;
}

/** The API's list shape. */
export interface ListPage<T = Conversation> {
  /** Whether more conversations follow in the direction of the cursor. */
  has_more: boolean;
  /** The page, in list order. */
  data: T[];
}

/** Every field of a `Conversation`, in the API's order. */
export const CONVERSATION_FIELDS = [
  'id',
  'contact_id',
  'group_id',
  'pinned_message_id',
  'is_pinned',
  'is_muted',
  'last_active_at',
  'last_opened_at',
  'created_at',
  'archived_at',
] as const satisfies readonly (keyof Conversation)[];

/** The fields an app may change with `update`. */
export const WRITABLE_FIELDS = [
  'pinned_message_id',
  'is_pinned',
  'is_muted',
  'archived_at',
] as const satisfies readonly WritableField[];

/** The name of a field an app may write (every key of {@link ConversationPatch}). */
export type WritableField = keyof ConversationPatch;

/** The parameters `GET /v1/conversations` takes. */
export const LIST_PARAMETERS = [
  'limit',
  'muted',
  'archived',
  'pinned',
  'group_id',
  'starting_after',
  'ending_before',
] as const satisfies readonly (keyof ListParams)[];

/** The page size of a list without `limit`. */
export const DEFAULT_LIMIT = 10;
/** The largest `limit` a list accepts. */
export const MAX_LIMIT = 100;

/** Whether `value` is a timestamp of the API: whole unix seconds, 0 or more. */
export const isTimestamp = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Applies a patch to a conversation, returning a new object (never mutates). */
export function applyPatch(row: Conversation, patch: ConversationPatch): Conversation {
  const next = { ...row };
  for (const field of WRITABLE_FIELDS) {
    if (Object.hasOwn(patch, field)) (next as Record<string, unknown>)[field] = patch[field];
  }
  return next;
}

/** Copies exactly the API's fields, dropping anything else a stored row carries. */
export function pickConversation(row: Conversation): Conversation {
  return {
    id: row.id,
    contact_id: row.contact_id,
    group_id: row.group_id,
    pinned_message_id: row.pinned_message_id,
    is_pinned: row.is_pinned,
    is_muted: row.is_muted,
    last_active_at: row.last_active_at,
    last_opened_at: row.last_opened_at,
    created_at: row.created_at,
    archived_at: row.archived_at,
  };
}

/** Whether two conversations hold the same values in every field (both missing counts as equal). */
export function sameConversation(
  a: Conversation | undefined,
  b: Conversation | undefined,
): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return CONVERSATION_FIELDS.every((field) => a[field] === b[field]);
}

/** The union of patches, later ones winning. */
export function mergePatches(patches: readonly ConversationPatch[]): ConversationPatch {
  return Object.assign({}, ...patches) as ConversationPatch;
}

/** The difference that turns `from` into `to`, over writable fields. */
export function diff(from: Conversation, to: Conversation): ConversationPatch {
  const patch: ConversationPatch = {};
  for (const field of WRITABLE_FIELDS) {
    if (from[field] !== to[field]) (patch as Record<string, unknown>)[field] = to[field];
  }
  return patch;
}

/** Just the request of a queued or refused write, without its bookkeeping fields. */
export function operationOf(source: WriteOperation): WriteOperation {
  if (source.op === 'create') return { op: 'create', body: source.body };
  if (source.op === 'update') return { op: 'update', patch: source.patch };
  return { op: 'delete' };
}
