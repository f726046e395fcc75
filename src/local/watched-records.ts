/**
 * What the app is watching: the parameters of every subscribed `list$` with the ids of
 * its current page, and every subscribed `retrieve$`. The quota manager never evicts
 * those records; whether a watched list may miss evicted records is `isComplete`.
 */
import { Observable, tap } from 'rxjs';
import type { Conversation, ListPage, ListParams } from '../model/conversation.js';

/** One subscribed list: its parameters and the ids of its current page. */
export interface WatchedList {
  params: ListParams;
  ids: readonly string[];
}

/** The registry of subscribed lists and records, one per store. */
export class WatchedRecords {
  readonly #lists = new Set<WatchedList>();
  readonly #records = new Map<object, string>();
  readonly #isComplete: (params: ListParams) => Promise<boolean>;

  /** `isComplete` answers whether a list may miss evicted records (quota.ts). */
  constructor(isComplete: (params: ListParams) => Promise<boolean>) {
    this.#isComplete = isComplete;
  }

  /** `source` (a list$), registered with its current ids while subscribed. */
  list(params: ListParams | undefined, source: Observable<ListPage>): Observable<ListPage> {
    return new Observable<ListPage>((subscriber) => {
      const entry: WatchedList = { params: params ?? {}, ids: [] };
      this.#lists.add(entry);
      const subscription = source
        .pipe(
          tap((page) => {
            entry.ids = page.data.map((row) => row.id);
          }),
        )
        .subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        this.#lists.delete(entry);
      };
    });
  }

  /** `source` (a retrieve$), registered with the record's id while subscribed. */
  record(source: Observable<Conversation | undefined>): Observable<Conversation | undefined> {
    return new Observable<Conversation | undefined>((subscriber) => {
      const key = {};
      const subscription = source
        .pipe(
          tap((row) => {
            if (row === undefined) this.#records.delete(key);
            else this.#records.set(key, row.id);
          }),
        )
        .subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        this.#records.delete(key);
      };
    });
  }

  /** The subscribed lists, with the ids of their current pages. */
  active(): WatchedList[] {
    return [...this.#lists].map(({ params, ids }) => ({ params, ids }));
  }

  /** The ids on a subscribed list's current page or in a subscribed retrieve$. */
  protectedIds(): Set<string> {
    const ids = new Set(this.#records.values());
    for (const list of this.#lists) for (const id of list.ids) ids.add(id);
    return ids;
  }

  /**
   * False when records evicted to save space would be on the page `list(params)` answers
   * (they are back after the next complete sync); true otherwise.
   */
  isComplete(params: ListParams = {}): Promise<boolean> {
    return this.#isComplete(params);
  }
}
