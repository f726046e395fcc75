/**
 * Reading records by id and reconciling each: `sync.refresh(ids)` for apps that learn of
 * a change another way (a web push, a webhook relayed by their backend), and the reads a
 * pull makes to prove a record gone or to refresh one that left a list. A 404 for the id
 * is the only proof of deletion.
 */
import type { RemovedEvent } from '../model/events.js';
import { isTemporary, resolveId } from '../storage/ids.js';
import type { SyncContext } from './context.js';
import { absorb, removeAndReport } from './merge.js';
import { eachLimited, lookup } from './read.js';

/** What `sync.refresh(ids)` did. */
export interface RefreshResult {
  /** Records read and stored. */
  refreshed: number;
  /** Records removed (the server answered 404). */
  removed: number;
  /** Temporary ids skipped: their create has no answer yet. */
  skipped: number;
}

/** What reading records by id did, for a pull's tally. */
export interface ReadBack {
  /** Records the server still has (read and merged). */
  refreshed: number;
  /** Rows that changed something locally. */
  changed: number;
  removed: number;
  conflicts: number;
}

/**
 * Reads server records by id, at most `concurrency` at once: a found one is merged, a 404
 * removes it (reported with `reason`), an unreadable answer leaves it as it is. Network
 * and server failures throw (typed) after the reads under way end.
 */
export async function readBack(
  context: SyncContext,
  ids: readonly string[],
  reason: RemovedEvent['reason'] = 'not-found',
): Promise<ReadBack> {
  const done: ReadBack = { refreshed: 0, changed: 0, removed: 0, conflicts: 0 };
  await eachLimited(ids, context.concurrency, async (id) => {
    const found = await lookup(context, id);
    if (found.kind === 'found') {
      const merged = await absorb(context, [found.row]);
      done.refreshed += 1;
      done.changed += merged.changed;
      done.conflicts += merged.conflicts.length;
    } else if (found.kind === 'gone') {
      const gone = await removeAndReport(context, [found.proof], reason);
      done.removed += gone.removed.length;
      done.conflicts += gone.conflicts.length;
    }
  });
  return done;
}

/** `sync.refresh(ids)`: temporary ids map to server ids; unacknowledged creates are skipped. */
export async function refreshRecords(
  context: SyncContext,
  ids: readonly string[],
): Promise<RefreshResult> {
  let skipped = 0;
  const resolved = new Set<string>();
  for (const id of ids) {
    const serverId = await resolveId(context.db, id);
    if (isTemporary(serverId)) skipped += 1;
    else resolved.add(serverId);
  }
  const { refreshed, removed } = await readBack(context, [...resolved]);
  return { refreshed, removed, skipped };
}
