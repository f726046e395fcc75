/**
 * The local layer (`src/local/`): what the app reads and writes, answered from IndexedDB
 * at once. Writes (writes.ts), the live results cache (this file) and the patches it
 * applies (patch.ts), live queries (live.ts), per-list freshness (list-state.ts), and what
 * the app watches (watched-lists.ts, watched-records.ts). It builds on storage, never on sync.
 *
 * The live results cache: one current result per `list$` parameters and per `retrieve$`
 * id with a subscriber, shared by every subscriber of it and answering `list`/`retrieve`
 * with the same parameters at once.
 *
 * The store's own writes patch the results in memory (patch.ts), without reading
 * IndexedDB: a write tells this cache what it changed inside its transaction (`claim`),
 * and the patch applies when Dexie reports that transaction committed, before the write's
 * promise resolves. Every other change of the records (a pull, a settled reply, an
 * eviction, another tab) marks the results it may touch stale: they are read again, as a
 * live query would. A result is only ever one that was committed; each emits once per
 * transaction, and only when it changed.
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
import { listConversations, retrieveConversation, samePage } from '../storage/queries.js';
import type { StoreDatabase } from '../storage/schema.js';
import { patchPage, type RecordChange } from './patch.js';
import { listKey } from './watched-lists.js';

/** Dexie's record of what a transaction changed: the object its `storagemutated` event carries. */
type MutatedParts = Record<string, unknown>;

/** One live result: its current value while fresh, and who sees it. */
class Result<T> {
  value: T | undefined;
  /** Whether `value` has been read: a stale result keeps its last value to compare with. */
  #read = false;
  fresh = false;
  #running = false;
  #again = false;
  readonly subscribers = new Map<Subscriber<T>, boolean>();

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

  /** Something changed that a patch cannot describe: read again (once more if reading). */
  stale(): void {
    this.fresh = false;
    if (this.#running) this.#again = true;
    else void this.#run();
  }

  async #run(): Promise<void> {
    this.#running = true;
    this.#again = false;
    let value: T;
    try {
      // Outside whatever transaction the change notification was fired from.
      value = await Dexie.ignoreTransaction(this.read);
    } catch (error) {
      this.#running = false;
      for (const subscriber of this.subscribers.keys()) subscriber.error(error);
      this.subscribers.clear();
      return;
    }
    this.#running = false;
    if (this.#again) return this.#run(); // A change landed while reading: this value may miss it.
    this.#set(value);
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

/** The cache of one store. */
export class LiveResults {
  readonly #db: StoreDatabase;
  readonly #lists = new Map<string, { params: ListParams; result: Result<ListPage> }>();
  readonly #records = new Map<string, Result<Conversation | undefined>>();
  /** Changes claimed by transactions not yet committed, by their Dexie parts object. */
  readonly #claimed = new WeakMap<MutatedParts, RecordChange[]>();
  readonly #prefixes: string[];
  readonly #listener = (parts: MutatedParts) => this.#mutated(parts);
  /** Set once the store closed or its database went: every read fails from then on. */
  #closed = false;
  /** Why, when the store closed because its database could not open. */
  #closedBy: unknown;

  constructor(db: StoreDatabase) {
    this.#db = db;
    this.#prefixes = ['conversations', 'aliases'].map((table) => `idb://${db.name}/${table}/`);
    Dexie.on('storagemutated', this.#listener);
  }

  /**
   * Called inside a write transaction, after its writes were issued and done: what it
   * changed. The patch applies once the transaction commits (never if it aborts).
   */
  claim(change: RecordChange): void {
    // Dexie collects a transaction's changed key ranges on its IndexedDB transaction and
    // fires `storagemutated` with that very object on commit: it names the transaction.
    const transaction = Dexie.currentTransaction?.idbtrans as unknown;
    const parts = (transaction as { mutatedParts?: MutatedParts } | undefined)?.mutatedParts;
    if (parts === undefined) return; // Nothing written: nothing to patch.
    const copy = (row: Conversation | null) => (row === null ? null : { ...row });
    const claimed = this.#claimed.get(parts) ?? [];
    claimed.push({ before: copy(change.before), after: copy(change.after) });
    this.#claimed.set(parts, claimed);
  }

  /** `list$(input)`: the shared live result of these parameters. */
  list$(input: unknown): Observable<ListPage> {
    const params = parseListParams(input); // Bad parameters throw at the call.
    const key = listKey(params);
    return this.#live(this.#lists, key, () => ({
      params,
      result: new Result(
        () => listConversations(this.#db, params),
        samePage,
        (page, change) => patchPage(page, params, change),
      ),
    }));
  }

  /** `retrieve$(input)`: the shared live result of this id. */
  retrieve$(input: unknown): Observable<Conversation | undefined> {
    const id = parseId(input);
    return this.#live(this.#records, id, () => {
      const result: Result<Conversation | undefined> = new Result(
        () => retrieveConversation(this.#db, id),
        sameConversation,
        (row, { before, after }) => {
          // A replaced temporary id answers with the server's id: follow what it shows.
          const shown = row?.id ?? id;
          if ((after ?? before)?.id !== shown) return row;
          return after ?? undefined;
        },
      );
      return result;
    });
  }

  /** `list(input)`: from a live result of the same parameters when there is a fresh one. */
  async list(input: unknown): Promise<ListPage> {
    this.#refuseIfClosed('list');
    const params = parseListParams(input);
    const result = this.#lists.get(listKey(params))?.result;
    if (result?.fresh !== true) return listConversations(this.#db, params);
    const page = result.value as ListPage;
    return { has_more: page.has_more, data: page.data.map((row) => ({ ...row })) };
  }

  /** `retrieve(input)`: from a live result of the same id when there is a fresh one. */
  async retrieve(input: unknown): Promise<Conversation | undefined> {
    this.#refuseIfClosed('retrieve');
    const result = this.#records.get(parseId(input));
    if (result?.fresh !== true) return retrieveConversation(this.#db, input);
    return result.value === undefined ? undefined : { ...result.value };
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
    Dexie.on('storagemutated').unsubscribe(this.#listener);
    const results = [
      ...[...this.#lists.values()].map((entry) => entry.result),
      ...this.#records.values(),
    ] as Result<unknown>[];
    this.#lists.clear();
    this.#records.clear();
    for (const result of results) {
      const subscribers = [...result.subscribers.keys()];
      result.subscribers.clear();
      for (const subscriber of subscribers) subscriber.error(this.#closedError('live read'));
    }
  }

  #refuseIfClosed(what: string): void {
    if (this.#closed) throw this.#closedError(what);
  }

  #closedError(what: string): Error {
    return closedStoreError(what, this.#closedBy);
  }

  #live<T, E extends { result: Result<T> } | Result<T>>(
    map: Map<string, E>,
    key: string,
    create: () => E,
  ): Observable<T> {
    return new Observable<T>((subscriber) => {
      if (this.#closed) {
        subscriber.error(this.#closedError('live read'));
        return;
      }
      let entry = map.get(key);
      if (entry === undefined) {
        entry = create();
        map.set(key, entry);
      }
      const result = 'result' in entry ? entry.result : (entry as Result<T>);
      result.subscribers.set(subscriber, false);
      if (result.fresh) {
        result.subscribers.set(subscriber, true);
        subscriber.next(result.value as T);
      } else if (result.subscribers.size === 1) result.stale();
      return () => {
        result.subscribers.delete(subscriber);
        if (result.subscribers.size === 0 && map.get(key) === entry) map.delete(key);
      };
    });
  }

  #mutated(parts: MutatedParts): void {
    const claimed = this.#claimed.get(parts);
    if (claimed !== undefined) {
      this.#claimed.delete(parts);
      for (const { result } of this.#lists.values()) result.apply(claimed);
      for (const result of this.#records.values()) result.apply(claimed);
      return;
    }
    const touched =
      'all' in parts ||
      Object.keys(parts).some((part) => this.#prefixes.some((p) => part.startsWith(p)));
    if (!touched) return;
    for (const { result } of this.#lists.values()) result.stale();
    for (const result of this.#records.values()) result.stale();
  }
}
