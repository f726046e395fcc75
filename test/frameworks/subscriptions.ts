/** Test helper: counts the subscriptions a store's list$ has opened and still holds. */
import { Observable } from 'rxjs';
import type { ConversationStore, ListParams } from '../../src/index.js';

/** Wraps the store's list$ so that the test sees how many subscriptions it has open. */
export function countListSubscriptions(target: ConversationStore) {
  const counts = { opened: 0, active: 0 };
  const list$ = target.conversations.list$;
  target.conversations.list$ = (params?: ListParams) => {
    const source = list$(params);
    return new Observable((subscriber) => {
      counts.opened++;
      counts.active++;
      const subscription = source.subscribe(subscriber);
      return () => {
        counts.active--;
        subscription.unsubscribe();
      };
    });
  };
  return counts;
}
