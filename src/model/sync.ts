/**
 * What the app sees of sync, as types: the status `status$` emits, the summary of a round
 * `sync.now()` resolves with, and the kinds of pull. The sync engine (sync/) produces them;
 * the debug stream (events.ts) reports them.
 */

/** What a round pulls after pushing: every page, the recent part, or nothing. */
export type PullKind = 'full' | 'recent' | 'none';

/** The sync state the app shows (DESIGN section 2). */
export interface SyncStatus {
  /**
   * `'idle'`: nothing running; `'syncing'`: a round is running; `'offline'`: the network is
   * unreachable; `'paused'`: the token was refused (`AuthError`); `'error'`: the last round
   * failed; `'closed'`: the store was closed, or its database destroyed (here or in another
   * store or tab), and nothing more will happen: the last status `status$` emits.
   */
  state: 'idle' | 'syncing' | 'offline' | 'paused' | 'error' | 'closed';
  /** Records with changes not yet on the server (the size of `pending$`). */
  pending: number;
  /** Writes the server refused that the app has not retried or discarded yet. */
  rejected: number;
  /**
   * When the last round that pulled (recent or full) without an error ended, in unix
   * MILLISECONDS (for `new Date(lastSyncedAt)`), unlike the API's
   * timestamps, which are unix seconds.
   */
  lastSyncedAt: number | null;
  /** The last round's error (typed: NetworkError, AuthError, ApiError, StorageError...), or null. */
  lastError: Error | null;
  /** Whether the browser agreed to keep this origin's data (`store.storage.persist()`). */
  persisted: boolean;
  /** A complete walk over every page has finished for this database (persisted). */
  hasSynced: boolean;
  /** While a complete walk runs: the pages and rows read so far (resumed walks included). */
  progress: WalkProgress | null;
}

/** How far a complete walk has come. */
export interface WalkProgress {
  /** Pages read. */
  pages: number;
  /** Server rows read. */
  rows: number;
}

/** What one round did; `sync.now()` resolves with it. */
export interface SyncSummary {
  /** Requests the server acknowledged. */
  pushed: number;
  /** Server rows that changed something locally (rows read but already known do not count). */
  pulled: number;
  /** Local records removed because the server no longer lists them. */
  removed: number;
  /** Conflicts reported on `conflicts$`. */
  conflicts: number;
  /** Writes refused and reported on `rejections$`. */
  rejected: number;
  /** Malformed server rows or pages skipped. */
  skipped: number;
  /** What the round pulled: every page, the recent part (head and watched lists), or nothing. */
  pull: PullKind;
  /** True when a complete walk finished in this round. */
  complete: boolean;
  /** The state the round ended in. */
  state: SyncStatus['state'];
  /** The round's error, or null when it succeeded. */
  error: Error | null;
}
