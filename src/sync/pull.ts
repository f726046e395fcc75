/**
 * Pull: walks every page of `GET /v1/conversations` with `starting_after` cursors and
 * merges each page in one transaction as it arrives, so memory holds one page plus the
 * ids seen. After a complete walk, local records the server did not list (and that have
 * no pending create) were deleted there and are removed here.
 */
import { ApiError, toStorageError } from '../errors.js';
import { entriesByRecord } from '../outbox.js';
import { malformed, parsePage, parseServerConversation } from '../validate.js';
import type { SyncContext } from './context.js';
import { mergeRows, removeGone } from './merge.js';

export interface PullResult {
  /** Server rows that changed something locally. */
  pulled: number;
  /** Local records removed because the server no longer lists them. */
  removed: number;
  conflicts: number;
  /** Malformed rows or pages that were skipped. */
  skipped: number;
  /** True when every page was read. */
  complete: boolean;
  /** Why the walk stopped early. */
  error: Error | null;
}

/** Merges rows and reports what the merge did. */
async function merge(context: SyncContext, rows: Parameters<typeof mergeRows>[1]) {
  const merged = await mergeRows(context, rows);
  for (const id of merged.dequeued) context.events.queueChanged(id, false);
  for (const conflict of merged.conflicts) context.events.conflict(conflict);
  return merged;
}

/**
 * Records that a complete listing did not name but that carry local updates are asked
 * for one by one before anything is dropped: a row whose sort position moved during the
 * walk (another device touched it) can slip between pages, and dropping it would lose
 * the user's pending changes. Returns the ids that still exist (and merges them).
 */
async function confirmMissing(context: SyncContext, missing: string[]): Promise<Set<string>> {
  const alive = new Set<string>();
  const queued = await entriesByRecord(context.db, missing);
  const withUpdates = [...queued].flatMap(([id, entries]) =>
    entries.some((entry) => entry.op === 'update') ? [id] : [],
  );
  for (const id of withUpdates) {
    try {
      const row = parseServerConversation((await context.api.retrieve(id)).body);
      alive.add(id); // Exists (a malformed reply is not proof of deletion either).
      if (row !== null) await merge(context, [row]);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) alive.add(id);
    }
  }
  return alive;
}

/** Removes local records that a complete listing did not name. */
async function removeMissing(context: SyncContext, seen: ReadonlySet<string>) {
  const localIds = (await context.db.conversations.toCollection().primaryKeys()) as string[];
  const unlisted = localIds.filter((id) => !seen.has(id));
  const alive = unlisted.length === 0 ? new Set() : await confirmMissing(context, unlisted);
  const gone = await removeGone(
    context.db,
    unlisted.filter((id) => !alive.has(id)),
  );
  for (const id of gone.removed) context.events.queueChanged(id, false);
  return gone;
}

export async function pull(context: SyncContext): Promise<PullResult> {
  const result: PullResult = {
    pulled: 0,
    removed: 0,
    conflicts: 0,
    skipped: 0,
    complete: false,
    error: null,
  };
  const report = (error: Error) => {
    result.skipped += 1;
    context.events.problem(error);
  };
  const seen = new Set<string>();
  let cursor: string | undefined;
  try {
    for (;;) {
      const reply = await context.api.list({ limit: context.pageSize, starting_after: cursor });
      const page = parsePage(reply.body, report);
      if (page === null) {
        const error = malformed('Skipped a malformed list page: expected { has_more, data }');
        report(error);
        result.error = error;
        return result;
      }
      for (const id of page.ids) seen.add(id);
      const { conflicts, changed } = await merge(context, page.rows);
      result.pulled += changed;
      result.conflicts += conflicts.length;
      if (!page.hasMore) break;
      if (page.lastId === null || page.lastId === cursor) {
        result.error = malformed('The list page gave no usable cursor; the walk stopped');
        return result;
      }
      cursor = page.lastId;
    }
  } catch (error) {
    result.error = toStorageError(error, 'pull');
    return result;
  }
  result.complete = true;
  const { conflicts, removed } = await removeMissing(context, seen);
  result.removed = removed.length;
  result.conflicts += conflicts.length;
  for (const conflict of conflicts) context.events.conflict(conflict);
  return result;
}
