/**
 * Reading records by id: `sync.refresh(ids)` for apps that learn of a change another way
 * (a web push, a webhook relayed by their backend), and the reads a pull makes to prove a
 * record gone or to refresh one that left a list. A 404 is the only proof of deletion
 * besides a complete walk.
 */
import { ApiError } from '../errors.js';
import { isTemporary, resolveId } from '../ids.js';
import type { Conversation } from '../model.js';
import { parseServerConversation } from '../validate.js';
import type { SyncContext } from './context.js';
import { absorb, removeAndReport } from './merge.js';

/** What a GET of one record proved. */
export type Lookup =
  | { kind: 'found'; row: Conversation }
  | { kind: 'gone' }
  /** The server answered, but not with a valid conversation: it exists, nothing is stored. */
  | { kind: 'unreadable' };

/** GETs one record. Network and server failures throw (typed). */
export async function lookup(context: SyncContext, id: string): Promise<Lookup> {
  try {
    const row = parseServerConversation((await context.api.retrieve(id)).body);
    if (row !== null && row.id !== id) return { kind: 'unreadable' };
    return row === null ? { kind: 'unreadable' } : { kind: 'found', row };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { kind: 'gone' };
    throw error;
  }
}

/** What `sync.refresh(ids)` did. */
export interface RefreshResult {
  /** Records read and stored. */
  refreshed: number;
  /** Records removed (the server answered 404). */
  removed: number;
  /** Temporary ids skipped: their create has no answer yet. */
  skipped: number;
}

/** Reads records by id, at most `concurrency` at once, and stores or removes each. */
export async function refreshRecords(
  context: SyncContext,
  ids: readonly string[],
): Promise<RefreshResult> {
  const result: RefreshResult = { refreshed: 0, removed: 0, skipped: 0 };
  const resolved = new Set<string>();
  for (const id of ids) {
    const serverId = await resolveId(context.db, id);
    if (isTemporary(serverId)) result.skipped += 1;
    else resolved.add(serverId);
  }
  const queue = [...resolved];
  let failure: unknown = null;
  const worker = async () => {
    while (queue.length > 0 && failure === null) {
      const id = queue.shift() as string;
      try {
        const found = await lookup(context, id);
        if (found.kind === 'found') {
          await absorb(context, [found.row]);
          result.refreshed += 1;
        } else if (found.kind === 'gone') {
          result.removed += (await removeAndReport(context, [id])).removed.length;
        }
      } catch (error) {
        failure = error;
      }
    }
  };
  const workers = Math.max(1, Math.min(context.concurrency, queue.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== null) throw failure;
  return result;
}
