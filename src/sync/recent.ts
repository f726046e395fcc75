/**
 * The recent pull: what changed near the top, and the lists the app shows, for about one
 * request each when little changed. The head of the default list (most recently active
 * first) is read page by page until a page tells nothing new; then each watched list's
 * page is read with its own parameters (or worked out from the head when the head covers
 * it) and the local page made equal to it. Nothing here removes a record except a 404
 * for that id.
 */
import { clock } from '../clock.js';
import { compareSortKeys, type SortKey, sortKey } from '../db.js';
import { toStorageError } from '../errors.js';
import { isTemporary } from '../ids.js';
import { writeListConfirmed } from '../meta.js';
import { type Conversation, DEFAULT_LIMIT, type ListParams } from '../model.js';
import { listConversations, matchesFilters } from '../queries.js';
import { malformed, type ServerPage } from '../validate.js';
import { listKey } from '../watched.js';
import type { SyncContext } from './context.js';
import { absorb, removeAndReport } from './merge.js';
import { emptyPull, type PullResult, readPage } from './pull.js';
import { lookup } from './refresh.js';

/** The top of the server's default list, as the head read saw it. */
interface Head {
  /** The rows read, in the server's order (valid rows only). */
  rows: Conversation[];
  /** The read reached the end of the list. */
  end: boolean;
  /** Every row read was valid: the rows are the whole top of the list. */
  whole: boolean;
}

/** Reads the head of the default list until a page tells nothing new. */
async function pullHead(context: SyncContext, result: PullResult): Promise<Head> {
  const head: Head = { rows: [], end: false, whole: true };
  const cursors = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await readPage(
      context,
      { limit: context.pageSize, starting_after: cursor },
      result,
    );
    if (page === null) return { ...head, whole: false };
    head.rows.push(...page.rows);
    head.whole &&= page.rows.length === page.ids.length;
    head.end = !page.hasMore;
    const merged = await absorb(context, page.rows);
    result.pulled += merged.changed;
    result.conflicts += merged.conflicts.length;
    if (merged.news === 0 && page.rows.length === page.ids.length) return head;
    if (!page.hasMore) return head;
    if (page.lastId === null || cursors.has(page.lastId)) {
      result.error = malformed('The list pages gave no usable cursor; the head read stopped');
      return head;
    }
    cursors.add(page.lastId);
    cursor = page.lastId;
  }
}

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

/** Makes the local page of one watched list equal to the server's answer for it. */
async function pullList(context: SyncContext, params: ListParams, head: Head, result: PullResult) {
  const cursor = params.starting_after ?? params.ending_before;
  if (cursor !== undefined && isTemporary(cursor)) return; // Left to the walks.
  const known = answerFromHead(head, params);
  const page = known ?? (await readPage(context, params, result));
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
  for (const row of extra) {
    if (isTemporary(row.id)) continue; // Not on the server yet.
    const found = await lookup(context, row.id);
    if (found.kind === 'found') {
      const again = await absorb(context, [found.row]);
      result.pulled += again.changed;
      result.conflicts += again.conflicts.length;
    } else if (found.kind === 'gone') {
      const gone = await removeAndReport(context, [row.id]);
      result.removed += gone.removed.length;
      result.conflicts += gone.conflicts.length;
    }
  }
  await writeListConfirmed(context.db, listKey(params), clock().now());
}

/** The recent pull: the head, then every watched list. */
export async function pullRecent(context: SyncContext): Promise<PullResult> {
  const result = emptyPull();
  try {
    const head = await pullHead(context, result);
    if (result.error !== null) return result;
    for (const params of await context.watchedLists()) {
      await pullList(context, params, head, result);
      if (result.error !== null) return result;
    }
  } catch (error) {
    result.error = toStorageError(error, 'pull');
  }
  return result;
}
