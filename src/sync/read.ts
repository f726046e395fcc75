/**
 * Reading the server: one list page, one record by id, and what a pull did with what it
 * read. The pulls (pull.ts, recent.ts, head.ts) and the conflict check build on these.
 */

import type { Conversation } from '../model/conversation.js';
import { ApiError } from '../model/errors.js';
import {
  malformed,
  parsePage,
  parseServerConversation,
  type ServerPage,
} from '../model/validate.js';
import { notFound, type RemovalProof } from '../storage/records.js';
import type { SyncContext } from './context.js';

export interface PullResult {
  /** Server rows that changed something locally. */
  pulled: number;
  /** Local records removed because the server answered 404 for them. */
  removed: number;
  conflicts: number;
  /** Malformed rows or pages that were skipped. */
  skipped: number;
  /** True when a complete walk finished. */
  complete: boolean;
  /** Why the pull stopped early, or the first list that failed. */
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

/** Whether `error` is the server rejecting a list cursor (the cursor's row is gone there). */
export const isCursorRefused = (error: unknown): error is ApiError =>
  error instanceof ApiError && error.status === 400;

/** What a GET of one record proved. */
export type Lookup =
  | { kind: 'found'; row: Conversation }
  /** The server answered 404 for this id: the proof that removes it. */
  | { kind: 'gone'; proof: RemovalProof }
  /** The server answered, but not with a valid conversation: it exists, nothing is stored. */
  | { kind: 'unreadable' };

/** GETs one record. Network and server failures throw (typed). */
export async function lookup(context: SyncContext, id: string): Promise<Lookup> {
  try {
    const row = parseServerConversation((await context.api.retrieve(id)).body);
    return row === null || row.id !== id ? { kind: 'unreadable' } : { kind: 'found', row };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return { kind: 'gone', proof: notFound(id, error) };
    }
    throw error;
  }
}

/**
 * Runs `work` on every id, at most `concurrency` at once. The first failure stops the
 * workers from taking more ids and is thrown once the running ones end.
 */
export async function eachLimited(
  ids: readonly string[],
  concurrency: number,
  work: (id: string) => Promise<void>,
): Promise<void> {
  const queue = [...ids];
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (queue.length > 0 && failure === null) {
      const id = queue.shift() as string;
      try {
        await work(id);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(concurrency, queue.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
