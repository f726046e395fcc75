/**
 * What the reference server accepts: request bodies (JSON or form-encoded, as the
 * docs' curl examples send), list query parameters, and the fields of create and update.
 * Everything is checked here, so the routes only see valid, exactly typed input.
 */
import {
  type Conversation,
  DEFAULT_LIMIT,
  isTimestamp,
  LIST_PARAMETERS,
  MAX_LIMIT,
} from '../model/conversation.js';
import { RequestError } from './errors.js';
import type { ListQuery } from './table.js';

/** Bodies above this many bytes answer 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

const CREATE_FIELDS = ['contact_id', 'group_id'];
const UPDATE_FIELDS = ['pinned_message_id', 'is_pinned', 'is_muted', 'archived_at'];
/** Keys that would reach Object.prototype if the body were ever merged into an object. */
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * Parses a JSON or form-encoded body into a plain object. An empty body is `{}`.
 * Refuses oversize bodies (413), invalid JSON, non-objects and polluting own keys (400).
 */
export function parseBody(text: string, contentType: string): Record<string, unknown> {
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) {
    throw new RequestError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (text.trim() === '') return {};
  const parsed = contentType.includes('application/x-www-form-urlencoded')
    ? parseForm(text)
    : parseJson(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RequestError(400, 'The request body must be an object');
  }
  // Reflect.ownKeys, not Object.keys: JSON.parse makes `__proto__` an own key.
  for (const key of Reflect.ownKeys(parsed)) {
    if (FORBIDDEN_KEYS.includes(String(key))) {
      throw new RequestError(400, `Forbidden field ${String(key)}`);
    }
  }
  return parsed as Record<string, unknown>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError(400, 'The request body is not valid JSON');
  }
}

/** Form values are strings: give them the types the API documents. */
function parseForm(text: string): Record<string, unknown> {
  // fromEntries defines properties, so a `__proto__` field stays an own key for the check.
  const fields: Record<string, string> = Object.fromEntries(new URLSearchParams(text));
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [key, formValue(key, value)]),
  );
}

function formValue(key: string, value: string): unknown {
  if (key === 'is_pinned' || key === 'is_muted') {
    return value === 'true' ? true : value === 'false' ? false : value;
  }
  if (key === 'archived_at' || key === 'pinned_message_id') {
    if (value === '' || value === 'null') return null;
    if (key === 'archived_at' && /^\d+$/.test(value)) return Number(value);
  }
  return value;
}

/** Validates the query of `GET /v1/conversations` (unknown or repeated parameters: 400). */
export function parseListQuery(search: URLSearchParams): ListQuery {
  for (const key of new Set(search.keys())) {
    if (!(LIST_PARAMETERS as readonly string[]).includes(key))
      throw new RequestError(400, `Unknown parameter ${key}`);
    if (search.getAll(key).length > 1) throw new RequestError(400, `Repeated parameter ${key}`);
  }
  const query: ListQuery = { limit: DEFAULT_LIMIT };
  const limit = search.get('limit');
  if (limit !== null) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) {
      throw new RequestError(400, `limit must be an integer from 1 to ${MAX_LIMIT}`);
    }
    query.limit = Number(limit);
  }
  for (const flag of ['muted', 'archived', 'pinned'] as const) {
    const value = search.get(flag);
    if (value === null) continue;
    if (value !== 'true' && value !== 'false') {
      throw new RequestError(400, `${flag} must be true or false`);
    }
    query[flag] = value === 'true';
  }
  for (const key of ['group_id', 'starting_after', 'ending_before'] as const) {
    const value = search.get(key);
    if (value === null) continue;
    if (value === '') throw new RequestError(400, `${key} must not be empty`);
    query[key] = value;
  }
  if (query.starting_after !== undefined && query.ending_before !== undefined) {
    throw new RequestError(400, 'starting_after and ending_before cannot be combined');
  }
  return query;
}

/** Validates a create body: exactly one of contact_id or group_id, a non-empty string. */
export function parseCreate(
  body: Record<string, unknown>,
): Pick<Conversation, 'contact_id' | 'group_id'> {
  for (const key of Object.keys(body)) {
    if (!CREATE_FIELDS.includes(key)) throw new RequestError(400, `Unknown field ${key}`);
  }
  const hasContact = body.contact_id !== undefined && body.contact_id !== null;
  const hasGroup = body.group_id !== undefined && body.group_id !== null;
  if (hasContact === hasGroup) {
    throw new RequestError(400, 'Exactly one of contact_id or group_id is required');
  }
  const field = hasContact ? 'contact_id' : 'group_id';
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new RequestError(400, `${field} must be a non-empty string`);
  }
  return hasContact ? { contact_id: value, group_id: null } : { contact_id: null, group_id: value };
}

/** Validates an update body: only the writable fields, each with its documented type. */
export function parseUpdate(body: Record<string, unknown>): Partial<Conversation> {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!UPDATE_FIELDS.includes(key)) {
      throw new RequestError(400, `Unknown or read-only field ${key}`);
    }
    const valid =
      key === 'pinned_message_id'
        ? value === null || (typeof value === 'string' && value !== '')
        : key === 'archived_at'
          ? value === null || isTimestamp(value)
          : typeof value === 'boolean';
    if (!valid) throw new RequestError(400, `Invalid value for ${key}`);
    patch[key] = value;
  }
  return patch as Partial<Conversation>;
}
