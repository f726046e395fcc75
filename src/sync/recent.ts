/**
 * The recent pull: what changed near the top, and the lists the app shows, for about one
 * request each when little changed. The head of the default list (most recently active
 * first) is read page by page until a page tells nothing new; then each watched list's
 * page is read with its own parameters (or worked out from the head when the head covers
 * it) and the local page made equal to it. Nothing here removes a record except a 404
 * for that id.
 */

import { listKey } from '../local/watched-lists.js';
import { type Conversation, DEFAULT_LIMIT, type ListParams } from '../model/conversation.js';
import { AuthError, NetworkError, toStorageError } from '../model/errors.js';
import type { ServerPage } from '../model/validate.js';
import { clock } from '../platform/clock.js';
import { isTemporary } from '../storage/ids.js';
import { writeListConfirmed } from '../storage/meta.js';
import { listConversations, matchesFilters } from '../storage/queries.js';
import { compareSortKeys, type SortKey, sortKey } from '../storage/schema.js';
import type { SyncContext } from './context.js';
import { type Head, NO_HEAD, pullHead } from './head.js';
import { absorb } from './merge.js';
import { emptyPull, isCursorRefused, type PullResult, readPage } from './read.js';
import { readBack } from './refresh.js';

/**
 * The server's answer for a first-page list, worked out from the head when the head
 * covers it: a filtered list is the default order restricted to the filter, so if the
 * head holds `limit + 1` matching rows (or all of the list), its first page is known
 * without asking. `null`: ask the server.
 */
function answerFromHead(head: Head, params: ListParams): ServerPage | null {
  if (!head.whole || params.starting_after !== undefined || params.ending_before !== undefined) {
    return null;
  }
  const limit = params.limit ?? DEFAULT_LIMIT;
  const matching = head.rows.filter((row) => matchesFilters(row, params));
  if (matching.length <= limit && !head.end) return null;
  const rows = matching.slice(0, limit);
  const ids = rows.map((row) => row.id);
  return { rows, ids, hasMore: matching.length > limit, lastId: ids.at(-1) ?? null };
}

/**
 * The local rows of a list between its cursor and `edge` (inclusive; `null`: to the end
 * of the list), in the list's direction.
 */
async function localSpan(
  context: SyncContext,
  params: ListParams,
  edge: SortKey | null,
): Promise<Conversation[]> {
  const backwards = params.ending_before !== undefined;
  const inSpan = (row: Conversation) => {
    if (edge === null) return true;
    const order = compareSortKeys(sortKey(row), edge);
    return backwards ? order >= 0 : order <= 0;
  };
  const rows: Conversation[] = [];
  let page = await listConversations(context.db, { ...params, limit: 100 });
  for (;;) {
    const ordered = backwards ? [...page.data].reverse() : page.data;
    for (const row of ordered) {
      if (!inSpan(row)) return rows;
      rows.push(row);
    }
    const last = ordered.at(-1);
    if (!page.has_more || last === undefined) return rows;
    const next = backwards ? { ending_before: last.id } : { starting_after: last.id };
    const { starting_after: _a, ending_before: _b, ...filters } = params;
    page = await listConversations(context.db, { ...filters, ...next, limit: 100 });
  }
}

/**
 * The list's parameters with one more row than its page (up to the API's 100): the row
 * after the page is stored too, so the local page's `has_more` is the server's at once
 * instead of after the next walk.
 */
const withOneMore = (params: ListParams): ListParams => ({
  ...params,
  limit: Math.min(100, (params.limit ?? DEFAULT_LIMIT) + 1),
});

/** Makes the local page of one watched list equal to the server's answer for it. */
async function pullList(context: SyncContext, params: ListParams, head: Head, result: PullResult) {
  const cursor = params.starting_after ?? params.ending_before;
  if (cursor !== undefined && isTemporary(cursor)) return; // Left to the walks.
  const known = answerFromHead(head, params);
  let page: ServerPage | null;
  try {
    page = known ?? (await readPage(context, withOneMore(params), result));
  } catch (error) {
    if (cursor === undefined || !isCursorRefused(error)) throw error;
    // The server no longer has the cursor's row in this list: read it by id. A 404 removes
    // it, and the local list then reports the cursor as a local read would.
    const refused = await readBack(context, [cursor]);
    result.pulled += refused.changed;
    result.removed += refused.removed;
    result.conflicts += refused.conflicts;
    return;
  }
  if (page === null) return;
  if (known === null) {
    const merged = await absorb(context, page.rows);
    result.pulled += merged.changed;
    result.conflicts += merged.conflicts.length;
  }
  // The span runs from the list's cursor (or top) to the server's last row, or to the
  // end when the server has no more: a local row inside it that the server did not list
  // left the filter or was deleted.
  const backwards = params.ending_before !== undefined;
  const far = backwards ? page.rows[0] : page.rows.at(-1);
  const edge = page.hasMore && far !== undefined ? sortKey(far) : null;
  const listed = new Set(page.ids);
  let extra: Conversation[];
  try {
    extra = (await localSpan(context, params, edge)).filter((row) => !listed.has(row.id));
  } catch {
    return; // The cursor left the local list meanwhile: the next round reads it again.
  }
  // Not on the server yet when temporary; the others are read by id (a 404 removes them).
  const left = extra.filter((row) => !isTemporary(row.id)).map((row) => row.id);
  const again = await readBack(context, left);
  result.pulled += again.changed;
  result.removed += again.removed;
  result.conflicts += again.conflicts;
  await writeListConfirmed(context.db, listKey(params), clock().now());
}

/** Whether a failure ends the whole pull: the network is gone, or the token was refused. */
const endsThePull = (error: unknown) => error instanceof NetworkError || error instanceof AuthError;

/**
 * Makes every watched list exact (`head` answers those it covers). One list failing never
 * stops the others: the first failure is the result's error, the rest are read anyway.
 */
export async function pullLists(
  context: SyncContext,
  head: Head,
  result: PullResult,
): Promise<void> {
  for (const params of await context.watchedLists()) {
    try {
      await pullList(context, params, head, result);
    } catch (error) {
      if (endsThePull(error)) throw error;
      result.error ??= toStorageError(error, 'pull');
    }
  }
}

/** The recent pull: the head, then every watched list. */
export async function pullRecent(context: SyncContext): Promise<PullResult> {
  const result = emptyPull();
  try {
    let head = NO_HEAD;
    try {
      head = await pullHead(context, result);
    } catch (error) {
      if (endsThePull(error)) throw error;
      result.error = toStorageError(error, 'pull'); // The lists are still read, each on its own.
    }
    await pullLists(context, result.error === null ? head : NO_HEAD, result);
  } catch (error) {
    result.error = toStorageError(error, 'pull');
  }
  return result;
}
