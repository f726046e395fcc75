/**
 * Every check at the edge of the store: app input (create, update, ids, list parameters)
 * and what the server sends (rows and list pages). Inside the store, types are exact;
 * `unknown` only appears here.
 */

import {
  type Conversation,
  type ConversationPatch,
  type CreateConversationInput,
  DEFAULT_LIMIT,
  isTimestamp,
  LIST_PARAMETERS,
  type ListParams,
  MAX_LIMIT,
  pickConversation,
  WRITABLE_FIELDS,
} from './conversation.js';
import { ApiError, ValidationError } from './errors.js';

const hasOwn = (object: object, key: string): boolean => Object.hasOwn(object, key);

/**
 * Timestamps above this (10^11 s, the year 5138) are refused in app input: they are
 * almost certainly milliseconds, which would mean the year 58,000 to the API.
 */
const MAX_SECONDS = 100_000_000_000;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Own keys, `__proto__` included: JSON.parse and object literals may define it as own. */
function ownKeys(value: Record<string, unknown>): string[] {
  return Reflect.ownKeys(value).map(String);
}

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
    if (value !== null && value > MAX_SECONDS) {
      throw new ValidationError(
        'archived_at',
        `${value} looks like milliseconds; the API uses unix seconds (milliseconds / 1000, rounded down)`,
      );
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
  checkKnownKeys(input, LIST_PARAMETERS);
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

/** Why a server row was refused; `null` when it is a valid Conversation. */
export function conversationProblem(value: unknown): string | null {
  // Own `__proto__`, `constructor` or `prototype` keys are harmless here: the row is only
  // read field by field and parseServerConversation copies the API's fields alone, so such
  // keys are dropped and the row kept (DESIGN section 4).
  if (!isPlainObject(value)) return 'not an object';
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

/** A list page from the server, validated. */
export interface ServerPage {
  rows: Conversation[];
  /** Every id the page named, malformed rows included (never mistaken for deletions). */
  ids: string[];
  hasMore: boolean;
  /** The cursor for the next page: the id of the page's last row. */
  lastId: string | null;
}

/** An `ApiError` for a reply that is not what the API documents. */
export function malformed(message: string, status = 200): ApiError {
  return new ApiError(status, 'invalid_response', message);
}

/** Validates a list reply; malformed rows are reported and left out. `null`: not a page. */
export function parsePage(body: unknown, report: (error: Error) => void): ServerPage | null {
  if (typeof body !== 'object' || body === null) return null;
  const { has_more: hasMore, data } = body as { has_more?: unknown; data?: unknown };
  if (typeof hasMore !== 'boolean' || !Array.isArray(data)) return null;
  const page: ServerPage = { rows: [], ids: [], hasMore, lastId: null };
  data.forEach((raw: unknown, index) => {
    const id = (raw as { id?: unknown } | null)?.id;
    const row = parseServerConversation(raw);
    if (typeof id === 'string' && id !== '') page.ids.push(id);
    if (row === null) {
      const where = typeof id === 'string' ? `row ${JSON.stringify(id)}` : `row ${index}`;
      report(malformed(`Skipped a malformed ${where}: ${conversationProblem(raw)}`));
    } else {
      page.rows.push(row);
    }
    page.lastId = typeof id === 'string' && id !== '' ? id : null;
  });
  return page;
}

/** The options of `sync.now()`. */
export interface RoundOptions {
  /** What to pull after pushing: `'full'` (default), `'recent'` or `'none'`. */
  pull?: 'full' | 'recent' | 'none';
}

/** Validates the options of `sync.now()`; returns the pull kind. */
export function parseRoundOptions(input: unknown): 'full' | 'recent' | 'none' {
  if (input === undefined) return 'full';
  if (!isPlainObject(input)) throw new ValidationError('options', 'must be a plain object');
  checkKnownKeys(input, ['pull']);
  const pull = input.pull ?? 'full';
  if (pull !== 'full' && pull !== 'recent' && pull !== 'none') {
    throw new ValidationError('pull', "must be 'full', 'recent' or 'none'");
  }
  return pull;
}

/** Validates the ids of `sync.refresh()`. */
export function parseIds(input: unknown): string[] {
  if (!Array.isArray(input)) throw new ValidationError('ids', 'must be an array of ids');
  return input.map((id, index) => parseId(id, `ids[${index}]`));
}
