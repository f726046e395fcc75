/**
 * The sync status as a small reducer over what happens (a round starts or ends, counts
 * change), and the store that replays it: `status$` and `pending$`.
 */
import { ReplaySubject } from 'rxjs';
import type { SyncStatus, WalkProgress } from '../model/sync.js';

export type StatusAction =
  | { type: 'started' }
  | { type: 'ended'; state: SyncStatus['state']; error: Error | null }
  | { type: 'state'; state: SyncStatus['state'] }
  | { type: 'pending'; count: number }
  | { type: 'rejected'; count: number }
  | { type: 'synced'; at: number | null }
  | { type: 'walked'; at: number | null }
  | { type: 'progress'; progress: WalkProgress | null }
  | { type: 'persisted'; value: boolean };

export function reduceStatus(status: SyncStatus, action: StatusAction): SyncStatus {
  switch (action.type) {
    case 'started':
      return { ...status, state: 'syncing' };
    case 'ended':
      return { ...status, state: action.state, lastError: action.error };
    case 'state':
      return { ...status, state: action.state };
    case 'pending':
      return { ...status, pending: action.count };
    case 'rejected':
      return { ...status, rejected: action.count };
    case 'synced':
      return { ...status, lastSyncedAt: action.at };
    case 'walked':
      return { ...status, hasSynced: action.at !== null };
    case 'progress':
      return { ...status, progress: action.progress };
    case 'persisted':
      return { ...status, persisted: action.value };
  }
}

const INITIAL: SyncStatus = {
  state: 'idle',
  pending: 0,
  rejected: 0,
  lastSyncedAt: null,
  lastError: null,
  hasSynced: false,
  progress: null,
  persisted: false,
};

const sameStatus = (a: SyncStatus, b: SyncStatus) =>
  (Object.keys(a) as (keyof SyncStatus)[]).every((key) => a[key] === b[key]);

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) =>
  a.size === b.size && [...a].every((id) => b.has(id));

/**
 * Holds the status and the pending ids; replays the latest of each to new subscribers.
 * Nothing is emitted before the counts were first read from IndexedDB, so no subscriber
 * ever sees a false "0 pending".
 */
export class StatusStore {
  readonly status$ = new ReplaySubject<SyncStatus>(1);
  readonly pending$ = new ReplaySubject<ReadonlySet<string>>(1);
  #status = INITIAL;
  #pending: Set<string> | null = null;
  #announced = false;
  #closed = false;
  /** What must be read before the first emission. */
  readonly #loading = new Set<StatusAction['type']>(['pending', 'rejected', 'synced', 'walked']);
  /** Counts this tab's own committed queue changes. */
  #version = 0;
  /** The version of the newest outbox read applied. */
  #readVersion = 0;
  /** This tab's changes newer than that read. */
  #changes: { version: number; recordId: string; queued: boolean }[] = [];

  get status(): SyncStatus {
    return this.#status;
  }

  /** The version to pass back with a read of the outbox started now. */
  get version(): number {
    return this.#version;
  }

  /** Applies one action and emits the new status if it changed (and the counts are known). */
  dispatch(...actions: StatusAction[]): void {
    if (this.#closed) return;
    let next = this.#status;
    for (const action of actions) {
      next = reduceStatus(next, action);
      this.#loading.delete(action.type);
    }
    const changed = !sameStatus(next, this.#status);
    this.#status = next;
    if (this.#loading.size === 0 && (changed || !this.#announced)) {
      this.#announced = true;
      this.status$.next(next);
    }
  }

  /**
   * The outbox as read from IndexedDB by a read that started at `version`. This tab's own
   * changes committed since then are applied on top (the read may predate them); a read
   * older than one already applied is dropped. Other tabs' changes arrive by later reads.
   */
  readPending(ids: ReadonlySet<string>, version: number, ...with_: StatusAction[]): void {
    if (version < this.#readVersion) {
      this.dispatch(...with_);
      return;
    }
    this.#readVersion = version;
    this.#changes = this.#changes.filter((change) => change.version > version);
    const next = new Set(ids);
    for (const change of this.#changes) {
      if (change.queued) next.add(change.recordId);
      else next.delete(change.recordId);
    }
    this.#setPending(next, with_);
  }

  /** A change this tab committed: one record's queue became non-empty or empty. */
  queueChanged(recordId: string, queued: boolean, ...with_: StatusAction[]): void {
    this.#version += 1;
    this.#changes.push({ version: this.#version, recordId, queued });
    if (this.#pending === null) {
      this.dispatch(...with_); // Not read yet: the first read applies it.
      return;
    }
    const next = new Set(this.#pending);
    if (queued) next.add(recordId);
    else next.delete(recordId);
    this.#setPending(next, with_);
  }

  #setPending(ids: Set<string>, with_: StatusAction[]): void {
    if (this.#closed) return;
    if (this.#pending === null || !sameSet(this.#pending, ids)) {
      this.#pending = ids;
      this.pending$.next(ids);
    }
    this.dispatch(...with_, { type: 'pending', count: ids.size });
  }

  /** Ends both streams; `status$` ends with the `'closed'` state. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#status = { ...this.#status, state: 'closed', progress: null };
    this.status$.next(this.#status);
    this.pending$.complete();
    this.status$.complete();
  }
}
