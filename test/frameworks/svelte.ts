import type { ConversationStore } from 'protocol-offline';
import type { Observable } from 'rxjs';
import type { Readable } from 'svelte/store';

/** An RxJS observable as a Svelte store: `undefined` until its first value. */
export function fromObservable<T>(source: Observable<T>): Readable<T | undefined> {
  return {
    subscribe(run) {
      run(undefined);
      const subscription = source.subscribe(run);
      return () => subscription.unsubscribe();
    },
  };
}

/** What an inbox component reads as `$page`, `$status` and `$unsent`. */
export function inboxStores(store: ConversationStore) {
  return {
    page: fromObservable(store.conversations.list$({ archived: false, limit: 20 })),
    status: fromObservable(store.sync.status$),
    unsent: fromObservable(store.sync.pending$),
  };
}
