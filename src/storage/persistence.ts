/**
 * `store.storage`: persistent storage and the usage estimate, over the platform's
 * storage manager (`navigator.storage` in browsers; tests pass a fake).
 */
import { type Observable, ReplaySubject } from 'rxjs';
import { toStorageError } from '../model/errors.js';
import type { StorageManagerLike } from '../platform/platform.js';
import { readMeta, writeMeta } from './meta.js';
import type { StoreDatabase } from './schema.js';

/** How much the origin stores and may store, in bytes (`navigator.storage.estimate()`). */
export interface StorageEstimate {
  /** Bytes the origin uses (every storage of the origin, not only this store). */
  usage: number;
  /** Bytes the browser allows the origin. */
  quota: number;
}

/** Persistence and usage of the local store. */
export interface StorageView {
  /**
   * Asks the browser to keep this origin's data under storage pressure
   * (`navigator.storage.persist()`), once: the answer is remembered in the database and
   * shown as `status.persisted`. Resolves false where the API is missing. Call it after
   * sign-in; browsers that require a user gesture (Safari, Firefox's prompt) want it
   * called from one, such as the sign-in button's click handler.
   */
  persist(): Promise<boolean>;
  /**
   * The latest usage estimate, or null where the browser has none. Refreshed when a
   * sync round ends and after a write failed; replays the latest to new subscribers.
   */
  estimate$: Observable<StorageEstimate | null>;
}

/** The storage view of one store, and what the store calls to keep it current. */
export class StorageMonitor implements StorageView {
  readonly #estimate = new ReplaySubject<StorageEstimate | null>(1);
  readonly estimate$ = this.#estimate.asObservable();
  readonly #db: StoreDatabase;
  readonly #manager: StorageManagerLike | undefined;
  readonly #persisted: (value: boolean) => void;
  #asked: Promise<boolean> | null = null;
  #closed = false;

  /** `persisted` is told the remembered answer now and every new one. */
  constructor(
    db: StoreDatabase,
    manager: StorageManagerLike | undefined,
    persisted: (value: boolean) => void,
  ) {
    this.#db = db;
    this.#manager = manager;
    this.#persisted = persisted;
    void this.#remembered().then((value) => {
      if (value !== undefined) persisted(value);
    });
    this.refresh();
  }

  async #remembered(): Promise<boolean | undefined> {
    try {
      const value = await readMeta(this.#db, 'persisted');
      return typeof value === 'boolean' ? value : undefined;
    } catch {
      return undefined; // Closed or signed out: persist() reports it.
    }
  }

  persist(): Promise<boolean> {
    this.#asked ??= (async () => {
      if ((await this.#remembered()) === true) return true; // Granted for good.
      let granted = false;
      try {
        granted = (await this.#manager?.persist?.()) ?? false;
      } catch {
        granted = false; // Refused outright (no user gesture, a policy).
      }
      await writeMeta(this.#db, 'persisted', granted);
      this.#persisted(granted);
      return granted;
    })().catch((error: unknown) => {
      this.#asked = null;
      throw toStorageError(error, 'persist');
    });
    return this.#asked;
  }

  /** Reads the estimate again (after a round, after a failed write). */
  refresh(): void {
    const estimate = this.#manager?.estimate;
    if (typeof estimate !== 'function') {
      if (!this.#closed) this.#estimate.next(null);
      return;
    }
    estimate.call(this.#manager).then(
      ({ usage, quota }) => {
        if (this.#closed) return;
        this.#estimate.next(
          typeof usage === 'number' && typeof quota === 'number' ? { usage, quota } : null,
        );
      },
      () => {
        if (!this.#closed) this.#estimate.next(null);
      },
    );
  }

  close(): void {
    this.#closed = true;
    this.#estimate.complete();
  }
}
