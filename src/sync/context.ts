/**
 * What the sync steps share: the database, the API client, the clocks, the policy, and
 * the event sinks the store exposes as observables.
 */
import type { ConversationsApi } from '../api.js';
import type { StoreDatabase } from '../db.js';
import type { ApiError } from '../errors.js';
import type { WriteOperation } from '../model.js';
import type { BackoffPolicy } from './backoff.js';
import type { Conflict, ResolveConflict } from './reconcile.js';

/** A temporary id replaced by the server's id. */
export interface IdChange {
  /** The temporary `tmp_` id. */
  from: string;
  /** The server's id. */
  to: string;
}

/** A write the server refused for good, as `rejections$` reports it. */
export type Rejection = {
  /** Pass to `sync.retry(id)` or `sync.discard(id)`. */
  id: number;
  /** The record's id. */
  recordId: string;
  /** Unix ms when the server refused it. */
  rejectedAt: number;
  /** The server's answer. */
  error: ApiError;
} & WriteOperation;

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
