/**
 * The complete walk: every page of `GET /v1/conversations` with `starting_after` cursors,
 * each page merged in its own transaction as it arrives, so memory holds one page. The
 * walk's cursor and the ids it has seen are stored as it goes: a walk cut short by a
 * reload or an offline spell resumes where it stopped (within `fullSyncMs` of its start).
 * Only after a complete walk are local records the server did not list removed.
 */
import { clock } from '../clock.js';
import { ApiError, toStorageError } from '../errors.js';
import { randomId } from '../ids.js';
import { addSeen, clearWalk, readMeta, readSeen, type WalkState, writeMeta } from '../meta.js';
import { entriesByRecord } from '../outbox.js';
import { malformed, parsePage, type ServerPage } from '../validate.js';
import type { SyncContext } from './context.js';
import { absorb, removeAndReport } from './merge.js';
import { lookup } from './refresh.js';

export interface PullResult {
  /** Server rows that changed something locally. */
  pulled: number;
  /** Local records removed because the server proved them gone. */
  removed: number;
  conflicts: number;
  /** Malformed rows or pages that were skipped. */
  skipped: number;
  /** True when a complete walk finished. */
  complete: boolean;
  /** Why the pull stopped early. */
  error: Error | null;
}

export const emptyPull = (): PullResult => ({
  pulled: 0,
  removed: 0,
  conflicts: 0,
  skipped: 0,
  complete: false,
  error: null,
});

/** Reads one list page; `null` (reported) when the reply is not a page. */
export async function readPage(
  context: SyncContext,
  params: Parameters<SyncContext['api']['list']>[0],
  result: PullResult,
): Promise<ServerPage | null> {
  const reply = await context.api.list(params);
  const report = (error: Error) => {
    result.skipped += 1;
    context.events.problem(error);
  };
  const page = parsePage(reply.body, report);
  if (page === null) {
    const error = malformed('Skipped a malformed list page: expected { has_more, data }');
    report(error);
    result.error = error;
  }
  return page;
}

/**
 * Records that a complete listing did not name but that carry local updates are read one
 * by one before anything is dropped: a row whose sort position moved during the walk
 * (another device touched it) can slip between pages, and dropping it would lose the
 * user's pending changes. Returns the ids that still exist (and merges them).
 */
async function confirmMissing(context: SyncContext, missing: string[]): Promise<Set<string>> {
  const alive = new Set<string>();
  const queued = await entriesByRecord(context.db, missing);
  for (const [id, entries] of queued) {
    // A queued create: not on the server yet (its id is temporary), never removed.
    if (entries.some((entry) => entry.op === 'create')) continue;
    if (!entries.some((entry) => entry.op === 'update')) continue;
    try {
      const found = await lookup(context, id);
      if (found.kind === 'gone') continue;
      alive.add(id); // Exists (an unreadable reply is not proof of deletion either).
      if (found.kind === 'found') await absorb(context, [found.row]);
    } catch {
      alive.add(id);
    }
  }
  return alive;
}

/** Removes local records that a complete listing did not name. */
async function removeMissing(context: SyncContext, seen: ReadonlySet<string>) {
  const localIds = (await context.db.conversations.toCollection().primaryKeys()) as string[];
  const unlisted = localIds.filter((id) => !seen.has(id));
  const alive = unlisted.length === 0 ? new Set() : await confirmMissing(context, unlisted);
  return removeAndReport(
    context,
    unlisted.filter((id) => !alive.has(id)),
    'walk',
  );
}

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

/** The complete walk (resumed where a previous one stopped). */
export async function pullAll(context: SyncContext): Promise<PullResult> {
  const result = emptyPull();
  const { db } = context;
  try {
    const walk = await currentWalk(context);
    context.events.progress({ pages: walk.pages, rows: walk.rows });
    // A server whose cursors loop (page after A gives B, after B gives A) would keep the
    // walk going forever: a cursor seen twice ends it, incomplete.
    const cursors = new Set<string>();
    const read = (cursor: string | null) =>
      readPage(context, { limit: context.pageSize, starting_after: cursor ?? undefined }, result);
    let next = read(walk.cursor);
    for (;;) {
      const page = await next;
      if (page === null) return result;
      // The next page is fetched while this one is reconciled (a usable cursor only).
      const usable =
        page.lastId !== null && !cursors.has(page.lastId) && page.lastId !== walk.cursor;
      if (page.hasMore && usable) {
        next = read(page.lastId);
        next.catch(() => {}); // Awaited below; a walk that stops first leaves it unread.
      }
      // The page's ids and the walk's next cursor are stored with the page's rows.
      const seen = { page: walk.pages, ids: page.ids };
      walk.pages += 1;
      walk.rows += page.ids.length;
      const goOn = page.hasMore && usable && page.lastId !== null;
      if (goOn) walk.cursor = page.lastId;
      const { conflicts, changed } = await absorb(context, page.rows, () =>
        Promise.all([
          addSeen(db, walk.id, seen.page, seen.ids),
          goOn ? writeMeta(db, 'walk', walk) : null,
        ]),
      );
      result.pulled += changed;
      result.conflicts += conflicts.length;
      if (!page.hasMore) break;
      if (!goOn || page.lastId === null) {
        result.error = malformed('The list pages gave no usable cursor; the walk stopped');
        return result;
      }
      cursors.add(page.lastId);
      context.events.progress({ pages: walk.pages, rows: walk.rows });
    }
    result.complete = true;
    const gone = await removeMissing(context, await readSeen(db, walk.id));
    result.removed = gone.removed.length;
    result.conflicts += gone.conflicts.length;
    await clearWalk(db);
    await writeMeta(db, 'lastFullSyncAt', clock().now());
  } catch (error) {
    // A resumed walk whose cursor row was deleted meanwhile gets a 400: start over next time.
    if (error instanceof ApiError && error.status === 400) await clearWalk(db).catch(() => {});
    result.error = toStorageError(error, 'pull');
  } finally {
    context.events.progress(null);
  }
  return result;
}
