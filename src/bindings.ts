/**
 * What the React and Vue entries share, free of both frameworks and of RxJS: the shape of
 * a source they subscribe to, the latest answer they keep, the key that makes equal
 * parameters one subscription, and the recent conflicts. They import only types from the
 * store, so an app's bundle gets none of the store's code through them.
 */
import type { Conflict, ConversationStore } from './index.js';

/** What the bindings need of an RxJS observable; typed here so that rxjs is not imported. */
export interface Source<T> {
  subscribe(observer: { next(value: T): void; error(error: unknown): void }): {
    unsubscribe(): void;
  };
}

/** The latest answer of a source; a new object per emission so that the framework sees it. */
export type Read<T> = { value: T } | { error: unknown };

/** A key equal for equal parameters, whatever the order of their properties. */
export function paramsKey(params: unknown): string {
  if (typeof params !== 'object' || params === null) return String(params);
  const record = params as Record<string, unknown>;
  // `[name]` alone keeps an explicit undefined apart from a null, which list$ refuses.
  return JSON.stringify(
    Object.keys(record)
      .sort()
      .map((name) => (record[name] === undefined ? [name] : [name, record[name]])),
  );
}

/** How many conflicts `useConflicts` keeps. */
export const RECENT_CONFLICTS = 50;

/** The conflicts `conflicts$` reports from the subscription on, most recent first. */
export function recentConflicts(store: ConversationStore): Source<readonly Conflict[]> {
  return {
    subscribe(observer) {
      let recent: readonly Conflict[] = [];
      observer.next(recent);
      return store.sync.conflicts$.subscribe({
        next: (conflict) => {
          recent = [conflict, ...recent].slice(0, RECENT_CONFLICTS);
          observer.next(recent);
        },
        error: (error: unknown) => observer.error(error),
      });
    },
  };
}
