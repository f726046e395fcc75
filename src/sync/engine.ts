/**
 * The sync layer (`src/sync/`): rounds that push the outbox (push.ts, check.ts,
 * settle.ts) and pull the server's state (pull.ts, recent.ts, head.ts, read.ts, refresh.ts,
 * merge.ts, reconcile.ts), when they run (schedule.ts, this file), and what every tab sees
 * of them (status.ts, relay.ts, wire.ts). It is the only layer that talks to the API.
 *
 * The sync engine: one round at a time in this store, and one tab at a time per
 * database (a platform lock around every round). A round pushes the outbox, then pulls.
 * When rounds run is schedule.ts's business; what the app sees is status.ts's.
 */
import type { Subscription } from 'rxjs';
import { keysLive, retrying, tableLive, throttledLive } from '../local/live.js';
import { StorageError, toStorageError } from '../model/errors.js';
import type { PullKind, SyncStatus, SyncSummary } from '../model/sync.js';
import { clock } from '../platform/clock.js';
import type { Platform } from '../platform/platform.js';
import { readMeta } from '../storage/meta.js';
import { earliestDeadline, pendingRecordIds } from '../storage/outbox.js';
import { countRejections } from '../storage/rejections.js';
import type { SyncContext } from './context.js';
import { withDebugEvents } from './context.js';
import { type RefreshResult, refreshRecords } from './refresh.js';
import { Relay } from './relay.js';
import { emptySummary, runRound } from './round.js';
import { Scheduler, strongest } from './schedule.js';
import { type StatusAction, StatusStore } from './status.js';

/** `pending$` re-reads the outbox at most this often while writes keep coming. */
const PENDING_WINDOW_MS = 50;

export interface EngineOptions {
  auto: boolean;
  intervalMs: number;
  debounceMs: number;
  lockName: string;
  platform: Platform;
  /** Called at the end of every round, inside its lock (storage upkeep, quota.ts). */
  roundEnded?: (summary: SyncSummary) => Promise<void>;
  /**
   * False where there is no IndexedDB (a server render): nothing is read, scheduled or
   * said to other tabs, so the engine holds no timer and no channel. Default true.
   */
  database?: boolean;
}

export class SyncEngine {
  readonly statusStore = new StatusStore();
  readonly #context: SyncContext;
  readonly #options: EngineOptions;
  readonly #scheduler: Scheduler;
  readonly #relay: Relay;
  readonly #subscriptions: Subscription[] = [];
  #running: Promise<SyncSummary> | null = null;
  /** What the running round pulls (a `now()` asking for more waits for the next one). */
  #runningPull: PullKind | null = null;
  #followUp: Promise<SyncSummary> | null = null;
  #followUpPull: PullKind = 'none';
  #closed = false;
  #paused = false;

  constructor(context: SyncContext, options: EngineOptions) {
    this.#options = options;
    const status = this.statusStore;
    // Every tab shows this store's rounds and events, and this store shows theirs.
    const database = options.database !== false;
    // Without a database there is no state to share: no channel to other tabs.
    const platform = database ? options.platform : { ...options.platform, channel: undefined };
    this.#relay = new Relay(platform, `${options.lockName}:status`, status, {
      paused: () => this.#paused,
      setPaused: (paused) => {
        this.#paused = paused;
      },
      announce: (...actions) => this.#announce(...actions),
      plan: () => this.#scheduler.plan(0, 'recent'),
      events: context.events,
    });
    this.#context = {
      ...context,
      events: {
        ...withDebugEvents(this.#relay.share(context.events)),
        queueChanged: (recordId, queued) => {
          status.queueChanged(recordId, queued);
          context.events.queueChanged(recordId, queued);
        },
        progress: (progress) => {
          status.dispatch({ type: 'progress', progress });
          this.#relay.publish(); // Every tab shows the walk's progress.
          context.events.progress(progress);
        },
      },
    };
    this.#scheduler = new Scheduler(options, (pull) => {
      if (this.#closed || this.#paused) return true;
      if (this.#running !== null) return false;
      void this.#run(false, pull);
      return true;
    });
    const { db } = context;
    // Each live read below fails and retries on timers where there is no database.
    if (!database) return;
    // One getAll rather than a key cursor (a round trip per step), and at most one read
    // per PENDING_WINDOW_MS during a burst of writes.
    // Each read is retried after a failure: one failed read must not freeze pending$ or
    // the status for the rest of the session.
    this.#subscriptions.push(
      retrying(
        throttledLive(
          db.name,
          ['outbox'],
          () => this.#readPending(),
          () => false,
          PENDING_WINDOW_MS,
        ),
      ).subscribe(({ ids, version }) => status.readPending(ids, version)),
      retrying(tableLive(db, ['rejections'], () => countRejections(db))).subscribe((count) =>
        status.dispatch({ type: 'rejected', count }),
      ),
      retrying(
        keysLive(db, 'meta', ['lastSyncedAt'], () => readMeta(db, 'lastSyncedAt')),
      ).subscribe((at) => status.dispatch({ type: 'synced', at })),
      retrying(
        keysLive(db, 'meta', ['lastFullSyncAt'], () => readMeta(db, 'lastFullSyncAt')),
      ).subscribe((at) => status.dispatch({ type: 'walked', at })),
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
    if (this.#closed || this.#options.database === false) return;
    if (this.#paused) this.#relay.resume(); // The leading tab may be another one.
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

  /**
   * One round now, skipping backoff deadlines. A call during a forced round that pulls at
   * least as much shares it; otherwise one follow-up round runs after the current one.
   */
  now(pull: PullKind = 'full'): Promise<SyncSummary> {
    if (this.#closed) return Promise.reject(new StorageError('sync.now: the store is closed'));
    this.#paused = false;
    if (this.#running !== null) {
      if (this.#runningPull !== null && strongest(this.#runningPull, pull) === this.#runningPull) {
        return this.#running;
      }
      this.#followUpPull = strongest(this.#followUpPull, pull);
      this.#followUp ??= this.#running.then(() => {
        this.#followUp = null;
        const kind = this.#followUpPull;
        this.#followUpPull = 'none';
        return this.#run(true, kind);
      });
      return this.#followUp;
    }
    return this.#run(true, pull);
  }

  /** Resolves once a complete walk has ever finished; rejects if the store closes first. */
  firstSync(): Promise<void> {
    return new Promise((resolve, reject) => {
      const subscription = this.statusStore.status$.subscribe({
        next: (status) => {
          if (!status.hasSynced) return;
          resolve();
          queueMicrotask(() => subscription.unsubscribe());
        },
        complete: () => reject(new StorageError('sync.firstSync: the store closed first')),
      });
    });
  }

  /** Reads records by id and reconciles them (under the sync lock, between rounds). */
  refresh(ids: readonly string[]): Promise<RefreshResult> {
    if (this.#closed) return Promise.reject(new StorageError('sync.refresh: the store is closed'));
    return this.#options.platform.withLock(this.#options.lockName, async () => {
      try {
        return await refreshRecords(this.#context, ids);
      } catch (error) {
        throw toStorageError(error, 'refresh');
      }
    });
  }

  /** Stops everything and waits for a round in progress to end. */
  async close(): Promise<void> {
    this.stop();
    this.#closed = true;
    await Promise.allSettled([this.#running, this.#followUp]);
    await this.#relay.close();
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
    this.statusStore.close();
  }

  #run(force: boolean, pull: PullKind): Promise<SyncSummary> {
    this.#runningPull = force ? pull : null;
    const round = this.#options.platform
      .withLock(this.#options.lockName, () => this.#round(force, pull))
      .finally(() => {
        this.#running = null;
        this.#runningPull = null;
        if (this.#closed) return;
        if (this.#paused) return this.#scheduler.forgetRerun();
        if (!this.#scheduler.roundEnded()) void this.#scheduleRetry();
      });
    this.#running = round;
    return round;
  }

  async #round(force: boolean, requested: PullKind): Promise<SyncSummary> {
    const reconnected = this.#scheduler.takeReconnected();
    if (this.#closed) return { ...emptySummary(), state: this.status.state };
    if (!force && !this.#options.platform.isOnline()) {
      await this.#announce({ type: 'state', state: 'offline' });
      this.#relay.publish();
      return { ...emptySummary(), state: 'offline' };
    }
    this.statusStore.dispatch({ type: 'started' });
    this.#relay.publish();
    const { summary, paused, actions } = await runRound(this.#context, {
      force,
      requested,
      reconnected,
      paused: this.#paused,
    });
    this.#paused = paused;
    await this.#options.roundEnded?.(summary).catch(() => {}); // Upkeep retries next round.
    // The browser went offline while the round ran (its requests all landed before): the
    // state the app sees is what the browser says now, not what the round met.
    const state =
      summary.state === 'idle' && !this.#options.platform.isOnline() ? 'offline' : summary.state;
    await this.#announce(...actions, { type: 'ended', state, error: summary.error });
    this.#relay.publish();
    return summary;
  }

  /** Wakes up when the earliest backoff deadline of the outbox passes. */
  async #scheduleRetry(): Promise<void> {
    if (!this.#scheduler.started) return;
    if (!this.#options.platform.isOnline()) return; // The online event wakes it.
    let earliest: number;
    try {
      earliest = await earliestDeadline(this.#context.db, clock().now());
    } catch {
      return; // The database closed meanwhile.
    }
    if (earliest === Number.POSITIVE_INFINITY || this.#closed || this.#paused) return;
    // After a failed round, never spin: wait at least the first backoff step.
    const floor = this.status.state === 'idle' ? 0 : this.#context.policy.baseMs;
    this.#scheduler.plan(Math.max(floor, earliest - clock().now()), 'none');
  }
}
