/**
 * The lists the app is looking at: every `list$` with a subscriber registers its
 * parameters here, and the registry tells the database (so the tab that runs rounds
 * learns about the lists of every tab). A recent pull reads the server's answer for each.
 * Subscribing and unsubscribing only count in memory; the set is written at most once
 * per {@link PUBLISH_MS} (the first change after a quiet spell at once, so that a list the
 * user just opened reaches the next round; later ones together when the window ends), and
 * only when it differs from what was last written.
 */
import { Observable } from 'rxjs';
import type { ListParams } from '../model/conversation.js';
import { parseListParams } from '../model/validate.js';
import { clock, type TimerHandle } from '../platform/clock.js';
import { randomId } from '../storage/ids.js';
import { readWatched, type WatchedEntry, writeWatched } from '../storage/meta.js';
import type { StoreDatabase } from '../storage/schema.js';

/** The registry is written at most this often: a burst of subscriptions costs one write. */
export const PUBLISH_MS = 250;
/** A tab refreshes its entry this often while it watches lists. */
const HEARTBEAT_MS = 5 * 60_000;
/** Entries not refreshed for this long belong to tabs that are gone. */
const EXPIRES_MS = 3 * HEARTBEAT_MS;

/** A canonical key for list parameters: equal parameters, equal keys. */
export function listKey(input: ListParams | undefined): string {
  const params = parseListParams(input) as unknown as Record<string, unknown>;
  const sorted = Object.keys(params)
    .sort()
    .map((key) => [key, params[key]]);
  return JSON.stringify(sorted);
}

/** A registry entry names the store that wrote it: a store's own lists come from memory. */
interface OwnedEntry extends WatchedEntry {
  storeId?: string;
}

export class WatchedLists {
  readonly #db: StoreDatabase;
  readonly #storeId = randomId(12);
  /** Parameters by key, with how many subscribers each has. */
  readonly #lists = new Map<string, { params: ListParams; count: number }>();
  /** The pending write of the current set, at most one. */
  #pending: TimerHandle | undefined;
  /** Monotonic ms of the last write: the window no second write starts in. */
  #lastWrite = Number.NEGATIVE_INFINITY;
  #heartbeat: TimerHandle | undefined;
  /** The keys of the set last written ('' = no entry), or null when unknown (a write failed). */
  #written: string | null = '';
  #closed = false;

  constructor(db: StoreDatabase) {
    this.#db = db;
  }

  /** Wraps a list observable so that it counts as watched while subscribed. */
  track<T>(params: ListParams | undefined, source: Observable<T>): Observable<T> {
    const key = listKey(params);
    const parsed = parseListParams(params);
    return new Observable<T>((subscriber) => {
      this.#add(key, parsed);
      const subscription = source.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        this.#remove(key);
      };
    });
  }

  /** The distinct lists watched in every tab of this database (this tab's from memory). */
  async all(): Promise<ListParams[]> {
    const now = clock().now();
    const byKey = new Map<string, ListParams>();
    for (const [key, { params }] of this.#lists) byKey.set(key, params);
    let entries: OwnedEntry[] = [];
    try {
      entries = await readWatched(this.#db);
    } catch {
      // This tab's own lists still count.
    }
    for (const entry of entries) {
      // Its own entry may lag behind memory by a window.
      if (entry.storeId === this.#storeId || now - entry.at > EXPIRES_MS) continue;
      for (const params of entry.lists) byKey.set(listKey(params), params);
    }
    return [...byKey.values()];
  }

  /** Forgets this tab's entry; no timer is left behind. */
  async close(): Promise<void> {
    this.#closed = true;
    clock().clearTimeout(this.#pending);
    clock().clearInterval(this.#heartbeat);
    this.#pending = undefined;
    this.#heartbeat = undefined;
    this.#lists.clear();
    if (this.#written === '') return;
    this.#written = '';
    await writeWatched(this.#db, this.#storeId, { lists: [], at: 0 }).catch(() => {});
  }

  #add(key: string, params: ListParams): void {
    const current = this.#lists.get(key);
    if (current !== undefined) {
      current.count += 1;
      return;
    }
    this.#lists.set(key, { params, count: 1 });
    this.#schedule();
  }

  #remove(key: string): void {
    const current = this.#lists.get(key);
    if (current === undefined) return;
    current.count -= 1;
    if (current.count > 0) return;
    this.#lists.delete(key);
    this.#schedule();
  }

  /** The set changed: write it now, or when the window of the last write ends. */
  #schedule(): void {
    if (this.#closed || this.#pending !== undefined) return;
    const wait = this.#lastWrite + PUBLISH_MS - clock().monotonic();
    if (wait <= 0) this.#publish(false);
    else this.#pending = clock().setTimeout(() => this.#publish(false), wait);
  }

  /** Writes the current set if it differs from the last written, or always to `refresh` its time. */
  #publish(refresh: boolean): void {
    clock().clearTimeout(this.#pending);
    this.#pending = undefined;
    if (this.#closed) return;
    const keys = [...this.#lists.keys()].sort().join('\n');
    if (keys !== '' && this.#heartbeat === undefined) {
      this.#heartbeat = clock().setInterval(() => this.#publish(true), HEARTBEAT_MS);
    } else if (keys === '') {
      clock().clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
    if (keys === this.#written && !refresh) return;
    this.#written = keys;
    this.#lastWrite = clock().monotonic();
    const lists = [...this.#lists.values()].map((entry) => entry.params);
    const entry: OwnedEntry = { lists, at: clock().now(), storeId: this.#storeId };
    void writeWatched(this.#db, this.#storeId, entry).catch(() => {
      if (this.#written === keys) this.#written = null; // Unknown now: the next change writes.
    });
  }
}
