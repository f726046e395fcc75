/**
 * What one committed change of a record does to a list page, as a pure function: the
 * record enters, leaves, moves or changes in place. The live results cache (results.ts)
 * patches its pages with it instead of reading IndexedDB again.
 */

import type { Conversation, ListPage, ListParams } from '../model/conversation.js';
import { matchesFilters } from '../storage/queries.js';
import { compareSortKeys, sortKey } from '../storage/schema.js';

/** A record's state before and after one write (`null`: absent). */
export interface RecordChange {
  before: Conversation | null;
  after: Conversation | null;
}

/**
 * The first page of `params` after `change`, or `null` when the page alone cannot tell
 * (a row leaves a page that has more after it, a row moves past the last one shown while
 * more follow, a row beyond the page leaves, a list read from a cursor): the caller then
 * reads it again.
 */
export function patchPage(
  page: ListPage,
  params: ListParams,
  change: RecordChange,
): ListPage | null {
  if (params.starting_after !== undefined || params.ending_before !== undefined) return null;
  const { before, after } = change;
  const id = (after ?? before)?.id;
  const at = page.data.findIndex((row) => row.id === id);
  const wasBeyond = at < 0 && before !== null && matchesFilters(before, params);
  const matches = after !== null && matchesFilters(after, params);
  if (at < 0 && !wasBeyond && !matches) return page; // Neither before nor after on this list.
  if (at >= 0 && matches && before !== null) {
    if (compareSortKeys(sortKey(before), sortKey(after)) === 0) {
      // Still on the list, in the same place (local writes never change the order).
      return { has_more: page.has_more, data: page.data.map((row, i) => (i === at ? after : row)) };
    }
  }
  const data = at < 0 ? page.data.slice() : page.data.filter((_, index) => index !== at);
  if (!matches) {
    // Gone from the list: the row after the page (if any) would move up, unknown here.
    return at >= 0 && !page.has_more ? { has_more: false, data } : null;
  }
  const key = sortKey(after);
  let position = data.findIndex((row) => compareSortKeys(key, sortKey(row)) < 0);
  if (position < 0) position = data.length;
  const limit = params.limit ?? 10;
  if (position === data.length && data.length >= limit) {
    // Sorts after every row shown on a full page: off the page, so more rows follow.
    return wasBeyond ? page : { has_more: true, data: page.data };
  }
  if (position === data.length && (page.has_more || wasBeyond)) return null; // Rows we do not hold may come first.
  data.splice(position, 0, after);
  if (data.length > limit) {
    data.pop();
    return { has_more: true, data };
  }
  return { has_more: page.has_more, data };
}
