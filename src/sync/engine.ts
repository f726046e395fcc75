/**
 * The sync engine: one round at a time in this store, and one tab at a time per
 * database (a platform lock around every round). A round pushes the outbox, then pulls.
 * When rounds run is schedule.ts's business; what the app sees is status.ts's.
 */
import type { Subscription } from 'rxjs';
import { clock } from '../clock.js';
import { AuthError, NetworkError, StorageError, toStorageError } from '../errors.js';
import { live, throttledLive } from '../live.js';
import { earliestDeadline, pendingRecordIds } from '../outbox.js';
import type { Platform } from '../platform.js';
import { countRejections } from '../rejections.js';
import type { SyncContext } from './context.js';
import { pull } from './pull.js';
import { push } from './push.js';
import { Scheduler } from './schedule.js';
import { type StatusAction, StatusStore, type SyncStatus } from './status.js';

/** `pending$` re-reads the outbox at most this often while writes keep coming. */
const PENDING_WINDOW_MS = 50;

/** What one round did; `sync.now()` resolves with it. */
export interface SyncSummary {
  /** Requests the server acknowledged. */
  pushed: number;
  /** Server rows read. */
  pulled: number;
  /** Local records removed because the server no longer lists them. */
  removed: number;
  /** Conflicts reported on `conflicts$`. */
  conflicts: number;
  /** Writes refused and reported on `rejections$`. */
  rejected: number;
  /** Malformed server rows or pages skipped. */
  skipped: number;
  /** True when the pull read every page. */
  complete: boolean;
  /** The state the round ended in. */
  state: SyncStatus['state'];
  /** The round's error, or null when it succeeded. */
  error: Error | null;
}

export interface EngineOptions {
  auto: boolean;
  intervalMs: number;
  debounceMs: number;
  lockName: string;
  platform: Platform;
  /** Called at the end of every round, inside its lock (storage upkeep, quota.ts). */
  roundEnded?: (summary: SyncSummary) => Promise<void>;
}

const LAST_SYNCED = 'lastSyncedAt';

export class SyncEngine {
  readonly statusStore = new StatusStore();
  readonly #context: SyncContext;
  readonly #options: EngineOptions;
  readonly #scheduler: Scheduler;
  readonly #subscriptions: Subscription[] = [];
  #running: Promise<SyncSummary> | null = null;
  #runningForced = false;
  #followUp: Promise<SyncSummary> | null = null;
  #closed = false;
  #paused = false;

  constructor(context: SyncContext, options: EngineOptions) {
    this.#options = options;
    const status = this.statusStore;
    this.#context = {
      ...context,
      events: {
        ...context.events,
        queueChanged: (recordId, queued) => {
          status.queueChanged(recordId, queued);
          context.events.queueChanged(recordId, queued);
        },
      },
    };
    this.#scheduler = new Scheduler(options, () => {
      if (this.#closed || this.#paused) return true;
      if (this.#running !== null) return false;
      void this.#run(false);
      return true;
    });
    const { db } = context;
    // One getAll rather than a key cursor (a round trip per step), and at most one read
    // per PENDING_WINDOW_MS during a burst of writes.
    this.#subscriptions.push(
      throttledLive(
        db.name,
        ['outbox'],
        () => this.#readPending(),
        () => false,
        PENDING_WINDOW_MS,
      ).subscribe({
        next: ({ ids, version }) => status.readPending(ids, version),
        error: () => {},
      }),
      live(
        () => countRejections(db),
        (a, b) => a === b,
      ).subscribe({
        next: (count) => status.dispatch({ type: 'rejected', count }),
        error: () => {},
      }),
      live(
        async () => (await db.meta.get(LAST_SYNCED))?.value ?? null,
        (a, b) => a === b,
      ).subscribe({
        next: (at) => status.dispatch({ type: 'synced', at: typeof at === 'number' ? at : null }),
        error: () => {},
      }),
    );
  }

  async #readPending() {
    const version = this.statusStore.version;
    return { ids: await pendingRecordIds(this.#context.db), version };
  }

  /**
   * Dispatches `actions` with a pending count read just now: a state change never shows
   * a stale count.
   */
  async #announce(...actions: StatusAction[]): Promise<void> {
    try {
      const { ids, version } = await this.#readPending();
      this.statusStore.readPending(ids, version, ...actions);
    } catch {
      this.statusStore.dispatch(...actions); // The live read reports the count when it can.
    }
  }

  /** The latest status (also before status$ first emits). */
  get status(): SyncStatus {
    return this.statusStore.status;
  }

  /** Starts automatic sync (and resumes after an authentication pause). */
  start(): void {
    if (this.#closed) return;
    this.#paused = false;
    this.#scheduler.start();
  }

  /** Stops automatic sync; a round in progress finishes. `now()` still works. */
  stop(): void {
    this.#scheduler.stop();
  }

  /** A local write was committed: `pending$` shows it now, and a round runs soon. */
  written(recordId: string, queued: boolean): void {
    this.statusStore.queueChanged(recordId, queued);
    if (!this.#paused) this.#scheduler.written();
  }

  /** One round now, skipping backoff deadlines. Concurrent calls share one round. */
  now(): Promise<SyncSummary> {
    if (this.#closed) return Promise.reject(new StorageError('sync.now: the store is closed'));
    this.#paused = false;
    if (this.#running !== null) {
      if (this.#runningForced) return this.#running;
      this.#followUp ??= this.#running.then(() => {
        this.#followUp = null;
        return this.#run(true);
      });
      return this.#followUp;
    }
    return this.#run(true);
  }

  /** Stops everything and waits for a round in progress to end. */
  async close(): Promise<void> {
    this.stop();
    this.#closed = true;
    await Promise.allSettled([this.#running, this.#followUp]);
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
    this.statusStore.close();
  }

  #run(force: boolean): Promise<SyncSummary> {
    this.#runningForced = force;
    const round = this.#options.platform
      .withLock(this.#options.lockName, () => this.#round(force))
      .finally(() => {
        this.#running = null;
        if (this.#closed || this.#paused || this.#scheduler.roundEnded()) return;
        void this.#scheduleRetry();
      });
    this.#running = round;
    return round;
  }

  async #round(force: boolean): Promise<SyncSummary> {
    const reconnected = this.#scheduler.takeReconnected();
    const summary: SyncSummary = {
      pushed: 0,
      pulled: 0,
      removed: 0,
      conflicts: 0,
      rejected: 0,
      skipped: 0,
      complete: false,
      state: 'idle',
      error: null,
    };
    if (this.#closed) return { ...summary, state: this.status.state };
    if (!force && !this.#options.platform.isOnline()) {
      await this.#announce({ type: 'state', state: 'offline' });
      return { ...summary, state: 'offline' };
    }
    this.statusStore.dispatch({ type: 'started' });
    const errors: Error[] = [];
    const problems: Error[] = [];
    const events = this.#context.events;
    const context: SyncContext = {
      ...this.#context,
      events: {
        ...events,
        problem: (error) => {
          problems.push(error);
          events.problem(error);
        },
      },
    };
    try {
      const pushed = await push(context, { force, reconnected });
      summary.pushed = pushed.pushed;
      summary.rejected = pushed.rejected;
      errors.push(...pushed.failures);
      if (pushed.auth !== null) {
        this.#paused = true;
        errors.unshift(pushed.auth);
      } else {
        const pulled = await pull(context);
        Object.assign(summary, {
          pulled: pulled.pulled,
          removed: pulled.removed,
          conflicts: pulled.conflicts,
          skipped: pulled.skipped,
          complete: pulled.complete,
        });
        if (pulled.error instanceof AuthError) this.#paused = true;
        if (pulled.error !== null) errors.unshift(pulled.error);
      }
    } catch (error) {
      // Our own errors pass through; anything else came from IndexedDB.
      errors.unshift(toStorageError(error, 'sync'));
    }
    if (summary.complete) {
      await this.#context.db.meta
        .put({ key: LAST_SYNCED, value: clock().now() })
        .catch((error: unknown) => errors.push(error as Error));
    }
    summary.state = this.#paused
      ? 'paused'
      : errors.some((error) => error instanceof NetworkError)
        ? 'offline'
        : errors.length > 0
          ? 'error'
          : 'idle';
    summary.error = errors[0] ?? problems[0] ?? null;
    await this.#options.roundEnded?.(summary).catch(() => {}); // Upkeep retries next round.
    await this.#announce({ type: 'ended', state: summary.state, error: summary.error });
    return summary;
  }

  /** Wakes up when the earliest backoff deadline of the outbox passes. */
  async #scheduleRetry(): Promise<void> {
    if (!this.#scheduler.started) return;
    if (!this.#options.platform.isOnline()) return; // The online event wakes it.
    let earliest: number;
    try {
      earliest = await earliestDeadline(this.#context.db);
    } catch {
      return; // The database closed meanwhile.
    }
    if (earliest === Number.POSITIVE_INFINITY || this.#closed || this.#paused) return;
    // After a failed round, never spin: wait at least the first backoff step.
    const floor = this.status.state === 'idle' ? 0 : this.#context.policy.baseMs;
    this.#scheduler.plan(Math.max(floor, earliest - clock().now()));
  }
}
