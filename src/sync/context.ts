/**
 * What the sync steps share: the database, the API client, the policy, and the event
 * sinks the store exposes as observables.
 */
import type { ConversationsApi } from '../api/client.js';
import type { ListParams } from '../model/conversation.js';
import type { SyncEvent } from '../model/events.js';
import type { WalkProgress } from '../model/sync.js';
import type { Rejection } from '../storage/rejections.js';
import type { StoreDatabase } from '../storage/schema.js';
import type { BackoffPolicy } from './backoff.js';
import type { Confirmations } from './confirmations.js';
import type { Conflict, ResolveConflict } from './reconcile.js';

/** A temporary id replaced by the server's id. */
export interface IdChange {
  /** The temporary `tmp_` id. */
  from: string;
  /** The server's id. */
  to: string;
}

/**
 * Where the sync steps send what they found (the store turns these into `idChanges$`,
 * `conflicts$`, `rejections$`, `pending$`, `status.progress` and the debug stream). Not the
 * debug events themselves: those are `SyncEvent` (model/events.ts).
 */
export interface SyncSinks {
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
  events: SyncSinks;
}

/**
 * This store's sinks with their debug events: an id change, a conflict and a rejection
 * found here also go to `debug` (those relayed from other tabs do not: they are not this
 * store's decisions).
 */
export function withDebugEvents(events: SyncSinks): SyncSinks {
  return {
    ...events,
    idChange: (change) => {
      events.idChange(change);
      events.debug({ type: 'id-remapped', from: change.from, to: change.to });
    },
    conflict: (conflict) => {
      events.conflict(conflict);
      const { id: recordId, kind, fields } = conflict;
      events.debug({ type: 'conflict', recordId, kind, fields: [...fields] });
    },
    rejection: (rejection) => {
      events.rejection(rejection);
      const { recordId, op, error } = rejection;
      events.debug({ type: 'rejected', recordId, op, status: error.status, errorType: error.type });
    },
  };
}
