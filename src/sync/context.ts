/**
 * What the sync steps share: the database, the API client, the policy, and the event
 * sinks the store exposes as observables.
 */
import type { ConversationsApi } from '../api.js';
import type { StoreDatabase } from '../db.js';
import type { SyncEvent } from '../events.js';
import type { ListParams } from '../model.js';
import type { Rejection } from '../rejections.js';
import type { BackoffPolicy } from './backoff.js';
import type { Confirmations } from './fresh.js';
import type { Conflict, ResolveConflict } from './reconcile.js';
import type { WalkProgress } from './status.js';

/** A temporary id replaced by the server's id. */
export interface IdChange {
  /** The temporary `tmp_` id. */
  from: string;
  /** The server's id. */
  to: string;
}

export interface SyncEvents {
  idChange(change: IdChange): void;
  conflict(conflict: Conflict): void;
  rejection(rejection: Rejection): void;
  /** A malformed server row or page that was skipped. */
  problem(error: Error): void;
  /** A settled reply changed whether a record has writes queued. */
  queueChanged(recordId: string, queued: boolean): void;
  /** A complete walk advanced (or ended: null). */
  progress(progress: WalkProgress | null): void;
  /** The debug stream (`events$`, `logger`): this store's requests and decisions. */
  debug(event: SyncEvent): void;
}

export interface SyncContext {
  db: StoreDatabase;
  api: ConversationsApi;
  random: () => number;
  policy: BackoffPolicy;
  pageSize: number;
  concurrency: number;
  resolveConflict: ResolveConflict | undefined;
  /** How old the last complete walk may get before an automatic round walks again (ms). */
  fullSyncMs: number;
  /** Updates to records confirmed longer ago than this (ms) are checked before sending. */
  freshMs: number;
  confirmations: Confirmations;
  /** The lists watched in every tab (the visible lists a recent pull makes exact). */
  watchedLists(): Promise<ListParams[]>;
  events: SyncEvents;
}
