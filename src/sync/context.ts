/**
 * What the sync steps share: the database, the API client, the clocks, the policy, and
 * the event sinks the store exposes as observables.
 */
import type { ConversationsApi } from '../api.js';
import type { RejectionRow, StoreDatabase } from '../db.js';
import type { ApiError } from '../errors.js';
import type { BackoffPolicy } from './backoff.js';
import type { Conflict, ResolveConflict } from './reconcile.js';

/** A temporary id replaced by the server's id. */
export interface IdChange {
  from: string;
  to: string;
}

/** A write the server refused for good, as `rejections$` reports it. */
export type Rejection = Omit<RejectionRow, 'id' | 'error'> & {
  /** Pass to `sync.retry(id)` or `sync.discard(id)`. */
  id: number;
  error: ApiError;
};

export interface SyncEvents {
  idChange(change: IdChange): void;
  conflict(conflict: Conflict): void;
  rejection(rejection: Rejection): void;
  /** A malformed server row or page that was skipped. */
  problem(error: Error): void;
}

export interface SyncContext {
  db: StoreDatabase;
  api: ConversationsApi;
  /** Wall clock in ms (outbox timestamps and backoff deadlines). */
  clockMs: () => number;
  random: () => number;
  policy: BackoffPolicy;
  pageSize: number;
  concurrency: number;
  resolveConflict: ResolveConflict | undefined;
  events: SyncEvents;
}
