/**
 * The Conversation model of the Protocol API, the fields an app may write, and the
 * validation of everything that enters the store: app input and server rows.
 * Inside the store, types are exact; `unknown` only appears here, at the edge.
 */
import { ValidationError } from './errors.js';

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

export const WRITABLE_FIELDS = [
  'pinned_message_id',
  'is_pinned',
  'is_muted',
  'archived_at',
] as const satisfies readonly (keyof ConversationPatch)[];

export type WritableField = (typeof WRITABLE_FIELDS)[number];

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;

const hasOwn = (object: object, key: string): boolean => Object.hasOwn(object, key);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Own keys, `__proto__` included: JSON.parse and object literals may define it as own. */
function ownKeys(value: Record<string, unknown>): string[] {
  return Reflect.ownKeys(value).map(String);
}

export const isTimestamp = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0;

function checkKnownKeys(input: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of ownKeys(input)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(key, `unknown or read-only field (allowed: ${allowed.join(', ')})`);
    }
  }
}

/** Validates the argument of `create`; returns a fresh object holding only the chosen key. */
export function parseCreateInput(input: unknown): CreateConversationInput {
  if (!isPlainObject(input)) throw new ValidationError('input', 'must be a plain object');
  checkKnownKeys(input, ['contact_id', 'group_id']);
  const contact = input.contact_id;
  const group = input.group_id;
  const hasContact = contact !== undefined && contact !== null;
  const hasGroup = group !== undefined && group !== null;
  if (hasContact && hasGroup) {
    throw new ValidationError('contact_id', 'give either contact_id or group_id, not both');
  }
  if (!hasContact && !hasGroup) {
    throw new ValidationError('contact_id', 'one of contact_id or group_id is required');
  }
  if (hasContact) {
    if (!isNonEmptyString(contact))
      throw new ValidationError('contact_id', 'must be a non-empty string');
    return { contact_id: contact };
  }
  if (!isNonEmptyString(group)) throw new ValidationError('group_id', 'must be a non-empty string');
  return { group_id: group };
}

/** Validates the argument of `update`; returns a fresh patch holding only writable fields. */
export function parsePatch(input: unknown): ConversationPatch {
  if (!isPlainObject(input)) throw new ValidationError('patch', 'must be a plain object');
  checkKnownKeys(input, WRITABLE_FIELDS);
  const patch: ConversationPatch = {};
  if (hasOwn(input, 'pinned_message_id')) {
    const value = input.pinned_message_id;
    if (value !== null && !isNonEmptyString(value)) {
      throw new ValidationError('pinned_message_id', 'must be a non-empty string or null');
    }
    patch.pinned_message_id = value;
  }
  for (const field of ['is_pinned', 'is_muted'] as const) {
    if (hasOwn(input, field)) {
      const value = input[field];
      if (typeof value !== 'boolean') throw new ValidationError(field, 'must be a boolean');
      patch[field] = value;
    }
  }
  if (hasOwn(input, 'archived_at')) {
    const value = input.archived_at;
    if (value !== null && !isTimestamp(value)) {
      throw new ValidationError('archived_at', 'must be a unix timestamp in seconds or null');
    }
    patch.archived_at = value;
  }
  return patch;
}

/** Validates an id argument of retrieve/update/delete. */
export function parseId(id: unknown, field = 'id'): string {
  if (!isNonEmptyString(id)) throw new ValidationError(field, 'must be a non-empty string');
  return id;
}

/** Validates list parameters; `limit` gets its default. */
export function parseListParams(input: unknown): Required<Pick<ListParams, 'limit'>> & ListParams {
  if (input === undefined) return { limit: DEFAULT_LIMIT };
  if (!isPlainObject(input)) throw new ValidationError('params', 'must be a plain object');
  checkKnownKeys(input, [
    'limit',
    'muted',
    'archived',
    'pinned',
    'group_id',
    'starting_after',
    'ending_before',
  ]);
  const params: Required<Pick<ListParams, 'limit'>> & ListParams = { limit: DEFAULT_LIMIT };
  if (input.limit !== undefined) {
    const limit = input.limit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new ValidationError('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
    }
    params.limit = limit;
  }
  for (const flag of ['muted', 'archived', 'pinned'] as const) {
    const value = input[flag];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new ValidationError(flag, 'must be a boolean');
    params[flag] = value;
  }
  for (const key of ['group_id', 'starting_after', 'ending_before'] as const) {
    const value = input[key];
    if (value === undefined) continue;
    if (!isNonEmptyString(value)) throw new ValidationError(key, 'must be a non-empty string');
    params[key] = value;
  }
  if (params.starting_after !== undefined && params.ending_before !== undefined) {
    throw new ValidationError('ending_before', 'cannot be combined with starting_after');
  }
  return params;
}

/** Applies a patch to a conversation, returning a new object (never mutates). */
export function applyPatch(row: Conversation, patch: ConversationPatch): Conversation {
  const next = { ...row };
  for (const field of WRITABLE_FIELDS) {
    if (hasOwn(patch, field)) (next as Record<string, unknown>)[field] = patch[field];
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

export function sameConversation(
  a: Conversation | undefined,
  b: Conversation | undefined,
): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return CONVERSATION_FIELDS.every((field) => a[field] === b[field]);
}

/** Why a server row was refused; `null` when it is a valid Conversation. */
export function conversationProblem(value: unknown): string | null {
  if (!isPlainObject(value)) return 'not an object';
  for (const key of ownKeys(value)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      return `forbidden key ${key}`;
    }
  }
  if (!isNonEmptyString(value.id)) return 'id is not a non-empty string';
  for (const field of ['contact_id', 'group_id', 'pinned_message_id'] as const) {
    const v = value[field];
    if (v !== null && typeof v !== 'string') return `${field} is not a string or null`;
  }
  for (const field of ['is_pinned', 'is_muted'] as const) {
    if (typeof value[field] !== 'boolean') return `${field} is not a boolean`;
  }
  for (const field of ['last_active_at', 'last_opened_at', 'archived_at'] as const) {
    const v = value[field];
    if (v !== null && !isTimestamp(v)) return `${field} is not a timestamp or null`;
  }
  if (!isTimestamp(value.created_at)) return 'created_at is not a timestamp';
  return null;
}

/**
 * Validates a row from the server and returns a fresh Conversation with only the API's
 * fields (extra keys are dropped, so nothing unexpected reaches IndexedDB).
 */
export function parseServerConversation(value: unknown): Conversation | null {
  if (conversationProblem(value) !== null) return null;
  return pickConversation(value as Conversation);
}
