import type { ConversationStore, ListPage, ListParams } from 'protocol-offline';
import { type Accessor, createMemo, from } from 'solid-js';

/**
 * One page of conversations, `undefined` until it is read. New `params` subscribe anew;
 * the owner's disposal (the component unmounting) ends the subscription.
 */
export function createConversations(
  store: ConversationStore,
  params: Accessor<ListParams>,
): Accessor<ListPage | undefined> {
  const page = createMemo(() => from(store.conversations.list$(params())));
  return () => page()();
}

/** The sync status, `undefined` until it is read. */
export const createSyncStatus = (store: ConversationStore) => from(store.sync.status$);
