/**
 * The complete walk: every page of `GET /v1/conversations` with `starting_after` cursors,
 * each page merged in its own transaction as it arrives, so memory holds one page. The
 * walk's cursor and the ids it has named are stored as it goes: a walk cut short by a
 * reload or an offline spell resumes where it stopped (within `fullSyncMs` of its start).
 *
 * Rows move while a walk reads (a conversation that gets a message jumps to the top,
 * possibly onto a page already read), so a record the walk did not name proves nothing.
 * A complete walk ends with a head read, which finds the rows that moved up meanwhile, and
 * then reads by id each local record still unnamed: only a 404 removes one.
 */

import { toStorageError } from '../model/errors.js';
import { malformed } from '../model/validate.js';
import { clock } from '../platform/clock.js';
import { isTemporary, randomId } from '../storage/ids.js';
import {
  addSeen,
  clearWalk,
  readMeta,
  readSeen,
  type WalkState,
  writeMeta,
} from '../storage/meta.js';
import type { SyncContext } from './context.js';
import { NO_HEAD, pullHead } from './head.js';
import { absorb } from './merge.js';
import { emptyPull, isCursorRefused, type PullResult, readPage } from './read.js';
import { pullLists } from './recent.js';
import { readBack } from './refresh.js';

/** How many refused cursors one walk steps back from before it gives up for this round. */
const MAX_REFUSED_CURSORS = 20;

/** The walk to continue: the stored one while it is recent enough, else a new one. */
async function currentWalk(context: SyncContext): Promise<WalkState> {
  const stored = await readMeta(context.db, 'walk');
  const now = clock().now();
  if (stored !== null && now - stored.startedAt <= context.fullSyncMs) return stored;
  await clearWalk(context.db);
  const walk: WalkState = { id: randomId(12), startedAt: now, cursor: null, pages: 0, rows: 0 };
  await writeMeta(context.db, 'walk', walk);
  return walk;
}

/**
 * Reads every page from the walk's cursor to the end. Resolves true when it reached the
 * end; false when it stopped (the reason is `result.error`).
 */
async function walkPages(
  context: SyncContext,
  walk: WalkState,
  result: PullResult,
): Promise<boolean> {
  const { db } = context;
  // A server whose cursors loop (page after A gives B, after B gives A) would keep the
  // walk going forever: a cursor seen twice ends it, incomplete.
  const cursors = new Set<string>();
  const read = (cursor: string | null) =>
    readPage(context, { limit: context.pageSize, starting_after: cursor ?? undefined }, result);
  // The ids before the cursor on the page it came from: where to go on if it is refused.
  let before: string[] = [];
  let refusals = 0;
  let next = read(walk.cursor);
  for (;;) {
    let page: Awaited<typeof next>;
    try {
      page = await next;
    } catch (error) {
      if (walk.cursor === null || !isCursorRefused(error) || refusals >= MAX_REFUSED_CURSORS) {
        throw error;
      }
      // The cursor's row left the list (deleted, or a resumed walk's row is gone): it is
      // read by id (a 404 removes it) and the walk goes on from the row before it, or from
      // the top. Rows named so far stay named.
      refusals += 1;
      const refused = await readBack(context, [walk.cursor]);
      result.pulled += refused.changed;
      result.removed += refused.removed;
      result.conflicts += refused.conflicts;
      walk.cursor = before.pop() ?? null;
      if (walk.cursor === null) cursors.clear();
      next = read(walk.cursor);
      continue;
    }
    if (page === null) return false;
    // The next page is fetched while this one is reconciled (a usable cursor only).
    const usable = page.lastId !== null && !cursors.has(page.lastId) && page.lastId !== walk.cursor;
    const goOn = page.hasMore && usable && page.lastId !== null;
    if (goOn) {
      next = read(page.lastId);
      next.catch(() => {}); // Awaited below; a walk that stops first leaves it unread.
    }
    // The page's ids and the walk's next cursor are stored with the page's rows.
    const seen = { page: walk.pages, ids: page.ids };
    walk.pages += 1;
    walk.rows += page.ids.length;
    if (goOn) {
      walk.cursor = page.lastId;
      before = page.ids.slice(0, -1);
    }
    const { conflicts, changed } = await absorb(context, page.rows, {
      alongside: () =>
        Promise.all([
          addSeen(db, walk.id, seen.page, seen.ids),
          goOn ? writeMeta(db, 'walk', walk) : null,
        ]),
    });
    result.pulled += changed;
    result.conflicts += conflicts.length;
    if (!page.hasMore) return true;
    if (!goOn || page.lastId === null) {
      result.error = malformed('The list pages gave no usable cursor; the walk stopped');
      return false;
    }
    cursors.add(page.lastId);
    context.events.progress({ pages: walk.pages, rows: walk.rows });
  }
}

/**
 * After the last page: the head read names the rows that moved up meanwhile, then each
 * local record still unnamed is read by id (a 404 removes it). Resolves true when done.
 */
async function proveUnnamed(
  context: SyncContext,
  walk: WalkState,
  result: PullResult,
): Promise<boolean> {
  const head = await pullHead(context, result);
  if (result.error !== null) return false;
  const named = await readSeen(context.db, walk.id);
  for (const row of head.rows) named.add(row.id);
  const localIds = (await context.db.conversations.toCollection().primaryKeys()) as string[];
  // A temporary id is a create not acknowledged yet: the server cannot know it.
  const unnamed = localIds.filter((id) => !named.has(id) && !isTemporary(id));
  const back = await readBack(context, unnamed, 'walk');
  result.pulled += back.changed;
  result.removed += back.removed;
  result.conflicts += back.conflicts;
  return true;
}

/**
 * The complete walk (resumed where a previous one stopped). The watched lists' pages are
 * read first, so what the user looks at is exact within one request per list.
 */
export async function pullAll(context: SyncContext): Promise<PullResult> {
  const result = emptyPull();
  const { db } = context;
  try {
    await pullLists(context, NO_HEAD, result);
    const listError = result.error;
    result.error = null;
    const walk = await currentWalk(context);
    context.events.progress({ pages: walk.pages, rows: walk.rows });
    if ((await walkPages(context, walk, result)) && (await proveUnnamed(context, walk, result))) {
      result.complete = true;
      await clearWalk(db);
      await writeMeta(db, 'lastFullSyncAt', clock().now());
    }
    result.error ??= listError;
  } catch (error) {
    result.error = toStorageError(error, 'pull');
  } finally {
    context.events.progress(null);
  }
  return result;
}
