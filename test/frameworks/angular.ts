import { toSignal } from '@angular/core/rxjs-interop';
import type { ConversationStore } from 'protocol-offline';

/**
 * The inbox as signals, `undefined` until read. Call it in an injection context (a
 * component's field): the subscriptions end when that component is destroyed.
 *
 *   readonly inbox = injectInbox(store);
 *   // template: @for (c of inbox.page()?.data; track c.id) { <li>{{ c.id }}</li> }
 */
export function injectInbox(store: ConversationStore) {
  return {
    page: toSignal(store.conversations.list$({ archived: false, limit: 20 })),
    status: toSignal(store.sync.status$),
    unsent: toSignal(store.sync.pending$),
  };
}
