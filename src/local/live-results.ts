/**
 * The local layer (`src/local/`): what the app reads and writes, answered from IndexedDB
 * at once. Writes (writes.ts), the live results cache (this file) and the patches it
 * applies (patch.ts), live queries (live.ts), per-list freshness (list-state.ts), and what
 * the app watches (watched-lists.ts, watched-records.ts). It builds on storage, never on sync.
 *
 * The live results cache: one current result per `list$` parameters and per `retrieve$`
 * id with a subscriber, shared by every subscriber of it and answering `list`/`retrieve`
 * with the same parameters at once. A result the app read (`list`, `list$`, `retrieve`,
 * `retrieve$`) stays warm for `cacheMs` after its last use, at most 64 lists and 256
 * records (least recently used leave first): the same read again answers from memory.
 *
 * The store's own writes patch the results in memory (patch.ts), without reading
 * IndexedDB: a write tells this cache what it changed inside its transaction (`claim`),
 * and the patch applies when Dexie reports that transaction committed, before the write's
 * promise resolves. Every other change of the records (a pull, a settled reply, an
 * eviction, another tab) marks the results it may touch stale: those with subscribers are
 * read again, as a live query would; warm ones without are read again when next asked. A
 * result is only ever one that was committed, and a result answers a read only while
 * fresh; each emits once per transaction, and only when it changed.
 *
 * What it holds is also the guess of the next write of a record (`known`, writes.ts): a
 * fresh result's row, or the row and queue the store's own last write of it left. A write
 * confirms its guess inside its transaction, so a stale one costs a retry, never a row.
 */
import { Dexie } from 'dexie';
import { Observable, type Subscriber } from 'rxjs';
import {
  type Conversation,
  type ListPage,
  type ListParams,
  sameConversation,
} from '../model/conversation.js';
import { closedStoreError } from '../model/errors.js';
import { parseId, parseListParams } from '../model/validate.js';
import { clock } from '../platform/clock.js';
import { type MutatedParts, onChange, touches } from '../storage/changes.js';
import { EMPTY_QUEUE, type RecordQueue } from '../storage/coalesce.js';
import { listConversations, retrieveConversation, samePage } from '../storage/queries.js';
import type { StoreDatabase } from '../storage/schema.js';
import { patchPage, type RecordChange } from './patch.js';
import { listKey } from './watched-lists.js';
import type { HeldRecord } from './writes.js';

/** How many warm results without a subscriber stay, per kind (least recently used leave first). */
const MAX_WARM = { lists: 64, records: 256 } as const;

/** How many records, as this store's own writes left them, are held for the next write. */
const MAX_HELD = 256;

/** A write's change of a record, claimed inside its transaction, and the queue it left. */
interface Claim extends RecordChange {
  queue: RecordQueue;
}

/** One live result: its current value while fresh, and who sees it. */
class Result<T> {
  value: T | undefined;
  /** Whether `value` has been read: a stale result keeps its last value to compare with. */
  #read = false;
  fresh = false;
  /** The read in progress, if any. */
  #running: Promise<T> | null = null;
  #again = false;
  readonly subscribers = new Map<Subscriber<T>, boolean>();
  /** Monotonic ms of the last use: a one-shot read, or the last subscriber leaving. */
  usedAt = 0;

  constructor(
    readonly read: () => Promise<T>,
    readonly equal: (a: T, b: T) => boolean,
    /** The value after a change, or null when only a read can tell. */
    readonly patch: (value: T, change: RecordChange) => T | null,
  ) {}

  /** Applies the store's own committed changes, those of one transaction: one emission. */
  apply(changes: readonly RecordChange[]): void {
    let next = this.fresh ? (this.value as T) : null;
    for (const change of changes) if (next !== null) next = this.patch(next, change);
    if (next === null) this.stale();
    else this.#set(next);
  }

  /**
   * Something changed that a patch cannot describe: read again (once more if reading), or,
   * without a subscriber, when next asked.
   */
  stale(): void {
    this.fresh = false;
    if (this.#running !== null) this.#again = true;
    else if (this.subscribers.size > 0) this.#run().catch(() => {}); // Errors reach them.
  }

  /** The current value: the fresh one from memory, else read. */
  get(): Promise<T> {
    return this.fresh ? Promise.resolve(this.value as T) : this.#run();
  }

  #run(): Promise<T> {
    this.#running ??= this.#readUntilSettled().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #readUntilSettled(): Promise<T> {
    for (;;) {
      this.#again = false;
      let value: T;
      try {
        // Outside whatever transaction the change notification was fired from.
        value = await Dexie.ignoreTransaction(this.read);
      } catch (error) {
        const subscribers = [...this.subscribers.keys()];
        this.subscribers.clear();
        for (const subscriber of subscribers) subscriber.error(error);
        throw error;
      }
      if (this.#again) continue; // A change landed while reading: this value may miss it.
      this.#set(value);
      return value;
    }
  }

  #set(value: T): void {
    // A result read again after a change it could not patch emits only if its value moved.
    const changed = !this.#read || !this.equal(this.value as T, value);
    this.value = value;
    this.#read = true;
    this.fresh = true;
    Dexie.ignoreTransaction(() => {
      for (const [subscriber, seen] of this.subscribers) {
        if (changed || !seen) {
          this.subscribers.set(subscriber, true);
          subscriber.next(value);
        }
      }
    });
  }
}

/** The results of one kind (lists or records), most recently used last. */
type Results<T> = Map<string, Result<T>>;

/** The cache of one store. */
export class LiveResults {
  readonly #db: StoreDatabase;
  /** How long a result without a subscriber stays warm (ms); 0 keeps none. */
  readonly #cacheMs: number;
  readonly #lists: Results<ListPage> = new Map();
  readonly #records: Results<Conversation | undefined> = new Map();
  /** Changes claimed by transactions not yet committed, by their Dexie parts object. */
  readonly #claimed = new WeakMap<MutatedParts, Claim[]>();
  readonly #stopListening: () => void;
  /**
   * Records as this store's own committed writes left them, row and queue, most recent
   * last: what the next write of one guesses (writes.ts). Any other change forgets them all.
   */
  readonly #held = new Map<string, HeldRecord>();
  /** Set once the store closed or its database went: every read fails from then on. */
  #closed = false;
  /** Why, when the store closed because its database could not open. */
  #closedBy: unknown;

  constructor(db: StoreDatabase, cacheMs = 60_000) {
    this.#db = db;
    this.#cacheMs = cacheMs;
    this.#stopListening = onChange(db.name, (tables, parts) => this.#mutated(tables, parts));
  }

  /**
   * Called inside a write transaction, after its writes were issued and done: what it
   * changed. The patch applies once the transaction commits (never if it aborts).
   */
  claim(change: RecordChange, queue: RecordQueue): void {
    // Dexie collects a transaction's changed key ranges on its IndexedDB transaction and
    // fires `storagemutated` with that very object on commit: it names the transaction.
    const transaction = Dexie.currentTransaction?.idbtrans as unknown;
    const parts = (transaction as { mutatedParts?: MutatedParts } | undefined)?.mutatedParts;
    if (parts === undefined) return; // Nothing written: nothing to patch.
    const copy = (row: Conversation | null) => (row === null ? null : { ...row });
    const claimed = this.#claimed.get(parts) ?? [];
    claimed.push({ before: copy(change.before), after: copy(change.after), queue });
    this.#claimed.set(parts, claimed);
  }

  /**
   * The record `id` as this store last saw it committed: as its own last write left it, or
   * else its row in a fresh result (then guessed with nothing queued). A guess that a write
   * must still confirm: another tab may have changed it a moment ago, unheard of yet.
   */
  known(id: string): HeldRecord | undefined {
    if (this.#closed) return undefined;
    const held = this.#held.get(id);
    if (held !== undefined) return held;
    const record = this.#records.get(id);
    let row = record?.fresh && record.value?.id === id ? record.value : undefined;
    for (const list of this.#lists.values()) {
      if (row !== undefined) break;
      if (list.fresh) row = (list.value as ListPage).data.find((shown) => shown.id === id);
    }
    return row === undefined ? undefined : { row, queue: EMPTY_QUEUE };
  }

  /** `list$(input)`: the shared live result of these parameters. */
  list$(input: unknown): Observable<ListPage> {
    const params = parseListParams(input); // Bad parameters throw at the call.
    return this.#live(this.#lists, listKey(params), () => this.#listResult(params));
  }

  /** `retrieve$(input)`: the shared live result of this id. */
  retrieve$(input: unknown): Observable<Conversation | undefined> {
    const id = parseId(input);
    return this.#live(this.#records, id, () => this.#recordResult(id));
  }

  /** `list(input)`: from memory when a fresh result of the same parameters is held. */
  async list(input: unknown): Promise<ListPage> {
    this.#refuseIfClosed('list');
    const params = parseListParams(input);
    const page = await this.#once(this.#lists, listKey(params), MAX_WARM.lists, () =>
      this.#listResult(params),
    );
    return { has_more: page.has_more, data: page.data.map((row) => ({ ...row })) };
  }

  /** `retrieve(input)`: from memory when a fresh result of the same id is held. */
  async retrieve(input: unknown): Promise<Conversation | undefined> {
    this.#refuseIfClosed('retrieve');
    const id = parseId(input);
    const row = await this.#once(this.#records, id, MAX_WARM.records, () => this.#recordResult(id));
    return row === undefined ? undefined : { ...row };
  }

  /**
   * The store closed, or its database was destroyed: no cached answer outlives it. Every
   * live result errors with a StorageError, and every later read fails with one (carrying
   * `cause`, when the store closed because its database could not open).
   */
  close(cause?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closedBy = cause;
    this.#stopListening();
    const results = [...this.#lists.values(), ...this.#records.values()] as Result<unknown>[];
    this.#lists.clear();
    this.#records.clear();
    for (const result of results) {
      const subscribers = [...result.subscribers.keys()];
      result.subscribers.clear();
      for (const subscriber of subscribers) subscriber.error(this.#closedError('live read'));
    }
  }

  /** Another connection changed the database under this one: every result is read again. */
  invalidate(): void {
    this.#held.clear();
    for (const result of this.#lists.values()) result.stale();
    for (const result of this.#records.values()) result.stale();
  }

  #listResult(params: ListParams): Result<ListPage> {
    return new Result(
      () => listConversations(this.#db, params),
      samePage,
      (page, change) => patchPage(page, params, change),
    );
  }

  #recordResult(id: string): Result<Conversation | undefined> {
    return new Result(
      () => retrieveConversation(this.#db, id),
      sameConversation,
      (row, { before, after }) => {
        // A replaced temporary id answers with the server's id: follow what it shows.
        const shown = row?.id ?? id;
        if ((after ?? before)?.id !== shown) return row;
        return after ?? undefined;
      },
    );
  }

  /** A one-shot read: from the held result when fresh, else read (and held warm). */
  async #once<T>(map: Results<T>, key: string, max: number, create: () => Result<T>): Promise<T> {
    let result = map.get(key);
    if (result === undefined) {
      if (this.#cacheMs === 0) return create().get(); // Nothing is kept.
      result = create();
    }
    this.#touch(map, key, result);
    const value = await result.get();
    this.#prune(map, max);
    return value;
  }

  /** Marks a result used now, and most recently used. */
  #touch<T>(map: Results<T>, key: string, result: Result<T>): void {
    result.usedAt = clock().monotonic();
    map.delete(key);
    map.set(key, result);
  }

  /**
   * Drops results without a subscriber that were not used within `cacheMs`, and the least
   * recently used of the rest beyond `max`.
   */
  #prune<T>(map: Results<T>, max: number): void {
    const now = clock().monotonic();
    let idle = 0;
    for (const result of map.values()) if (result.subscribers.size === 0) idle += 1;
    for (const [key, result] of map) {
      if (result.subscribers.size > 0) continue;
      if (idle <= max && now - result.usedAt <= this.#cacheMs) continue;
      map.delete(key);
      idle -= 1;
    }
  }

  /** Holds a record as a committed write of this store left it (at most MAX_HELD). */
  #hold(before: Conversation | null, after: Conversation | null, queue: RecordQueue): void {
    const id = (after ?? before)?.id as string;
    this.#held.delete(id);
    if (after === null) return;
    this.#held.set(id, { row: after, queue });
    if (this.#held.size > MAX_HELD) this.#held.delete(this.#held.keys().next().value as string);
  }

  #refuseIfClosed(what: string): void {
    if (this.#closed) throw this.#closedError(what);
  }

  #closedError(what: string): Error {
    return closedStoreError(what, this.#closedBy);
  }

  #live<T>(map: Results<T>, key: string, create: () => Result<T>): Observable<T> {
    const max = map === (this.#lists as unknown) ? MAX_WARM.lists : MAX_WARM.records;
    return new Observable<T>((subscriber) => {
      if (this.#closed) {
        subscriber.error(this.#closedError('live read'));
        return;
      }
      let result = map.get(key);
      if (result === undefined) {
        result = create();
        map.set(key, result);
      }
      const held = result;
      held.subscribers.set(subscriber, false);
      if (held.fresh) {
        held.subscribers.set(subscriber, true);
        subscriber.next(held.value as T);
      } else if (held.subscribers.size === 1) held.stale();
      return () => {
        held.subscribers.delete(subscriber);
        if (held.subscribers.size > 0 || map.get(key) !== held) return;
        // The last subscriber left: the result stays warm for cacheMs, or goes now.
        if (this.#cacheMs === 0) map.delete(key);
        else {
          this.#touch(map, key, held);
          this.#prune(map, max);
        }
      };
    });
  }

  #mutated(tables: ReadonlySet<string>, parts: MutatedParts): void {
    const claimed = this.#claimed.get(parts);
    if (claimed !== undefined) {
      this.#claimed.delete(parts);
      for (const result of this.#lists.values()) result.apply(claimed);
      for (const result of this.#records.values()) result.apply(claimed);
      for (const { before, after, queue } of claimed) this.#hold(before, after, queue);
      return;
    }
    // A reply settled, a pull rebased, the engine claimed an entry, another tab wrote:
    // which records changed is not known here, so no guess is kept.
    if (touches(tables, ['conversations', 'aliases', 'outbox'])) this.#held.clear();
    if (!touches(tables, ['conversations', 'aliases'])) return;
    for (const result of this.#lists.values()) result.stale();
    for (const result of this.#records.values()) result.stale();
  }
}
