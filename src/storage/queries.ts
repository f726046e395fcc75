/**
 * List and retrieve with the API's semantics (DESIGN section 3), answered from the
 * indexes that db.ts declares, and their live versions.
 */
import type { WhereClause } from 'dexie';
import {
  type Conversation,
  type ListPage,
  type ListParams,
  pickConversation,
  sameConversation,
} from '../model/conversation.js';
import { toStorageError, ValidationError } from '../model/errors.js';
import { parseId, parseListParams } from '../model/validate.js';
import { isTemporary, resolveId } from './ids.js';
import {
  compareSortKeys,
  type EvictedRow,
  SCOPES,
  type SortKey,
  type StoreDatabase,
  type StoredConversation,
} from './schema.js';

type IndexName = 's' | 'f' | 'g' | 'a';
type KeyPart = string | number;

/** The index and the key prefixes (one per combination of open flags) a filter reads. */
interface Plan {
  index: IndexName;
  prefixes: KeyPart[][];
}

const FLAG_FILTERS = ['muted', 'archived', 'pinned'] as const;

/** The 0/1 values a flag filter reads: its own, or both when it is left open. */
const optionsOf = (value: boolean | undefined) => (value === undefined ? [0, 1] : [value ? 1 : 0]);

export function planQuery(params: ListParams): Plan {
  const flagsSet = FLAG_FILTERS.some((name) => params[name] !== undefined);
  if (params.group_id === undefined && !flagsSet) return { index: 's', prefixes: [[]] };
  if (params.group_id === undefined && params.pinned === undefined) {
    // `pinned` open: the `a` index leaves it out, so each muted/archived pair is one range.
    const prefixes = optionsOf(params.muted).flatMap((muted) =>
      optionsOf(params.archived).map((archived) => [muted, archived]),
    );
    return { index: 'a', prefixes };
  }
  let prefixes: KeyPart[][] = [params.group_id === undefined ? [] : [params.group_id]];
  if (flagsSet || params.group_id !== undefined) {
    for (const name of FLAG_FILTERS) {
      const options = optionsOf(params[name]);
      prefixes = prefixes.flatMap((prefix) => options.map((option) => [...prefix, option]));
    }
  }
  return { index: params.group_id === undefined ? 'f' : 'g', prefixes };
}

export function matchesFilters(row: Conversation, params: ListParams): boolean {
  return (
    (params.muted === undefined || row.is_muted === params.muted) &&
    (params.pinned === undefined || row.is_pinned === params.pinned) &&
    (params.archived === undefined || (row.archived_at !== null) === params.archived) &&
    (params.group_id === undefined || row.group_id === params.group_id)
  );
}

// Arrays sort after every number and string in IndexedDB, so `[...prefix, []]` bounds
// every key that starts with `prefix`.
const AFTER_ALL: KeyPart[] = [];

/**
 * Up to `count` rows of one key range of a list index, from the cursor on in `direction`.
 * Also reads the stubs of evicted records, which carry the same indexes.
 */
export async function readRange<Row extends EvictedRow, Insert>(
  table: { where(index: IndexName): WhereClause<Row, string, Insert> },
  index: IndexName,
  prefix: KeyPart[],
  cursor: SortKey | undefined,
  direction: 'after' | 'before',
  count: number,
): Promise<Row[]> {
  const clause = table.where(index);
  if (direction === 'after') {
    const lower = cursor ? [...prefix, ...cursor] : prefix;
    return clause
      .between(lower, [...prefix, AFTER_ALL], cursor === undefined, false)
      .limit(count)
      .toArray();
  }
  const upper = cursor ? [...prefix, ...cursor] : [...prefix, AFTER_ALL];
  return clause.between(prefix, upper, true, false).reverse().limit(count).toArray();
}

/** The sort key of a list's cursor row; a ValidationError when it is not in the list. */
export async function cursorOf(
  db: StoreDatabase,
  params: ListParams,
): Promise<SortKey | undefined> {
  const cursorParam = params.starting_after !== undefined ? 'starting_after' : 'ending_before';
  const cursorId = params[cursorParam];
  if (cursorId === undefined) return undefined;
  const row = await db.conversations.get(await resolveId(db, cursorId));
  if (row === undefined || !matchesFilters(row, params)) {
    throw new ValidationError(cursorParam, `${cursorId} is not in the filtered list`);
  }
  return row.s;
}

/** `GET /v1/conversations`, answered locally. */
export async function listConversations(db: StoreDatabase, input: unknown): Promise<ListPage> {
  const params = parseListParams(input);
  const plan = planQuery(params);
  const direction = params.ending_before !== undefined ? 'before' : 'after';
  const read = async (cursor: SortKey | undefined) => {
    const ranges = await Promise.all(
      plan.prefixes.map((prefix) =>
        readRange<StoredConversation, unknown>(
          db.conversations,
          plan.index,
          prefix,
          cursor,
          direction,
          params.limit + 1,
        ),
      ),
    );
    return page(params.limit, direction, ranges);
  };
  const cursorless = params.starting_after === undefined && params.ending_before === undefined;
  try {
    // One key range and no cursor is one request, a consistent snapshot by itself; more
    // requests share a transaction.
    if (cursorless && plan.prefixes.length === 1) return await read(undefined);
    return await db.transaction('r', SCOPES.read, async () => read(await cursorOf(db, params)));
  } catch (error) {
    throw toStorageError(error, 'list');
  }
}

/** A page from the rows of each key range read (each in list order from the cursor). */
function page(
  limit: number,
  direction: 'after' | 'before',
  ranges: StoredConversation[][],
): ListPage {
  let rows = ranges.length === 1 ? (ranges[0] as StoredConversation[]) : ranges.flat();
  if (ranges.length > 1) {
    const sign = direction === 'after' ? 1 : -1;
    rows.sort((a, b) => sign * compareSortKeys(a.s, b.s));
  }
  const has_more = rows.length > limit;
  rows = rows.slice(0, limit);
  if (direction === 'before') rows.reverse();
  return { has_more, data: rows.map(pickConversation) };
}

/** `GET /v1/conversations/:id`, answered locally; a replaced temporary id still finds it. */
export async function retrieveConversation(
  db: StoreDatabase,
  input: unknown,
): Promise<Conversation | undefined> {
  const id = parseId(input);
  try {
    // A server id is one request; a temporary one may have been replaced (its alias).
    const row = isTemporary(id)
      ? await db.transaction('r', SCOPES.read, async () =>
          db.conversations.get(await resolveId(db, id)),
        )
      : await db.conversations.get(id);
    return row === undefined ? undefined : pickConversation(row);
  } catch (error) {
    throw toStorageError(error, 'retrieve');
  }
}

export function samePage(a: ListPage, b: ListPage): boolean {
  return (
    a.has_more === b.has_more &&
    a.data.length === b.data.length &&
    a.data.every((row, i) => sameConversation(row, b.data[i]))
  );
}
