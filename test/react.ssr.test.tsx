// A server render: Node without IndexedDB or a DOM, as in a framework's SSR pass.
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { type ConversationStore, createConversationStore } from '../src/index.js';
import {
  useConflicts,
  useConversation,
  useConversations,
  usePendingIds,
  useRejections,
  useSyncStatus,
} from '../src/react.js';

function Page({ store }: { store: ConversationStore }) {
  const values = [
    useConversations(store, { muted: false }),
    useConversation(store, 'AAAAAAAAAAAAAAAA'),
    useSyncStatus(store),
    usePendingIds(store),
    useRejections(store),
    useConflicts(store),
  ];
  return <p>{values.map((value) => String(value)).join(' ')}</p>;
}

describe('server rendering', () => {
  it('gives undefined from every hook, subscribes to nothing and throws nothing', async () => {
    expect(globalThis.indexedDB).toBeUndefined();
    const store = createConversationStore({
      baseUrl: 'https://api.test',
      getToken: () => 'token',
      databaseName: 'ssr',
      sync: { auto: false },
    });
    const subscribed: string[] = [];
    const watch = <T extends { subscribe: (...args: never[]) => unknown }>(
      name: string,
      source: T,
    ) =>
      new Proxy(source, {
        get(target, property, receiver) {
          if (property === 'subscribe') subscribed.push(name);
          return Reflect.get(target, property, receiver);
        },
      });
    const { conversations } = store;
    const list$ = conversations.list$;
    const retrieve$ = conversations.retrieve$;
    conversations.list$ = (params) => watch('list$', list$(params));
    conversations.retrieve$ = (id) => watch('retrieve$', retrieve$(id));
    store.sync.status$ = watch('status$', store.sync.status$);
    store.sync.pending$ = watch('pending$', store.sync.pending$);
    store.sync.rejections$ = watch('rejections$', store.sync.rejections$);
    store.sync.conflicts$ = watch('conflicts$', store.sync.conflicts$);
    const listRejections = store.sync.listRejections;
    store.sync.listRejections = () => {
      subscribed.push('listRejections');
      return listRejections();
    };

    const html = renderToString(<Page store={store} />);

    expect(html).toBe('<p>undefined undefined undefined undefined undefined undefined</p>');
    expect(subscribed).toEqual([]);
    await store.close();
  });
});
