// A server render: Node without IndexedDB or a DOM, as in a framework's SSR pass.
import { describe, expect, it } from 'vitest';
import { createSSRApp, defineComponent, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { type ConversationStore, createConversationStore } from '../src/index.js';
import {
  useConflicts,
  useConversation,
  useConversations,
  useListState,
  usePendingIds,
  useRejections,
  useSyncStatus,
} from '../src/vue.js';

const Page = defineComponent(
  function Page(props: { store: ConversationStore }) {
    const refs = [
      useConversations(props.store, { muted: false }),
      useConversations(props.store, () => ({ limit: 2 }), { keepPrevious: true }),
      useListState(props.store),
      useConversation(props.store, 'AAAAAAAAAAAAAAAA'),
      useSyncStatus(props.store),
      usePendingIds(props.store),
      useRejections(props.store),
      useConflicts(props.store),
    ];
    return () => h('p', refs.map((ref) => String(ref.value)).join(' '));
  },
  { props: ['store'] },
);

describe('server rendering', () => {
  it('gives undefined from every composable, subscribes to nothing and throws nothing', async () => {
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
    const { conversations, sync } = store;
    const list$ = conversations.list$;
    const listState$ = conversations.listState$;
    const retrieve$ = conversations.retrieve$;
    conversations.list$ = (params) => watch('list$', list$(params));
    conversations.listState$ = (params) => watch('listState$', listState$(params));
    conversations.retrieve$ = (id) => watch('retrieve$', retrieve$(id));
    sync.status$ = watch('status$', sync.status$);
    sync.pending$ = watch('pending$', sync.pending$);
    sync.rejections$ = watch('rejections$', sync.rejections$);
    sync.conflicts$ = watch('conflicts$', sync.conflicts$);
    const listRejections = sync.listRejections;
    sync.listRejections = () => {
      subscribed.push('listRejections');
      return listRejections();
    };

    const html = await renderToString(createSSRApp(Page, { store }));
    // Whatever a client would have run after the render had its chance.
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(html).toBe(`<p>${Array(8).fill('undefined').join(' ')}</p>`);
    expect(subscribed).toEqual([]);
    await store.close();
  });
});
