/**
 * Per-list freshness: the page `list$` shows, when the server last confirmed that list's
 * first page, and whether the page can be trusted whole. A status line can say "updated
 * 2 min ago" per list.
 */
import { combineLatest, map, type Observable } from 'rxjs';
import type { ListPage, ListParams } from '../model/conversation.js';
import { readListConfirmed, readMeta } from '../storage/meta.js';
import type { StoreDatabase } from '../storage/schema.js';
import { tableLive } from './live.js';
import { listKey } from './watched-lists.js';

/** What `listState$(params)` emits. */
export interface ListState {
  /** The same page as `list$(params)`. */
  page: ListPage;
  /**
   * Unix ms when a recent pull last made this list's page equal to the server's answer
   * for the same parameters; null before that ever happened.
   */
  confirmedAt: number | null;
  /**
   * True when a complete walk has finished, no row of the page has a change the server
   * has not seen yet, and no record evicted to save space would be on the page: the page
   * is what the server holds, as of that walk.
   */
  complete: boolean;
}

export function listState(
  db: StoreDatabase,
  params: ListParams | undefined,
  page$: Observable<ListPage>,
  pending$: Observable<ReadonlySet<string>>,
  /** Whether the list can miss no evicted record (quota.ts); read again as they change. */
  isComplete: (params: ListParams) => Promise<boolean>,
): Observable<ListState> {
  const key = listKey(params);
  const facts$ = tableLive(
    db,
    ['meta', 'evicted', 'conversations'],
    async () => ({
      confirmedAt: await readListConfirmed(db, key),
      walkedAt: await readMeta(db, 'lastFullSyncAt'),
      whole: await isComplete(params ?? {}),
    }),
    (a, b) => a.confirmedAt === b.confirmedAt && a.walkedAt === b.walkedAt && a.whole === b.whole,
  );
  return combineLatest([page$, facts$, pending$]).pipe(
    map(([page, { confirmedAt, walkedAt, whole }, pending]) => ({
      page,
      confirmedAt,
      complete: walkedAt !== null && whole && page.data.every((row) => !pending.has(row.id)),
    })),
  );
}
