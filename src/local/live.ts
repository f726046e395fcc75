/**
 * Live reads as RxJS observables: Dexie's liveQuery bridged to RxJS, and a throttled
 * variant for summaries over whole tables (what the outbox holds).
 */
import { Dexie, liveQuery } from 'dexie';
import { distinctUntilChanged, Observable, retry } from 'rxjs';
import { clock, type TimerHandle } from '../platform/clock.js';
import { type MutatedParts, onChange, touches, touchesKeys } from '../storage/changes.js';

/**
 * Wraps a Dexie live query in an RxJS Observable that emits only on a real change.
 * Each subscriber gets its own live query; unsubscribing releases it.
 */
export function live<T>(query: () => Promise<T>, equal: (a: T, b: T) => boolean): Observable<T> {
  return new Observable<T>((subscriber) => {
    const subscription = liveQuery(query).subscribe({
      next: (value) => subscriber.next(value),
      error: (error) => subscriber.error(error),
    });
    return () => subscription.unsubscribe();
  }).pipe(distinctUntilChanged(equal));
}

/**
 * Like {@link live}, for summaries over whole tables (what the outbox holds): re-reads when
 * one of `tables` changes, in this tab or another, at most once per `windowMs`. The first
 * change after a quiet period reads at once; changes during a read or the window after it
 * are coalesced into one more read. A burst of writes thus costs a few reads, not one each.
 */
export function throttledLive<T>(
  databaseName: string,
  tables: readonly string[],
  query: () => Promise<T>,
  equal: (a: T, b: T) => boolean,
  windowMs: number,
  /** Narrows the changes that count, beyond the tables they touched. */
  counts: (parts: MutatedParts) => boolean = () => true,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let running = false;
    let dirty = false;
    let closed = false;
    let lastRead = Number.NEGATIVE_INFINITY;
    let timer: TimerHandle | undefined;
    const run = async () => {
      running = true;
      dirty = false;
      lastRead = clock().monotonic(); // Monotonic: a clock set back must not stall reads.
      try {
        // Outside any transaction the change notification may have been fired from.
        const value = await Dexie.ignoreTransaction(query);
        if (!closed) subscriber.next(value);
      } catch (error) {
        if (!closed) subscriber.error(error);
        return;
      } finally {
        running = false;
      }
      if (dirty) schedule();
    };
    const schedule = () => {
      dirty = true;
      if (closed || running || timer !== undefined) return;
      const wait = lastRead + windowMs - clock().monotonic();
      if (wait <= 0) {
        void run();
        return;
      }
      timer = clock().setTimeout(() => {
        timer = undefined;
        void run();
      }, wait);
    };
    const stop = onChange(databaseName, (changed, parts) => {
      if (touches(changed, tables) && counts(parts)) schedule();
    });
    void run();
    return () => {
      closed = true;
      clock().clearTimeout(timer);
      stop();
    };
  }).pipe(distinctUntilChanged(equal));
}

/**
 * A read of some tables of one database, read again whenever one of them changes (in this
 * tab or another), emitting only when its value moved. Coarser than {@link live} (any change
 * to the tables counts), and it costs other stores nothing: changes reach it through the
 * one listener of its database (storage/changes.ts), where each live query hears them all.
 */
export function tableLive<T>(
  db: { name: string },
  tables: readonly string[],
  query: () => Promise<T>,
  equal: (a: T, b: T) => boolean = Object.is,
): Observable<T> {
  return throttledLive(db.name, tables, query, equal, 0);
}

/**
 * A read of some rows of one table, read again whenever one of them is written (in this
 * tab or another): a walk's progress, written to `meta` page by page, does not make the
 * sync times of the same table be read again.
 */
export function keysLive<T>(
  db: { name: string },
  table: string,
  keys: readonly string[],
  query: () => Promise<T>,
  equal: (a: T, b: T) => boolean = Object.is,
): Observable<T> {
  return throttledLive(db.name, [table], query, equal, 0, (parts) =>
    touchesKeys(parts, db.name, table, keys),
  );
}

/** The first wait of {@link retrying} after a failed read; it doubles up to {@link RETRY_MAX_MS}. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 30_000;

/**
 * Subscribes to `source` again after it fails: a live read behind the store's own state
 * (what the outbox holds, the sync times) must outlive one failed read. Waits 100 ms, then
 * twice as long after each further failure, up to 30 s; a value resets the wait.
 */
export function retrying<T>(source: Observable<T>): Observable<T> {
  return source.pipe(
    retry({
      resetOnSuccess: true,
      delay: (_error, count) => after(Math.min(RETRY_FIRST_MS * 2 ** (count - 1), RETRY_MAX_MS)),
    }),
  );
}

function after(delayMs: number): Observable<void> {
  return new Observable<void>((subscriber) => {
    const timer = clock().setTimeout(() => {
      subscriber.next();
      subscriber.complete();
    }, delayMs);
    return () => clock().clearTimeout(timer);
  });
}
