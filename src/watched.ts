/**
 * The lists the app is looking at: every `list$` with a subscriber registers its
 * parameters here, and the registry tells the database (so the tab that runs rounds
 * learns about the lists of every tab). A recent pull reads the server's answer for each.
 */
import { Observable } from 'rxjs';
import { clock, type TimerHandle } from './clock.js';
import type { StoreDatabase } from './db.js';
import { randomId } from './ids.js';
import { readWatched, type WatchedEntry, writeWatched } from './meta.js';
import type { ListParams } from './model.js';
import { parseListParams } from './validate.js';

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

export class WatchedLists {
  readonly #db: StoreDatabase;
  readonly #storeId = randomId(12);
  /** Parameters by key, with how many subscribers each has. */
  readonly #lists = new Map<string, { params: ListParams; count: number }>();
  #heartbeat: TimerHandle | undefined;
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

  /** The distinct lists watched in every tab of this database. */
  async all(): Promise<ListParams[]> {
    const now = clock().now();
    const byKey = new Map<string, ListParams>();
    for (const { params } of this.#lists.values()) byKey.set(listKey(params), params);
    let entries: WatchedEntry[] = [];
    try {
      entries = await readWatched(this.#db);
    } catch {
      // This tab's own lists still count.
    }
    for (const entry of entries) {
      if (now - entry.at > EXPIRES_MS) continue;
      for (const params of entry.lists) byKey.set(listKey(params), params);
    }
    return [...byKey.values()];
  }

  /** Forgets this tab's entry. */
  async close(): Promise<void> {
    this.#closed = true;
    clock().clearInterval(this.#heartbeat);
    this.#lists.clear();
    await writeWatched(this.#db, this.#storeId, { lists: [], at: 0 }).catch(() => {});
  }

  #add(key: string, params: ListParams): void {
    const current = this.#lists.get(key);
    if (current !== undefined) {
      current.count += 1;
      return;
    }
    this.#lists.set(key, { params, count: 1 });
    this.#publish();
  }

  #remove(key: string): void {
    const current = this.#lists.get(key);
    if (current === undefined) return;
    current.count -= 1;
    if (current.count > 0) return;
    this.#lists.delete(key);
    this.#publish();
  }

  #publish(): void {
    if (this.#closed) return;
    const lists = [...this.#lists.values()].map((entry) => entry.params);
    void writeWatched(this.#db, this.#storeId, { lists, at: clock().now() }).catch(() => {});
    if (lists.length > 0 && this.#heartbeat === undefined) {
      this.#heartbeat = clock().setInterval(() => this.#publish(), HEARTBEAT_MS);
    } else if (lists.length === 0) {
      clock().clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }
}
