/**
 * The head read: the default list (most recently active first) from the top, page by page,
 * until a page tells nothing new. A conversation that gets a message jumps to the top, so
 * this finds what changed lately for about one request, and what moved up while a walk read.
 */
import type { Conversation } from '../model/conversation.js';
import { malformed } from '../model/validate.js';
import type { SyncContext } from './context.js';
import { absorb } from './merge.js';
import { isCursorRefused, type PullResult, readPage } from './read.js';
import { readBack } from './refresh.js';

/** The top of the server's default list, as the head read saw it. */
export interface Head {
  /** The rows read, in the server's order (valid rows only). */
  rows: Conversation[];
  /** The read reached the end of the list. */
  end: boolean;
  /** Every row read was valid and the read was not cut: the rows are the whole top of the list. */
  whole: boolean;
}

/** A head that covers nothing: every list is asked of the server. */
export const NO_HEAD: Head = Object.freeze({ rows: [], end: false, whole: false });

/**
 * Reads the head until a page tells nothing new. What it lists unchanged of a record the
 * quota manager evicted is not news and is not stored again.
 */
export async function pullHead(context: SyncContext, result: PullResult): Promise<Head> {
  const head: Head = { rows: [], end: false, whole: true };
  const cursors = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    let page: Awaited<ReturnType<typeof readPage>>;
    try {
      page = await readPage(context, { limit: context.pageSize, starting_after: cursor }, result);
    } catch (error) {
      if (cursor === undefined || !isCursorRefused(error)) throw error;
      // The cursor's row went (deleted, or it no longer sorts there) between two reads: it
      // is read by id (a 404 removes it), and the head ends here, cut.
      const refused = await readBack(context, [cursor]);
      result.pulled += refused.changed;
      result.removed += refused.removed;
      result.conflicts += refused.conflicts;
      return { ...head, whole: false };
    }
    if (page === null) return { ...head, whole: false };
    head.rows.push(...page.rows);
    head.whole &&= page.rows.length === page.ids.length;
    head.end = !page.hasMore;
    const merged = await absorb(context, page.rows, { restoreEvicted: false });
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
