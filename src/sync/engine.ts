/**
 * The sync engine: rounds (push, then pull), their scheduling, and `status$`.
 * One round at a time in this store, and one tab at a time per database (a platform
 * lock around every round). Automatic rounds run at start, shortly after local writes,
 * when the network comes back, when the page becomes visible, on an interval, and when
 * the earliest backoff deadline passes.
 */
import { type Observable, ReplaySubject, type Subscription } from 'rxjs';
import { AuthError, NetworkError, toStorageError } from '../errors.js';
import { live, throttledLive } from '../queries.js';
import type { SyncContext } from './context.js';
import { pull } from './pull.js';
import { push } from './push.js';
import type { Platform } from './triggers.js';

/** `pending$` re-reads the outbox at most this often while writes keep coming. */
const PENDING_WINDOW_MS = 50;

/** The sync state the app shows (DESIGN section 2). */
export interface SyncStatus {
  /**
   * `'idle'`: nothing running; `'syncing'`: a round is running; `'offline'`: the network is
   * unreachable; `'paused'`: the token was refused (`AuthError`); `'error'`: the last round failed.
   */
  state: 'idle' | 'syncing' | 'offline' | 'paused' | 'error';
  /** Records with changes not yet on the server (the size of `pending$`). */
  pending: number;
  /** Writes the server refused that the app has not retried or discarded yet. */
  rejected: number;
  /** Unix ms of the end of the last round whose pull read every page. */
  lastSyncedAt: number | null;
  /** The last round's error (typed: NetworkError, AuthError, ApiError, StorageError...), or null. */
  lastError: Error | null;
}

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
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) =>
  a.size === b.size && [...a].every((id) => b.has(id));

export class SyncEngine {
  /**
   * Replays the latest status to each subscriber. The first value waits until the
   * counts were read from IndexedDB, so no subscriber ever sees a false "0 pending".
   */
  readonly status$ = new ReplaySubject<SyncStatus>(1);
  readonly pending$ = new ReplaySubject<ReadonlySet<string>>(1);
  #status: SyncStatus = {
    state: 'idle',
    pending: 0,
    rejected: 0,
    lastSyncedAt: null,
    lastError: null,
  };
  /** The counts still to be read before status$ first emits. */
  readonly #loading = new Set<keyof SyncStatus>(['pending', 'rejected', 'lastSyncedAt']);
  readonly #context: SyncContext;
  readonly #options: EngineOptions;
  readonly #subscriptions: Subscription[] = [];
  #running: Promise<SyncSummary> | null = null;
  #runningForced = false;
  #followUp: Promise<SyncSummary> | null = null;
  #started = false;
  #closed = false;
  #paused = false;
  #rerun = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #interval: ReturnType<typeof setInterval> | undefined;
  #unlisten: (() => void)[] = [];
  #announced = false;
  /** The last set `pending$` emitted. */
  #pendingIds: ReadonlySet<string> | null = null;
  /** This store leads automatic sync for its database (see Platform.lead). */
  #leader = false;
  /** Wakes the leading tab (set while a follower). */
  #wake: (() => void) | null = null;
  /** The network came back since the last automatic round started. */
  #reconnected = false;

  constructor(context: SyncContext, options: EngineOptions) {
    this.#context = context;
    this.#options = options;
    const { db } = context;
    // One getAll rather than a key cursor (a round trip per step), and at most one read
    // per PENDING_WINDOW_MS during a burst of writes.
    const pendingIds: Observable<ReadonlySet<string>> = throttledLive(
      db,
      ['outbox'],
      () => this.#readPending(),
      sameSet,
      PENDING_WINDOW_MS,
    );
    this.#subscriptions.push(
      pendingIds.subscribe({ next: (ids) => this.#setPending(ids), error: () => {} }),
      live(
        () => db.rejections.count(),
        (a, b) => a === b,
      ).subscribe({ next: (rejected) => this.#update({ rejected }), error: () => {} }),
      live(
        async () => (await db.meta.get('lastSyncedAt'))?.value ?? null,
        (a, b) => a === b,
      ).subscribe({
        next: (value) => this.#update({ lastSyncedAt: typeof value === 'number' ? value : null }),
        error: () => {},
      }),
    );
  }

  async #readPending(): Promise<ReadonlySet<string>> {
    return new Set((await this.#context.db.outbox.toArray()).map((entry) => entry.recordId));
  }

  /** Emits `ids` on `pending$` when they differ, and sets the count with `change` in one status. */
  #setPending(ids: ReadonlySet<string>, change: Partial<SyncStatus> = {}): void {
    if (this.#pendingIds === null || !sameSet(this.#pendingIds, ids)) {
      this.#pendingIds = ids;
      this.pending$.next(ids);
    }
    this.#update({ ...change, pending: ids.size });
  }

  /**
   * Sets a new state with a pending count read just now: `pending$` may trail a burst of
   * writes by up to PENDING_WINDOW_MS, but a state change never shows a stale count.
   */
  async #announce(change: Partial<SyncStatus>): Promise<void> {
    let ids: ReadonlySet<string>;
    try {
      ids = await this.#readPending();
    } catch {
      this.#update(change); // The live read reports the count when it can.
      return;
    }
    this.#setPending(ids, change);
  }

  /** The latest status (also before status$ first emits). */
  get status(): SyncStatus {
    return this.#status;
  }

  #update(change: Partial<SyncStatus>): void {
    if (this.#closed) return;
    const next = { ...this.#status, ...change };
    for (const key of Object.keys(change) as (keyof SyncStatus)[]) this.#loading.delete(key);
    const same = (Object.keys(next) as (keyof SyncStatus)[]).every(
      (key) => next[key] === this.#status[key],
    );
    this.#status = next;
    if (this.#loading.size === 0 && (!same || !this.#announced)) {
      this.#announced = true;
      this.status$.next(next);
    }
  }

  /** Starts automatic sync (and resumes after an authentication pause). */
  start(): void {
    if (this.#closed) return;
    this.#paused = false;
    if (this.#started) {
      this.#schedule(0);
      return;
    }
    this.#started = true;
    const { platform, intervalMs, lockName, debounceMs } = this.#options;
    // One tab leads: it alone runs automatic rounds. Others wake it after their writes.
    const channel = platform.channel?.(`${lockName}:wake`);
    this.#wake = channel === undefined ? null : () => channel.post();
    if (platform.lead !== undefined) {
      this.#leader = false;
      this.#unlisten.push(
        platform.lead(`${lockName}:leader`, () => {
          this.#leader = true;
          this.#schedule(0);
        }),
      );
    } else {
      this.#leader = true;
    }
    if (channel !== undefined) {
      this.#unlisten.push(
        channel.listen(() => this.#schedule(debounceMs, true)),
        () => channel.close(),
      );
    }
    this.#unlisten.push(
      platform.onOnline(() => {
        this.#reconnected = true;
        this.#schedule(0);
      }),
      platform.onVisible(() => this.#schedule(0)),
    );
    if (intervalMs > 0) this.#interval = setInterval(() => this.#schedule(0), intervalMs);
    this.#schedule(0);
  }

  /** Stops automatic sync; a round in progress finishes. `now()` still works. */
  stop(): void {
    this.#started = false;
    this.#leader = false;
    this.#wake = null;
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    clearInterval(this.#interval);
    this.#clearTimer();
  }

  /** A local write was committed: sync soon (debounced). */
  written(): void {
    if (!this.#started || this.#paused) return;
    if (this.#leader) this.#schedule(this.#options.debounceMs, true);
    else this.#wake?.();
  }

  /** One round now, skipping backoff deadlines. Concurrent calls share one round. */
  now(): Promise<SyncSummary> {
    if (this.#closed) return Promise.reject(new Error('The store is closed'));
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
    this.pending$.complete();
    this.status$.complete();
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Plans an automatic round in `delayMs`. An earlier plan wins, except that `debounce`
   * pushes a pending write-triggered plan back (a burst of writes makes one round).
   */
  #schedule(delayMs: number, debounce = false): void {
    if (!this.#started || !this.#leader || this.#closed || this.#paused) return;
    const at = Date.now() + delayMs;
    if (!debounce && this.#timer !== undefined && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#clearTimer();
      if (this.#running !== null) {
        this.#rerun = true;
        return;
      }
      void this.#run(false);
    }, delayMs);
  }

  #run(force: boolean): Promise<SyncSummary> {
    this.#runningForced = force;
    const round = this.#options.platform
      .withLock(this.#options.lockName, () => this.#round(force))
      .finally(() => {
        this.#running = null;
        if (this.#rerun && !this.#closed) {
          this.#rerun = false;
          this.#schedule(0);
        } else {
          void this.#scheduleRetry();
        }
      });
    this.#running = round;
    return round;
  }

  async #round(force: boolean): Promise<SyncSummary> {
    const reconnected = this.#reconnected;
    this.#reconnected = false;
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
    if (this.#closed) return { ...summary, state: this.#status.state };
    if (!force && !this.#options.platform.isOnline()) {
      await this.#announce({ state: 'offline' });
      return { ...summary, state: 'offline' };
    }
    this.#update({ state: 'syncing' });
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
        .put({ key: 'lastSyncedAt', value: this.#context.clockMs() })
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
    await this.#announce({ state: summary.state, lastError: summary.error });
    return summary;
  }

  /** Wakes up when the earliest backoff deadline of the outbox passes. */
  async #scheduleRetry(): Promise<void> {
    if (!this.#started || this.#closed || this.#paused) return;
    if (!this.#options.platform.isOnline()) return; // The online event wakes it.
    let earliest = Number.POSITIVE_INFINITY;
    const heads = new Set<string>();
    try {
      // Only each record's first entry can be sent; later ones wait behind it.
      await this.#context.db.outbox.each((entry) => {
        if (heads.has(entry.recordId)) return;
        heads.add(entry.recordId);
        if (entry.notBefore < earliest) earliest = entry.notBefore;
      });
    } catch {
      return; // The database closed meanwhile.
    }
    if (earliest === Number.POSITIVE_INFINITY) return;
    // After a failed round, never spin: wait at least the first backoff step.
    const floor = this.#status.state === 'idle' ? 0 : this.#context.policy.baseMs;
    this.#schedule(Math.max(floor, earliest - this.#context.clockMs()));
  }
}
